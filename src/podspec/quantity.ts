/**
 * Resource quantities as Go writes them: `canonicalQuantity(text)` is what `json.Unmarshal` into a
 * `resource.Quantity` followed by `json.Marshal` gives (k8s.io/apimachinery v0.36.3). Upstream builds the Job
 * from Go structs, so every quantity it sends is in this form; the API server stores the same form.
 *
 * Go keeps the text as written when it already looks canonical (so `100m`, `1e3` and even `+1` survive),
 * and otherwise rewrites it: the largest suffix of the quantity's kind (decimal SI, binary SI, or decimal
 * exponent) that leaves an integer, values rounded up to the nano, binary quantities capped at 2^63-1.
 */

import { POD_SPEC_ROOT, POD_SPEC_TYPES, type FieldSchema } from './smp-schema.js';

type Format = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

const MAX_INT64 = 2n ** 63n - 1n;
const MIN_INT64 = -(2n ** 63n);

const DECIMAL_SUFFIXES: Readonly<Record<string, number>> = {
  '': 0,
  n: -9,
  u: -6,
  m: -3,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SUFFIXES: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_BY_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]));
const BINARY_BY_POWER = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

/** The quantity as Go re-encodes it, or undefined when Go would refuse to parse it. */
export function canonicalQuantity(input: string): string | undefined {
  // UnmarshalJSON trims before parsing; the kept text is the trimmed one.
  const text = input.trim();
  if (text === '') return undefined;
  if (text === '0') return '0';
  const scanned = scan(text);
  if (scanned === undefined) return undefined;
  const { negative, num, denom, suffix } = scanned;
  const unit = interpret(suffix);
  if (unit === undefined) return undefined;

  // Go's int64 fast path, which keeps the text when it is already in canonical shape.
  let precision = -1;
  let scale = 0;
  let multiplier = 1n;
  if (unit.format === 'BinarySI') {
    if (unit.exponent >= 0 && denom === '') {
      multiplier = 1n << BigInt(unit.exponent);
      precision = 15 - num.length - Math.trunc((unit.exponent * 3) / 10) - 1;
    }
  } else {
    scale = unit.exponent;
    precision = 18 - (num.length + denom.length);
  }
  if (precision >= 0) {
    scale -= denom.length;
    if (scale >= -9) {
      const shifted = num + denom;
      const value = BigInt(shifted);
      if (value > MAX_INT64) return undefined;
      const product = value * multiplier;
      if (product <= MAX_INT64) {
        const keepsText =
          unit.format === 'BinarySI'
            ? unit.exponent % 10 === 0 && (value & 7n) !== 0n
            : scale % 3 === 0 && !shifted.endsWith('000') && !shifted.startsWith('0');
        if (keepsText) return text;
        return format(negative ? -product : product, scale, unit.format);
      }
    }
  }

  // The exact path: value = units * 10^exponent, kept in that form so a huge exponent stays cheap.
  let units = BigInt(num + denom);
  let exponent = -denom.length;
  let fmt = unit.format;
  if (unit.base === 10) exponent += unit.exponent;
  else units <<= BigInt(unit.exponent);
  if (units !== 0n && exponent < -9) {
    // Rounded up to the nano: whoever asks for a tiny amount gets some.
    const dropped = -9 - exponent;
    units = dropped > units.toString().length ? 1n : ceilDiv(units, 10n ** BigInt(dropped));
    exponent = -9;
  }
  if (fmt === 'BinarySI') {
    // Binary quantities have no positive decimal exponent, so these powers stay as small as the text.
    const one = 10n ** BigInt(-exponent);
    if (units > MAX_INT64 * one) {
      units = MAX_INT64;
      exponent = 0;
    } else if (units > 0n && units < one) {
      fmt = 'DecimalSI';
    }
  }
  return format(negative ? -units : units, exponent, fmt);
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

/** Go's `CanonicalizeBytes` for the value `units * 10^exponent` (exponent <= 0 for binary quantities). */
function format(units: bigint, exponent: number, fmt: Format): string {
  if (units === 0n) return '0';
  if (fmt === 'BinarySI') {
    const magnitude = units < 0n ? -units : units;
    const one = 10n ** BigInt(-exponent);
    // Between -1024 and 1024, or not a whole number: written in decimal so nothing is rounded.
    if (magnitude < 1024n * one || magnitude % one !== 0n) return format(units, exponent, 'DecimalSI');
    let whole = units / one;
    let power = 0;
    while ((whole >= 1024n || whole <= -1024n) && whole % 1024n === 0n) {
      whole /= 1024n;
      power++;
    }
    return `${whole.toString()}${BINARY_BY_POWER[power] ?? ''}`;
  }
  // Trailing zeros move into the exponent, which then steps down to a multiple of 3.
  const digits = units.toString();
  const mantissa = digits.replace(/0+$/, '');
  let power = exponent + digits.length - mantissa.length;
  const padding = ((power % 3) + 3) % 3;
  power -= padding;
  // Past E (10^18) there is no decimal SI suffix and v0.36.3 writes none, dropping the exponent (1000E is
  // sent as 1). Upstream and the API server both do, so we match; later apimachinery writes 1e21.
  const suffix =
    fmt === 'DecimalSI' ? (DECIMAL_BY_EXPONENT.get(power) ?? '') : power === 0 ? '' : `e${String(power)}`;
  return `${mantissa}${'0'.repeat(padding)}${suffix}`;
}

/**
 * `spec` (a core/v1 `PodSpec` unless `type` names another struct of the schema) with every quantity it holds
 * in Go's form. Values Go could not parse are left for validation to report. Unchanged parts are shared.
 */
export function withCanonicalQuantities<T>(spec: T, type: string = POD_SPEC_ROOT): T {
  return canonicalStruct(spec, type) as T;
}

/**
 * Per struct type, the fields with a quantity somewhere below them: the walk visits only those, since most of
 * a pod spec (commands, env values, probes, mounts...) can hold none. A fixpoint, as types may nest.
 */
const QUANTITY_FIELDS: ReadonlyMap<string, readonly (readonly [string, FieldSchema])[]> = (() => {
  const holding = new Set<string>();
  const holds = (field: FieldSchema): boolean =>
    field.quantity === true || (field.ref !== undefined && holding.has(field.ref));
  for (let grew = true; grew;) {
    grew = false;
    for (const [type, fields] of Object.entries(POD_SPEC_TYPES)) {
      if (!holding.has(type) && Object.values(fields).some(holds)) {
        holding.add(type);
        grew = true;
      }
    }
  }
  return new Map(
    Object.entries(POD_SPEC_TYPES).map(([type, fields]) => [
      type,
      Object.entries(fields).filter(([, field]) => holds(field)),
    ]),
  );
})();

function canonicalStruct(value: unknown, type: string): unknown {
  const fields = QUANTITY_FIELDS.get(type);
  if (fields === undefined || fields.length === 0 || !isRecord(value)) return value;
  let out: Record<string, unknown> | undefined;
  for (const [key, field] of fields) {
    if (!Object.hasOwn(value, key)) continue;
    const next = canonicalField(value[key], field);
    if (next !== value[key]) {
      out ??= { ...value };
      out[key] = next;
    }
  }
  return out ?? value;
}

function canonicalField(value: unknown, field: FieldSchema): unknown {
  if (field.quantity === true) {
    if (field.kind !== 'map') return canonicalValue(value);
    if (!isRecord(value)) return value;
    const entries = Object.entries(value);
    if (entries.every(([, v]) => canonicalValue(v) === v)) return value;
    return Object.fromEntries(entries.map(([k, v]) => [k, canonicalValue(v)]));
  }
  const ref = field.ref;
  if (ref === undefined) return value;
  if (field.kind === 'object') return canonicalStruct(value, ref);
  if (field.kind !== 'list' || !Array.isArray(value)) return value;
  const items: unknown[] = value;
  const next = items.map((item) => canonicalStruct(item, ref));
  return next.every((item, i) => item === items[i]) ? value : next;
}

function canonicalValue(value: unknown): unknown {
  if (typeof value !== 'string' && typeof value !== 'number') return value;
  return canonicalQuantity(String(value)) ?? value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface Scanned {
  readonly negative: boolean;
  /** Integer digits without leading zeros ("0" when there are none). */
  readonly num: string;
  /** Fraction digits as written. */
  readonly denom: string;
  readonly suffix: string;
}

/** Go's `parseQuantityString`: sign, digits, optional fraction, then a suffix of `[eEinumkKMGTP]*[-+]?\d*`. */
function scan(text: string): Scanned | undefined {
  const match = /^([+-]?)0*(\d*)(?:\.(\d*))?([eEinumkKMGTP]*[-+]?\d*)$/.exec(text);
  if (match === null) return undefined;
  const [, sign = '', digits = '', denom = '', suffix = ''] = match;
  return { negative: sign === '-', num: digits === '' ? '0' : digits, denom, suffix };
}

function interpret(suffix: string): { base: 2 | 10; exponent: number; format: Format } | undefined {
  const decimal = DECIMAL_SUFFIXES[suffix];
  if (decimal !== undefined) return { base: 10, exponent: decimal, format: 'DecimalSI' };
  const binary = BINARY_SUFFIXES[suffix];
  if (binary !== undefined) return { base: 2, exponent: binary, format: 'BinarySI' };
  if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E')) {
    const digits = suffix.slice(1);
    if (!/^[+-]?\d+$/.test(digits)) return undefined;
    const parsed = BigInt(digits);
    if (parsed > MAX_INT64 || parsed < MIN_INT64) return undefined;
    // Go narrows the parsed int64 to int32.
    return { base: 10, exponent: Number(BigInt.asIntN(32, parsed)), format: 'DecimalExponent' };
  }
  return undefined;
}
