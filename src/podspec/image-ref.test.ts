import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { goQuote, invalidImageReferences, parseImageReference } from './image-ref.js';

const hex64 = '8c10f21bec412f08f73aa7b97ca5ac5f28a39d8a88030ad8a339fd0a781d72b4';

describe('parseImageReference accepts', () => {
  it.each([
    ['alpine', { name: 'alpine', domain: '', path: 'alpine' }],
    ['alpine:latest', { name: 'alpine', domain: '', path: 'alpine', tag: 'latest' }],
    // Parse does not normalise: a first component followed by a slash is the domain, dot or not.
    [
      'buildkite/agent:3.92.1',
      { name: 'buildkite/agent', domain: 'buildkite', path: 'agent', tag: '3.92.1' },
    ],
    [
      `golang:1.23.5@sha256:${hex64}`,
      { name: 'golang', domain: '', path: 'golang', tag: '1.23.5', digest: `sha256:${hex64}` },
    ],
    [`golang@sha256:${hex64}`, { name: 'golang', domain: '', path: 'golang', digest: `sha256:${hex64}` }],
    [
      'localhost:5000/team/app:v1',
      { name: 'localhost:5000/team/app', domain: 'localhost:5000', path: 'team/app', tag: 'v1' },
    ],
    [
      'REGISTRY.Example.com/app',
      { name: 'REGISTRY.Example.com/app', domain: 'REGISTRY.Example.com', path: 'app' },
    ],
    ['[::1]:5000/app', { name: '[::1]:5000/app', domain: '[::1]:5000', path: 'app' }],
    [
      'ghcr.io/buildkite/agent:3-ubuntu-24.04',
      { name: 'ghcr.io/buildkite/agent', domain: 'ghcr.io', path: 'buildkite/agent', tag: '3-ubuntu-24.04' },
    ],
    [
      'a__b.c---d/e_f:_TAG.-x',
      { name: 'a__b.c---d/e_f', domain: '', path: 'a__b.c---d/e_f', tag: '_TAG.-x' },
    ],
    // The first component is taken as the domain when a slash follows, whatever it looks like.
    [
      'example.org/my-container',
      { name: 'example.org/my-container', domain: 'example.org', path: 'my-container' },
    ],
    [
      `sha512-host/app@sha512:${'a'.repeat(128)}`,
      { name: 'sha512-host/app', domain: 'sha512-host', path: 'app', digest: `sha512:${'a'.repeat(128)}` },
    ],
  ])('%s', (ref, reference) => {
    expect(parseImageReference(ref)).toEqual({ ok: true, reference });
  });

  it('a 255-character path, with a domain that does not count', () => {
    expect(parseImageReference('a'.repeat(255)).ok).toBe(true);
    expect(parseImageReference(`registry.example.com:443/${'a'.repeat(255)}`).ok).toBe(true);
  });
});

describe('parseImageReference rejects', () => {
  it.each([
    ['buildkite/agent:latest plus some extra junk', 'invalid reference format'],
    ['', 'repository name must have at least one component'],
    ['ALPINE:latest', 'repository name must be lowercase'],
    ['localhost:5000/Team/app', 'repository name must be lowercase'],
    ['\u0130mage', 'repository name must be lowercase'],
    ['alpine:', 'invalid reference format'],
    [':latest', 'invalid reference format'],
    ['-alpine', 'invalid reference format'],
    ['alpine___x', 'invalid reference format'],
    ['alpine/', 'invalid reference format'],
    [`alpine:${'t'.repeat(129)}`, 'invalid reference format'],
    ['ALPINE:latest plus junk', 'invalid reference format'],
    ['alpine@sha256:abc', 'invalid reference format'],
    [`alpine@sha256:${'a'.repeat(63)}`, 'invalid checksum digest length'],
    [`alpine@sha256:${'a'.repeat(65)}`, 'invalid checksum digest length'],
    [`alpine@sha256:${'A'.repeat(64)}`, 'invalid checksum digest format'],
    [`alpine@md5:${'a'.repeat(32)}`, 'unsupported digest algorithm'],
    [`alpine@Md5:${'a'.repeat(32)}`, 'invalid checksum digest format'],
    [`alpine@sha384:${'a'.repeat(64)}`, 'invalid checksum digest length'],
    ['a'.repeat(256), 'repository name must not be more than 255 characters'],
    [`ghcr.io/${'a/'.repeat(127)}ab`, 'repository name must not be more than 255 characters'],
  ])('%s', (ref, error) => {
    expect(parseImageReference(ref)).toEqual({ ok: false, error });
  });

  it('answers quickly on long hostile input', () => {
    for (const ref of ['a-'.repeat(20_000), `${'a.'.repeat(20_000)}!`, `${'a'.repeat(50_000)}/`]) {
      expect(parseImageReference(ref).ok).toBe(false);
    }
  });

  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (ref) => {
        expect(typeof parseImageReference(ref).ok).toBe('boolean');
      }),
    );
  });
});

