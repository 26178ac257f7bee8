/**
 * Client-side token bucket, as client-go's `flowcontrol.NewTokenBucketRateLimiter(qps, burst)`: up to
 * `burst` requests at once, refilled at `qps` per second. Callers reserve a token even when the bucket is
 * empty (it goes negative) and sleep until their token is due, so waiters are served in arrival order.
 */
import { sleep } from '../backoff.js';

export interface RateLimiterClock {
  /** Milliseconds, monotonic. */
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: RateLimiterClock = {
  now: () => performance.now(),
  sleep,
};

export interface RateLimiterOptions {
  readonly qps: number;
  readonly burst: number;
  readonly clock?: RateLimiterClock;
}

export class RateLimiter {
  readonly #qps: number;
  readonly #burst: number;
  readonly #clock: RateLimiterClock;
  #tokens: number;
  #last: number;

  constructor(options: RateLimiterOptions) {
    if (!(options.qps > 0) || !(options.burst >= 1)) {
      throw new RangeError(
        `rate limiter needs qps > 0 and burst >= 1, got qps=${options.qps} burst=${options.burst}`,
      );
    }
    this.#qps = options.qps;
    this.#burst = options.burst;
    this.#clock = options.clock ?? systemClock;
    this.#tokens = options.burst;
    this.#last = this.#clock.now();
  }

  /** Tokens in the bucket now (negative while callers are queued). */
  available(): number {
    this.#refill();
    return this.#tokens;
  }

  /** Waits for a token. On abort the reserved token is given back and the signal's reason is thrown. */
  async acquire(signal?: AbortSignal): Promise<void> {
    this.#refill();
    this.#tokens -= 1;
    if (this.#tokens >= 0) return;
    const waitMs = (-this.#tokens / this.#qps) * 1000;
    try {
      await this.#clock.sleep(waitMs, signal);
    } catch (error) {
      this.#tokens += 1;
      throw error;
    }
  }

  #refill(): void {
    const now = this.#clock.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) / 1000) * this.#qps);
    this.#last = now;
  }
}
