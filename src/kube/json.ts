/**
 * JSON <-> Kubernetes objects. The @kubernetes/client-node model types declare timestamps as `Date`, so
 * we revive the timestamp fields into `Date` on the way in and write them back in the formats the API
 * server parses (metav1.Time: RFC 3339 seconds; metav1.MicroTime: six fractional digits).
 */

const TIME_KEYS = new Set([
  'creationTimestamp',
  'deletionTimestamp',
  'startTime',
  'completionTime',
  'lastTransitionTime',
  'lastProbeTime',
  'lastHeartbeatTime',
  'lastUpdateTime',
  'startedAt',
  'finishedAt',
  'firstTimestamp',
  'lastTimestamp',
  'time',
]);
const MICRO_TIME_KEYS = new Set(['renewTime', 'acquireTime', 'eventTime']);
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

function revive(key: string, value: unknown): unknown {
  if (typeof value === 'string' && (TIME_KEYS.has(key) || MICRO_TIME_KEYS.has(key)) && RFC3339.test(value)) {
    return new Date(value);
  }
  return value;
}

/** Parses an API response body; throws SyntaxError on malformed JSON (the caller turns that into a value). */
export function parseKubeJson(text: string): unknown {
  return JSON.parse(text, revive);
}

function formatTime(date: Date, micro: boolean): string {
  const iso = date.toISOString(); // 2026-01-02T03:04:05.678Z
  return micro ? `${iso.slice(0, 23)}000Z` : `${iso.slice(0, 19)}Z`;
}

/** Serialises an object for a request body. */
export function stringifyKubeJson(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    const original = this[key];
    if (original instanceof Date) {
      return Number.isNaN(original.getTime()) ? null : formatTime(original, MICRO_TIME_KEYS.has(key));
    }
    return v;
  });
}
