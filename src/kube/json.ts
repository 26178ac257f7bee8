/**
 * JSON <-> Kubernetes objects. The @kubernetes/client-node model types declare timestamps as `Date`, so
 * we revive the timestamp fields into `Date` on the way in and write them back in the formats the API
 * server parses (metav1.Time: RFC 3339 seconds; metav1.MicroTime: six fractional digits).
 *
 * Every watch event goes through here, so both directions avoid JSON.parse/JSON.stringify callbacks
 * (one call per value, the controller's largest CPU cost) and walk the plain result instead.
 */

const MICRO_TIME_KEYS = new Set(['renewTime', 'acquireTime', 'eventTime']);
/** Every timestamp field, metav1.Time and MicroTime alike: one lookup per string while parsing. */
export const TIME_KEYS: ReadonlySet<string> = new Set([
  ...MICRO_TIME_KEYS,
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
export const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
/** Deeper than any Kubernetes object; past it the serialiser's own walk decides (and reports cycles). */
const MAX_DEPTH = 1000;

/** Replaces, in place, every timestamp-keyed RFC 3339 string below `value` with a `Date`. */
function reviveTimes(value: unknown): void {
  if (typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    for (const item of value) reviveTimes(item);
    return;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const field = record[key];
    if (typeof field === 'string') {
      if (TIME_KEYS.has(key) && RFC3339.test(field)) {
        record[key] = new Date(field);
      }
    } else {
      reviveTimes(field);
    }
  }
}

/** Parses an API response body; throws SyntaxError on malformed JSON (the caller turns that into a value). */
export function parseKubeJson(text: string): unknown {
  const value: unknown = JSON.parse(text);
  reviveTimes(value);
  return value;
}

function formatTime(date: Date, micro: boolean): string {
  const iso = date.toISOString(); // 2026-01-02T03:04:05.678Z
  return micro ? `${iso.slice(0, 23)}000Z` : `${iso.slice(0, 19)}Z`;
}

/** True when `value` holds a Date (or any other `toJSON` object) that plain JSON.stringify would not format our way. */
function needsTimeFormatting(value: unknown, depth: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (depth > MAX_DEPTH || typeof (value as { toJSON?: unknown }).toJSON === 'function') return true;
  if (Array.isArray(value)) return value.some((item) => needsTimeFormatting(item, depth + 1));
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) if (needsTimeFormatting(record[key], depth + 1)) return true;
  return false;
}

/** Serialises an object for a request body. */
export function stringifyKubeJson(value: unknown): string {
  if (!needsTimeFormatting(value, 0)) return JSON.stringify(value);
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    const original = this[key];
    if (original instanceof Date) {
      return Number.isNaN(original.getTime()) ? null : formatTime(original, MICRO_TIME_KEYS.has(key));
    }
    return v;
  });
}
