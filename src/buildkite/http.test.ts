import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createLogger } from '../observability/logger.js';
import { decode } from './decode.js';
import { HttpClient, parseRetryAfter } from './http.js';

const logger = createLogger({ format: 'json', level: 'error', write: () => undefined });

describe('parseRetryAfter', () => {
  it('reads decimal seconds and HTTP dates, and ignores garbage', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 0.5 ', now)).toBe(500);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('-1', now)).toBeNull();
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});

describe('HttpClient', () => {
  let server: Server;
  let base: string;
  let replies: { status: number; body: string }[];
  let hits: number;

  beforeEach(async () => {
    replies = [];
    hits = 0;
    server = createServer((req, res) => {
      hits++;
      const reply = replies.shift() ?? { status: 200, body: '{}' };
      req.resume();
      res.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v3`;
  });
  afterEach(async () => {
    await new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
  });

  const client = (delays: number[] = []) =>
    new HttpClient({
      baseUrl: base,
      timeoutMs: 2000,
      userAgent: 'test',
      authorization: 'Token t',
      logger,
      retry: { attempts: 3, baseMs: 1, maxMs: 1, maxRetryAfterMs: 100 },
      sleep: (ms) => {
        delays.push(ms);
        return Promise.resolve();
      },
    });

  it('treats a 2xx body that is not JSON as retryable, and retries it', async () => {
    replies.push({ status: 200, body: '<html>proxy</html>' }, { status: 200, body: '{"a":1}' });
    const http = client();
    const res = await http.send({ method: 'GET', path: '/x', retry: true });
    await http.close();
    expect(res).toMatchObject({ ok: true, body: { a: 1 } });
    expect(hits).toBe(2);
  });

  it('treats a 2xx body of the wrong shape as retryable', async () => {
    replies.push({ status: 200, body: '{"states":"nope"}' });
    const http = client();
    const res = decode(
      await http.send({ method: 'GET', path: '/x', retry: false }),
      z.object({ states: z.record(z.string(), z.string()) }),
      'get job states',
      (b) => b.states,
    );
    await http.close();
    expect(res.ok).toBe(false);
    if (!res.ok) {
      expect(res.error.kind).toBe('retryable');
      expect(res.error.message).toMatch(/^get job states: unexpected response body/);
    }
  });

  it('keeps the message of an error body, or the raw text when it is not JSON', async () => {
    replies.push(
      { status: 422, body: '{"message":"detail is required"}' },
      { status: 400, body: 'plain text' },
    );
    const http = client();
    const first = await http.send({ method: 'POST', path: '/a', retry: true });
    const second = await http.send({ method: 'POST', path: '/b', retry: true });
    await http.close();
    expect(first).toEqual({
      ok: false,
      error: { kind: 'permanent', status: 422, message: 'POST /v3/a: HTTP 422: detail is required' },
    });
    expect(second).toMatchObject({ ok: false, error: { message: 'POST /v3/b: HTTP 400: plain text' } });
    expect(hits).toBe(2);
  });

  it('caps a long Retry-After', async () => {
    server.removeAllListeners('request');
    server.on('request', (req, res) => {
      hits++;
      req.resume();
      if (hits === 1) res.writeHead(503, { 'retry-after': '3600' }).end('{"message":"busy"}');
      else res.writeHead(200).end('{}');
    });
    const delays: number[] = [];
    const http = client(delays);
    const res = await http.send({ method: 'GET', path: '/x', retry: true });
    await http.close();
    expect(res.ok).toBe(true);
    expect(delays).toEqual([100]);
  });

  it('stops retrying once the caller aborts', async () => {
    replies.push({ status: 500, body: '{}' }, { status: 500, body: '{}' }, { status: 500, body: '{}' });
    const controller = new AbortController();
    const http = new HttpClient({
      baseUrl: base,
      timeoutMs: 2000,
      userAgent: 'test',
      authorization: 'Token t',
      logger,
      sleep: () => {
        controller.abort(new Error('shutting down'));
        return Promise.reject(new Error('shutting down'));
      },
    });
    const res = await http.send({ method: 'GET', path: '/x', retry: true, signal: controller.signal });
    await http.close();
    expect(res).toMatchObject({ ok: false, error: { kind: 'retryable', status: 500 } });
    expect(hits).toBe(1);
  });
});
