/** Exponential backoff with full jitter, and an abortable sleep, shared by every retry loop. */

export interface BackoffPolicy {
  /** Delay ceiling for the first retry, in milliseconds. */
  readonly baseMs: number;
  /** Largest delay ever returned, in milliseconds. */
  readonly maxMs: number;
}

/**
 * Delay before retry number `attempt` (0 for the first retry): uniformly random in
 * [0, min(maxMs, baseMs * 2^attempt)]. Full jitter spreads a fleet of retrying clients apart.
 */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
