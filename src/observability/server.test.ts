import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { createMetrics } from './metrics.js';
import { operationsRoutes, profilerRoutes, serve, type Check, type RunningServer } from './server.js';

const logger = createLogger({ format: 'json', level: 'error', write: () => undefined });
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function start(ready: Check, stallAfterMs?: number): Promise<RunningServer> {
  const registry = new Registry();
  createMetrics(registry, { defaultMetrics: false }).monitor.queries.inc(3);
  const { routes, stop } = operationsRoutes({
    registry,
    logger,
    ready,
    ...(stallAfterMs ? { stallAfterMs } : {}),
  });
  const server = await serve({ ...routes, ...profilerRoutes }, { host: '127.0.0.1', port: 0 }, logger);
  cleanups.push(stop, () => server.close());
  return server;
}

const get = async (server: RunningServer, path: string) => {
  const response = await fetch(`http://127.0.0.1:${server.port}${path}`);
  return { status: response.status, body: await response.text(), type: response.headers.get('content-type') };
};

describe('operations server', () => {
  it('serves metrics in the Prometheus text format', async () => {
    const server = await start(() => ({ ok: true }));
    const { status, body, type } = await get(server, '/metrics');
    expect(status).toBe(200);
    expect(type).toContain('text/plain');
    expect(body).toContain('buildkite_monitor_job_queries_total 3');
  });

  it('answers /readyz from the readiness check, with the reason when not ready', async () => {
    let ready: ReturnType<Check> = { ok: false, reason: 'informers not synced' };
    const server = await start(() => ready);
    expect(await get(server, '/readyz')).toMatchObject({ status: 503, body: 'informers not synced\n' });
    ready = { ok: true };
    expect(await get(server, '/readyz')).toMatchObject({ status: 200, body: 'ok\n' });
  });

  it('fails /healthz after the event loop was blocked longer than allowed', async () => {
    const server = await start(() => ({ ok: true }), 200);
    expect((await get(server, '/healthz')).status).toBe(200);
    const until = Date.now() + 500;
    while (Date.now() < until) {
      // Block the event loop, as a runaway handler would.
    }
    const after = await get(server, '/healthz');
    expect(after.status).toBe(503);
    expect(after.body).toMatch(/^event loop stalled/);
  });

  it('answers 404 for unknown paths and methods', async () => {
    const server = await start(() => ({ ok: true }));
    expect((await get(server, '/nope')).status).toBe(404);
    const post = await fetch(`http://127.0.0.1:${server.port}/metrics`, { method: 'POST' });
    expect(post.status).toBe(404);
  });

  it('serves a CPU profile and rejects a bad duration', async () => {
    const server = await start(() => ({ ok: true }));
    const profile = await get(server, '/debug/profile?seconds=0.05');
    expect(profile.status).toBe(200);
    expect(JSON.parse(profile.body)).toHaveProperty('nodes');
    expect((await get(server, '/debug/profile?seconds=-1')).status).toBe(400);
  });

  it('serves a heap snapshot', async () => {
    const server = await start(() => ({ ok: true }));
    const heap = await get(server, '/debug/heap');
    expect(heap.status).toBe(200);
    expect(heap.body.startsWith('{"snapshot":')).toBe(true);
  }, 60_000);
});