describe('goQuote', () => {
  it.each([
    ['plain', '"plain"'],
    ['a "b" \\ c', '"a \\"b\\" \\\\ c"'],
    ['\n\t\r\x07\b\f\v', '"\\n\\t\\r\\a\\b\\f\\v"'],
    ['\x00\x1b\x7f', '"\\x00\\x1b\\x7f"'],
    ['日本 é', '"日本 é"'],
    ['\u00a0\u200b', '"\\u00a0\\u200b"'],
    ['\u{e0001}', '"\\U000e0001"'],
  ])('%j', (input, quoted) => {
    expect(goQuote(input)).toBe(quoted);
  });
});

describe('invalidImageReferences', () => {
  it('is null when every image parses', () => {
    expect(invalidImageReferences([{ container: 'container-0', image: 'alpine:latest' }])).toBeNull();
    expect(invalidImageReferences([])).toBeNull();
  });

  it('names the one bad image like upstream', () => {
    expect(
      invalidImageReferences([
        { container: 'container-0', image: 'buildkite/agent:latest plus some extra junk' },
        { container: 'agent', image: 'buildkite/agent:latest' },
      ]),
    ).toBe(
      'invalid reference format "buildkite/agent:latest plus some extra junk" for container "container-0"',
    );
  });

  it('tabulates several bad images sorted by container', () => {
    expect(
      invalidImageReferences([
        { container: 'container-1', image: 'Ubuntu' },
        { container: 'agent', image: 'ok:latest' },
        { container: 'container-0', image: 'bad image' },
        { container: 'copy-agent', image: '' },
      ]),
    ).toBe(
      [
        'invalid image references',
        '',
        '╭───────────────┬─────────────┬──────────────────────────────────────────────────╮',
        '│ CONTAINER     │ IMAGE REF   │ PARSE ERROR                                      │',
        '├───────────────┼─────────────┼──────────────────────────────────────────────────┤',
        '│ "container-0" │ "bad image" │ invalid reference format                         │',
        '│ "container-1" │ "Ubuntu"    │ repository name must be lowercase                │',
        '│ "copy-agent"  │ ""          │ repository name must have at least one component │',
        '╰───────────────┴─────────────┴──────────────────────────────────────────────────╯',
      ].join('\n'),
    );
  });

  it('counts wide characters as two columns', () => {
    const out = invalidImageReferences([
      { container: '日本語日本語', image: 'X' },
      { container: 'b', image: 'Y' },
    ]);
    const lines = out?.split('\n') ?? [];
    expect(lines[2]).toBe(`╭${'─'.repeat(16)}┬───────────┬───────────────────────────────────╮`);
    expect(lines[3]).toBe('│ CONTAINER      │ IMAGE REF │ PARSE ERROR                       │');
    expect(lines[6]).toBe('│ "日本語日本語" │ "X"       │ repository name must be lowercase │');
  });
});
