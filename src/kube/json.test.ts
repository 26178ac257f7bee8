import { describe, expect, it } from 'vitest';
import { parseKubeJson, stringifyKubeJson } from './json.js';

describe('Kubernetes JSON', () => {
  it('revives timestamp fields into Dates and leaves other strings alone', () => {
    const parsed = parseKubeJson(
      '{"metadata":{"creationTimestamp":"2026-01-02T03:04:05Z","name":"2026-01-02T03:04:05Z"},"status":{"startTime":"bad"}}',
    ) as { metadata: { creationTimestamp: unknown; name: unknown }; status: { startTime: unknown } };
    expect(parsed.metadata.creationTimestamp).toEqual(new Date('2026-01-02T03:04:05Z'));
    expect(parsed.metadata.name).toBe('2026-01-02T03:04:05Z');
    expect(parsed.status.startTime).toBe('bad');
  });

  it('writes metav1.Time with second precision and MicroTime with six digits', () => {
    const date = new Date('2026-01-02T03:04:05.678Z');
    expect(stringifyKubeJson({ creationTimestamp: date, spec: { renewTime: date } })).toBe(
      '{"creationTimestamp":"2026-01-02T03:04:05Z","spec":{"renewTime":"2026-01-02T03:04:05.678000Z"}}',
    );
  });

  it('round-trips an object', () => {
    const text = '{"metadata":{"creationTimestamp":"2026-01-02T03:04:05Z","labels":{"a":"b"}},"items":[1,2]}';
    expect(stringifyKubeJson(parseKubeJson(text))).toBe(text);
  });
});
