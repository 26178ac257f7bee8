import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseKubeJson, RFC3339, stringifyKubeJson, TIME_KEYS } from './json.js';

const TIME = '2026-01-02T03:04:05Z';
// Keys that are timestamps (metav1.Time and MicroTime), and some that merely look alike.
const keys = fc.constantFrom(
  'creationTimestamp',
  'lastTransitionTime',
  'time',
  'renewTime',
  'eventTime',
  'name',
  'timestamp',
  '__proto__',
  '0',
);
const leaves = fc.oneof(
  fc.constantFrom(TIME, '2026-01-02T03:04:05.123456+02:00', 'bad', '', null, true, 7),
  fc.string(),
);
const documents = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaves,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(keys, tie('value'), { maxKeys: 5 }),
  ),
})).value;

/** The definition we must keep: JSON.parse with a reviver that turns timestamp-keyed RFC 3339 strings into Dates
 * (the same keys and pattern; what is tested is the walk that replaced the reviver). */
function reviverParse(text: string): unknown {
  return JSON.parse(text, (key, value: unknown) =>
    typeof value === 'string' && TIME_KEYS.has(key) && RFC3339.test(value) ? new Date(value) : value,
  );
}

describe('Kubernetes JSON', () => {
  it('revives timestamp fields into Dates and leaves other strings alone', () => {
    const parsed = parseKubeJson(
      '{"metadata":{"creationTimestamp":"2026-01-02T03:04:05Z","name":"2026-01-02T03:04:05Z"},"status":{"startTime":"bad"}}',
    ) as { metadata: { creationTimestamp: unknown; name: unknown }; status: { startTime: unknown } };
    expect(parsed.metadata.creationTimestamp).toEqual(new Date('2026-01-02T03:04:05Z'));
    expect(parsed.metadata.name).toBe('2026-01-02T03:04:05Z');
    expect(parsed.status.startTime).toBe('bad');
  });

  it('revives timestamps inside arrays and nested objects, as a reviver would', () => {
    const parsed = parseKubeJson(
      `{"status":{"conditions":[{"lastTransitionTime":"${TIME}"},{"lastTransitionTime":null}]},"items":["${TIME}"]}`,
    ) as { status: { conditions: { lastTransitionTime: unknown }[] }; items: unknown[] };
    expect(parsed.status.conditions[0]?.lastTransitionTime).toEqual(new Date(TIME));
    expect(parsed.status.conditions[1]?.lastTransitionTime).toBeNull();
    expect(parsed.items[0]).toBe(TIME);
  });

  it('parses any document exactly as JSON.parse with the timestamp reviver', () => {
    fc.assert(
      fc.property(documents, (document) => {
        const text = JSON.stringify(document);
        expect(parseKubeJson(text)).toStrictEqual(reviverParse(text));
      }),
    );
  });

  it('throws SyntaxError on malformed JSON', () => {
    expect(() => parseKubeJson('{"metadata":')).toThrow(SyntaxError);
  });

  it('writes metav1.Time with second precision and MicroTime with six digits', () => {
    const date = new Date('2026-01-02T03:04:05.678Z');
    expect(stringifyKubeJson({ creationTimestamp: date, spec: { renewTime: date } })).toBe(
      '{"creationTimestamp":"2026-01-02T03:04:05Z","spec":{"renewTime":"2026-01-02T03:04:05.678000Z"}}',
    );
  });

  it('formats Dates deep in arrays, writes an invalid Date as null, and leaves objects without Dates as JSON.stringify does', () => {
    const date = new Date('2026-01-02T03:04:05.678Z');
    expect(stringifyKubeJson({ list: [{ eventTime: date }, date], bad: new Date(NaN) })).toBe(
      '{"list":[{"eventTime":"2026-01-02T03:04:05.678000Z"},"2026-01-02T03:04:05Z"],"bad":null}',
    );
    const plain = { a: [1, 'x', null, { b: undefined, c: true }], d: undefined };
    expect(stringifyKubeJson(plain)).toBe(JSON.stringify(plain));
  });

  it('still reports a cycle as JSON.stringify does', () => {
    const cyclic: Record<string, unknown> = { name: 'a' };
    cyclic.self = cyclic;
    expect(() => stringifyKubeJson(cyclic)).toThrow(TypeError);
  });

  it('round-trips an object', () => {
    const text = '{"metadata":{"creationTimestamp":"2026-01-02T03:04:05Z","labels":{"a":"b"}},"items":[1,2]}';
    expect(stringifyKubeJson(parseKubeJson(text))).toBe(text);
  });

  it('serialises any document exactly as JSON.stringify with the timestamp replacer', () => {
    const replacerStringify = (value: unknown): string =>
      JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
        const original = this[key];
        if (!(original instanceof Date)) return v;
        if (Number.isNaN(original.getTime())) return null;
        const iso = original.toISOString();
        return ['renewTime', 'acquireTime', 'eventTime'].includes(key)
          ? `${iso.slice(0, 23)}000Z`
          : `${iso.slice(0, 19)}Z`;
      });
    fc.assert(
      fc.property(documents, (document) => {
        const withDates = reviverParse(JSON.stringify(document));
        expect(stringifyKubeJson(withDates)).toBe(replacerStringify(withDates));
        expect(stringifyKubeJson(document)).toBe(replacerStringify(document));
      }),
    );
  });
});
