/** Label and field selectors with kube-apiserver's syntax. Parse failures are values (400 BadRequest). */

export type Labels = Readonly<Record<string, string>> | undefined;
export type Selector<T> = (subject: T) => boolean;
export type ParseResult<T> = { ok: true; selector: Selector<T> } | { ok: false; message: string };

/** Splits on commas that are not inside `in (...)` value sets. */
function splitRequirements(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

const KEY = String.raw`[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?`;
const VALUE = String.raw`([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?`;
const SET = new RegExp(String.raw`^(${KEY})\s+(in|notin)\s+\(([^)]*)\)$`);
const EQUALITY = new RegExp(String.raw`^(${KEY})\s*(==|=|!=)\s*(${VALUE})$`);
const EXISTS = new RegExp(String.raw`^(!?)\s*(${KEY})$`);

function parseLabelRequirement(text: string): Selector<Labels> | undefined {
  const set = SET.exec(text);
  if (set) {
    const key = set[1] ?? '';
    const values = new Set((set[4] ?? '').split(',').map((v) => v.trim()));
    return set[3] === 'in'
      ? (labels) => labels?.[key] !== undefined && values.has(labels[key])
      : (labels) => labels?.[key] === undefined || !values.has(labels[key]);
  }
  const equality = EQUALITY.exec(text);
  if (equality) {
    const key = equality[1] ?? '';
    const value = equality[4] ?? '';
    return equality[3] === '!=' ? (labels) => labels?.[key] !== value : (labels) => labels?.[key] === value;
  }
  const exists = EXISTS.exec(text);
  if (exists) {
    const key = exists[2] ?? '';
    return exists[1] === '!'
      ? (labels) => labels?.[key] === undefined
      : (labels) => labels?.[key] !== undefined;
  }
  return undefined;
}

export function parseLabelSelector(text: string | null): ParseResult<Labels> {
  if (text === null || text.trim() === '') return { ok: true, selector: () => true };
  const requirements: Selector<Labels>[] = [];
  for (const part of splitRequirements(text)) {
    const requirement = parseLabelRequirement(part);
    if (!requirement) return { ok: false, message: `unable to parse requirement: "${part}"` };
    requirements.push(requirement);
  }
  return { ok: true, selector: (labels) => requirements.every((r) => r(labels)) };
}

function fieldValue(object: unknown, path: string): string {
  let current: unknown = object;
  for (const segment of path.split('.')) {
    if (typeof current !== 'object' || current === null) return '';
    current = (current as Record<string, unknown>)[segment];
  }
  return typeof current === 'string' || typeof current === 'number' ? String(current) : '';
}

/** Field selectors: `path=value`, `path==value`, `path!=value`, comma-separated, on any dotted path. */
export function parseFieldSelector(text: string | null): ParseResult<object> {
  if (text === null || text.trim() === '') return { ok: true, selector: () => true };
  const requirements: Selector<object>[] = [];
  for (const part of text.split(',')) {
    const match = /^\s*([A-Za-z0-9.]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(part);
    if (!match) return { ok: false, message: `invalid field selector: '${part}'` };
    const [, path = '', op, value = ''] = match;
    requirements.push(
      op === '!=' ? (o) => fieldValue(o, path) !== value : (o) => fieldValue(o, path) === value,
    );
  }
  return { ok: true, selector: (object) => requirements.every((r) => r(object)) };
}
