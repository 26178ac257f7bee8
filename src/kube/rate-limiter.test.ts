import { describe, expect, it } from 'vitest';
import { RateLimiter, type RateLimiterClock } from './rate-limiter.js';

/** A clock that only moves when told; sleeps resolve when the clock passes their deadline. */
class ManualClock implements RateLimiterClock {
  time = 0;
  readonly sleeps: { until: number; resolve: () => void; reject: (e: unknown) => void }[] = [];

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const entry = { until: this.time + ms, resolve, reject };
      this.sleeps.push(entry);
      signal?.addEventListener('abort', () => {
        this.sleeps.splice(this.sleeps.indexOf(entry), 1);
        reject(signal.reason as Error);
      });
    });
  }

  async advance(ms: number): Promise<void> {
    this.time += ms;
    for (const entry of this.sleeps.filter((s) => s.until <= this.time)) {
      this.sleeps.splice(this.sleeps.indexOf(entry), 1);
      entry.resolve();
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function settled(promises: Promise<void>[]): Promise<number> {
  let done = 0;
  for (const p of promises) {
    void p.then(() => done++);
  }
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('RateLimiter', () => {
  it('lets a burst through at once, then paces at qps in arrival order', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ qps: 10, burst: 20, clock });
    const burst = Array.from({ length: 20 }, () => limiter.acquire());
    expect(await settled(burst)).toBe(20);

    const order: number[] = [];
    const queued = [0, 1, 2].map((i) => limiter.acquire().then(() => order.push(i)));
    expect(clock.sleeps.map((s) => s.until)).toEqual([100, 200, 300]);
    await clock.advance(100);
    expect(order).toEqual([0]);
    await clock.advance(200);
    await Promise.all(queued);
    expect(order).toEqual([0, 1, 2]);
  });

  it('refills up to burst, never beyond', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ qps: 5, burst: 2, clock });
    await limiter.acquire();
    await limiter.acquire();
    expect(limiter.available()).toBe(0);
    await clock.advance(10_000);
    expect(limiter.available()).toBe(2);
  });

  it('gives the token back when a waiter aborts', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ qps: 1, burst: 1, clock });
    await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    expect(limiter.available()).toBe(-1);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    expect(limiter.available()).toBe(0);
  });

  it('rejects nonsense settings with a clear error', () => {
    expect(() => new RateLimiter({ qps: 0, burst: 1 })).toThrow(/qps > 0/);
    expect(() => new RateLimiter({ qps: 1, burst: 0 })).toThrow(/burst >= 1/);
  });
});
