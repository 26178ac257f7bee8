import { describe, expect, it } from 'vitest';
import { backoffDelay, sleep } from './backoff.js';

describe('backoffDelay', () => {
  const policy = { baseMs: 100, maxMs: 1000 };

  it('doubles the ceiling per attempt and caps it at maxMs', () => {
    const top = () => 0.999999;
    expect(backoffDelay(0, policy, top)).toBe(99);
    expect(backoffDelay(1, policy, top)).toBe(199);
    expect(backoffDelay(3, policy, top)).toBe(799);
    expect(backoffDelay(4, policy, top)).toBe(999);
    expect(backoffDelay(500, policy, top)).toBe(999);
  });

  it('can return zero (full jitter)', () => {
    expect(backoffDelay(5, policy, () => 0)).toBe(0);
  });
});

describe('sleep', () => {
  it('rejects with the abort reason when aborted', async () => {
    const controller = new AbortController();
    const pending = sleep(10_000, controller.signal);
    controller.abort(new Error('stopping'));
    await expect(pending).rejects.toThrow('stopping');
  });

  it('rejects at once on an already aborted signal', async () => {
    await expect(sleep(10, AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
  });
});
