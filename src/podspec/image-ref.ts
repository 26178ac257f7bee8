/**
 * Container image references, parsed like `reference.Parse` of github.com/distribution/reference v0.6.0 (with
 * go-digest v1.0.0 validating digests), which upstream uses to reject bad images before creating a Job. The
 * grammar and the choice among its error messages follow that code; the messages reach Buildkite users.
 */

export interface ImageReference {
  /** Repository name as written, domain included (no normalisation to docker.io/library). */
  readonly name: string;
  /** Registry host and optional port, or "" when the name has no domain part. */
  readonly domain: string;
  readonly path: string;
  readonly tag?: string;
  /** `algorithm:hex`, already validated. */
  readonly digest?: string;
}

export type ImageReferenceResult =
  { readonly ok: true; readonly reference: ImageReference } | { readonly ok: false; readonly error: string };

const REPOSITORY_NAME_MAX = 255;

// The grammar, assembled as in distribution/reference regexp.go.
const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const optionalPort = '(?::[0-9]+)?';
const tagPattern = '[\\w][\\w.-]{0,127}';
const digestPattern = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}';
const ipv6address = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
const domainAndPort = `(?:${domainName}|${ipv6address})${optionalPort}`;
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const namePattern = `(?:${domainAndPort}/)?${remoteName}`;

const referenceRegexp = new RegExp(`^(${namePattern})(?::(${tagPattern}))?(?:@(${digestPattern}))?$`);
const anchoredNameRegexp = new RegExp(`^(?:(${domainAndPort})/)?(${remoteName})$`);

// go-digest: the algorithms a Go binary with crypto/sha256 and crypto/sha512 linked in can verify.
const digestRegexpAnchored = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const digestAlgorithms: ReadonlyMap<string, RegExp> = new Map([
  ['sha256', /^[a-f0-9]{64}$/],
  ['sha384', /^[a-f0-9]{96}$/],
  ['sha512', /^[a-f0-9]{128}$/],
]);
const digestHexLength: ReadonlyMap<string, number> = new Map([
  ['sha256', 64],
  ['sha384', 96],
  ['sha512', 128],
]);

export function parseImageReference(ref: string): ImageReferenceResult {
  if (ref === '') return fail('repository name must have at least one component');
  const matches = referenceRegexp.exec(ref);
  if (matches === null) {
    const lower = referenceRegexp.test(goToLower(ref));
    return fail(lower ? 'repository name must be lowercase' : 'invalid reference format');
  }
  const name = matches[1] ?? '';
  const nameMatch = anchoredNameRegexp.exec(name);
  const domain = nameMatch?.[1] ?? '';
  const path = nameMatch?.[2] ?? name;
  if (path.length > REPOSITORY_NAME_MAX) {
    return fail(`repository name must not be more than ${String(REPOSITORY_NAME_MAX)} characters`);
  }
  const tag = matches[2];
  const digest = matches[3];
  if (digest !== undefined) {
    const problem = digestProblem(digest);
    if (problem !== undefined) return fail(problem);
  }
  return {
    ok: true,
    reference: {
      name,
      domain,
      path,
      ...(tag === undefined ? {} : { tag }),
      ...(digest === undefined ? {} : { digest }),
    },
  };
}

/** go-digest `Digest.Validate`. */
function digestProblem(digest: string): string | undefined {
  const colon = digest.indexOf(':');
  if (colon <= 0 || colon + 1 === digest.length) return 'invalid checksum digest format';
  const algorithm = digest.slice(0, colon);
  const encoded = digest.slice(colon + 1);
  const pattern = digestAlgorithms.get(algorithm);
  if (pattern === undefined) {
    return digestRegexpAnchored.test(digest)
      ? 'unsupported digest algorithm'
      : 'invalid checksum digest format';
  }
  if (encoded.length !== digestHexLength.get(algorithm)) return 'invalid checksum digest length';
  return pattern.test(encoded) ? undefined : 'invalid checksum digest format';
}

/** Go's strings.ToLower maps rune by rune; JavaScript expands U+0130 to two code points instead. */
function goToLower(s: string): string {
  return s.replaceAll('\u0130', 'i').toLowerCase();
}

function fail(error: string): ImageReferenceResult {
  return { ok: false, error };
}

