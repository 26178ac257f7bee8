/** Get-mutate-update with retries on 409 Conflict, as client-go's `retry.RetryOnConflict(DefaultRetry)`. */
import { backoffDelay, sleep, type BackoffPolicy } from '../backoff.js';
import type { CallOptions, WriteOptions } from './client.js';
import { abortedError, failed, ok, type KubeResult } from './errors.js';

/** client-go DefaultRetry: 5 attempts about 10 ms apart. */
const DEFAULT_ATTEMPTS = 5;
const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 10, maxMs: 50 };

export interface ConflictRetryOptions {
  readonly attempts?: number;
  readonly backoff?: BackoffPolicy;
  readonly signal?: AbortSignal;
}

/** Runs `attempt` until it does not fail with Conflict, at most `attempts` times. */
export async function retryOnConflict<T>(
  attempt: () => Promise<KubeResult<T>>,
  options: ConflictRetryOptions = {},
): Promise<KubeResult<T>> {
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
  let result = await attempt();
  for (let i = 1; i < attempts && !result.ok && result.error.kind === 'Conflict'; i++) {
    try {
      await sleep(backoffDelay(i - 1, options.backoff ?? DEFAULT_BACKOFF), options.signal);
    } catch {
      return failed(abortedError());
    }
    result = await attempt();
  }
  return result;
}

interface GetUpdate<T> {
  get(namespace: string, name: string, options?: CallOptions): Promise<KubeResult<T>>;
  update(namespace: string, object: T, options?: WriteOptions): Promise<KubeResult<T>>;
}

/**
 * Reads the object, applies `mutate` to a copy and writes it back, re-reading on Conflict. `mutate`
 * returns undefined when no change is needed; the current object is returned without a write.
 */
export function updateWithRetry<T>(
  resource: GetUpdate<T>,
  namespace: string,
  name: string,
  mutate: (current: T) => T | undefined,
  options: ConflictRetryOptions & WriteOptions = {},
): Promise<KubeResult<T>> {
  const call = options.signal ? { signal: options.signal } : {};
  return retryOnConflict(async () => {
    const current = await resource.get(namespace, name, call);
    if (!current.ok) return current;
    const next = mutate(structuredClone(current.value));
    if (next === undefined) return ok(current.value);
    return resource.update(namespace, next, {
      ...call,
      ...(options.dryRun === true ? { dryRun: true } : {}),
    });
  }, options);
}
