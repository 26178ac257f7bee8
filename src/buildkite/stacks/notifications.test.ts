import { describe, expect, it } from 'vitest';
import { sleep } from '../../backoff.js';
import { createLogger } from '../../observability/logger.js';
import type { ApiResult } from '../types.js';
import { NotificationBatcher, type NotificationRejection, type StackNotification } from './notifications.js';

function setup(options: { capacity?: number; intervalMs?: number; fail?: 'throw' | 'error' } = {}) {
  const lines: string[] = [];
  const logger = createLogger({ format: 'json', level: 'warn', write: (l) => lines.push(l) });
  const batches: StackNotification[][] = [];
  let calls = 0;
  const batcher = new NotificationBatcher({
    logger,
    intervalMs: options.intervalMs ?? 60_000,
    ...(options.capacity === undefined ? {} : { capacity: options.capacity }),
    now: () => Date.parse('2026-04-01T10:00:00Z'),
    send: (batch): Promise<ApiResult<readonly NotificationRejection[]>> => {
      calls++;
      if (options.fail === 'throw' && calls === 1) return Promise.reject(new Error('boom'));
      batches.push([...batch]);
      const rejections = batch.some((n) => n.detail === 'bad')
        ? [{ error: 'Job not found', indexes: [0] }]
        : [];
      return Promise.resolve({ ok: true, value: rejections, retryAfterMs: null });
    },
  });
  return { batcher, batches, lines };
}

describe('NotificationBatcher', () => {
  it('sends queued notifications on the next tick as one batch', async () => {
    const { batcher, batches } = setup({ intervalMs: 5 });
    batcher.enqueue('j1', 'one');
    batcher.enqueue('j2', 'two');
    for (let i = 0; i < 400 && batches.length === 0; i++) await sleep(5);
    expect(batches).toEqual([
      [
        { job_uuid: 'j1', detail: 'one', timestamp: '2026-04-01T10:00:00.000Z' },
        { job_uuid: 'j2', detail: 'two', timestamp: '2026-04-01T10:00:00.000Z' },
      ],
    ]);
    await batcher.close();
    expect(batches).toHaveLength(1);
  });

  it('splits into batches of 1000 and flushes everything on close', async () => {
    const { batcher, batches } = setup();
    for (let i = 0; i < 2500; i++) batcher.enqueue(`j${i}`, 'x');
    await batcher.close();
    expect(batches.map((b) => b.length)).toEqual([1000, 1000, 500]);
    expect(batcher.pending).toBe(0);
  });

  it('drops beyond its capacity and refuses empty or late notifications', async () => {
    const { batcher, batches, lines } = setup({ capacity: 2 });
    expect(batcher.enqueue('j', 'a')).toBe(true);
    expect(batcher.enqueue('j', '')).toBe(false);
    expect(batcher.enqueue('j', 'b')).toBe(true);
    expect(batcher.enqueue('j', 'c')).toBe(false);
    expect(batcher.dropped).toBe(1);
    await batcher.close();
    expect(batcher.enqueue('j', 'd')).toBe(false);
    expect(batches.flat().map((n) => n.detail)).toEqual(['a', 'b']);
    expect(lines.some((l) => l.includes('queue full'))).toBe(true);
  });

  it('logs per-index rejections with the job ids', async () => {
    const { batcher, lines } = setup();
    batcher.enqueue('missing-job', 'bad');
    await batcher.close();
    const line = lines.find((l) => l.includes('rejected'));
    expect(line).toContain('missing-job');
    expect(line).toContain('Job not found');
  });

  it('survives a send that throws and keeps sending later batches', async () => {
    const { batcher, batches, lines } = setup({ fail: 'throw', intervalMs: 5 });
    batcher.enqueue('j', 'first');
    for (let i = 0; i < 400 && !lines.some((l) => l.includes('threw')); i++) await sleep(5);
    batcher.enqueue('j', 'second');
    await batcher.close();
    expect(batches.flat().map((n) => n.detail)).toEqual(['second']);
  });
});
