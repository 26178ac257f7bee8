/** Injected faults: error bursts, Retry-After, latency and dropped connections per endpoint. */
import { HttpError } from './http.js';

export interface FaultSpec {
  /** Endpoint name as counted in `requestCounts` (e.g. `list-scheduled-jobs`), or `*`. */
  readonly endpoint: string;
  /** Answer with this status and `{"message"}` instead of handling the request. */
  readonly status?: number;
  /** Sent as `Retry-After` (seconds): with `status`, or alone on an otherwise normal answer. */
  readonly retryAfterSeconds?: number;
  /** Delay before handling (or before the faulty answer). */
  readonly latencyMs?: number;
  /** Destroy the connection without answering. */
  readonly drop?: boolean;
  /** How many requests it affects; 1 when absent. */
  readonly count?: number;
}

export interface FaultEntry {
  readonly spec: FaultSpec;
  remaining: number;
}

export function takeFault(faults: FaultEntry[], name: string): FaultSpec | undefined {
  const index = faults.findIndex(
    (f) => f.remaining > 0 && (f.spec.endpoint === name || f.spec.endpoint === '*'),
  );
  const entry = faults[index];
  if (entry === undefined) return undefined;
  entry.remaining--;
  if (entry.remaining <= 0) faults.splice(index, 1);
  return entry.spec;
}

export function parseFault(b: Record<string, unknown>): FaultSpec {
  const { endpoint, status, retry_after_seconds: retryAfter, latency_ms: latency, drop, count } = b;
  if (typeof endpoint !== 'string' || endpoint === '') throw new HttpError(400, 'endpoint is required');
  const int = (v: unknown, name: string, min: number, max: number): number | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new HttpError(400, `${name} must be an integer between ${min} and ${max}`);
    }
    return v;
  };
  const spec: FaultSpec = {
    endpoint,
    ...(status === undefined ? {} : { status: int(status, 'status', 400, 599) }),
    ...(retryAfter === undefined
      ? {}
      : { retryAfterSeconds: int(retryAfter, 'retry_after_seconds', 0, 3600) }),
    ...(latency === undefined ? {} : { latencyMs: int(latency, 'latency_ms', 0, 600_000) }),
    ...(drop === true ? { drop: true } : {}),
    ...(count === undefined ? {} : { count: int(count, 'count', 1, 1_000_000) }),
  };
  if (
    spec.status === undefined &&
    spec.latencyMs === undefined &&
    spec.drop !== true &&
    spec.retryAfterSeconds === undefined
  ) {
    throw new HttpError(400, 'a fault needs status, retry_after_seconds, latency_ms or drop');
  }
  return spec;
}