// ---------------------------------------------------------------------------------------------------------
// The failure message for a pod with bad image references.

export interface ContainerImage {
  readonly container: string;
  readonly image: string;
}

/**
 * Checks every image and returns null when all parse, otherwise the text upstream fails the Buildkite job with
 * (after its `agent-stack-k8s failed to build a podSpec for the job: ` prefix): for one bad image
 * `<error> "<image>" for container "<name>"`, for several `invalid image references\n\n<table>` with rows
 * sorted by container name. `images` should be in pod order: containers, then init containers.
 */
export function invalidImageReferences(images: readonly ContainerImage[]): string | null {
  const invalid: { container: string; image: string; error: string }[] = [];
  for (const { container, image } of images) {
    const parsed = parseImageReference(image);
    if (!parsed.ok) invalid.push({ container, image, error: parsed.error });
  }
  const [only] = invalid;
  if (only === undefined) return null;
  if (invalid.length === 1) {
    return `${only.error} ${goQuote(only.image)} for container ${goQuote(only.container)}`;
  }
  invalid.sort((a, b) => Buffer.compare(Buffer.from(a.container), Buffer.from(b.container)));
  const rows = invalid.map((i) => [goQuote(i.container), goQuote(i.image), i.error]);
  return `invalid image references\n\n${roundedTable(['CONTAINER', 'IMAGE REF', 'PARSE ERROR'], rows)}`;
}

/** go-pretty's `StyleRounded` table: a header, a rule under it, left-aligned cells padded by one space. */
export function roundedTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, col) =>
    Math.max(displayWidth(h), ...rows.map((row) => displayWidth(row[col] ?? ''))),
  );
  const rule = (left: string, middle: string, right: string): string =>
    left + widths.map((w) => '─'.repeat(w + 2)).join(middle) + right;
  const line = (cells: readonly string[]): string =>
    '│' +
    widths
      .map((w, col) => {
        const cell = cells[col] ?? '';
        return ` ${cell}${' '.repeat(w - displayWidth(cell))} `;
      })
      .join('│') +
    '│';
  return [
    rule('╭', '┬', '╮'),
    line(header),
    rule('├', '┼', '┤'),
    ...rows.map(line),
    rule('╰', '┴', '╯'),
  ].join('\n');
}

const zeroWidth = /^[\p{Mn}\p{Me}\p{Cf}]$/u;
const wide =
  /^[\u{1100}-\u{115F}\u{2E80}-\u{303E}\u{3041}-\u{33FF}\u{3400}-\u{4DBF}\u{4E00}-\u{9FFF}\u{A000}-\u{A4CF}\u{A960}-\u{A97F}\u{AC00}-\u{D7A3}\u{F900}-\u{FAFF}\u{FE30}-\u{FE4F}\u{FF00}-\u{FF60}\u{FFE0}-\u{FFE6}\u{16FE0}-\u{16FFF}\u{17000}-\u{18DFF}\u{1AFF0}-\u{1B2FF}\u{1F200}-\u{1F2FF}\u{1F300}-\u{1F64F}\u{1F680}-\u{1F6FF}\u{1F900}-\u{1F9FF}\u{1FA70}-\u{1FAFF}\u{20000}-\u{3FFFD}]$/u;

/** Terminal columns a string takes, as go-runewidth counts them: East Asian wide = 2, combining = 0. */
function displayWidth(s: string): number {
  let width = 0;
  for (const ch of s) width += zeroWidth.test(ch) ? 0 : wide.test(ch) ? 2 : 1;
  return width;
}

const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/** Go's `strconv.Quote` (also what `%q` prints for a string). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\v':
        out += '\\v';
        continue;
    }
    if (code >= 0xd800 && code <= 0xdfff) {
      out += '\ufffd'; // a lone surrogate becomes U+FFFD on its way to UTF-8, which Go prints as is
    } else if (printable.test(ch)) {
      out += ch;
    } else if (code < 0x20 || code === 0x7f) {
      out += `\\x${code.toString(16).padStart(2, '0')}`;
    } else if (code < 0x10000) {
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    } else {
      out += `\\U${code.toString(16).padStart(8, '0')}`;
    }
  }
  return `${out}"`;
}
