/**
 * The operations HTTP server on `prometheus-port`: `/metrics`, `/healthz` (process alive, event loop not
 * stalled) and `/readyz` (the controller says it can take jobs). With `profiler-address` a second server
 * (or the same one, when the addresses match) serves `/debug/heap` and `/debug/profile?seconds=N`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from './logger.js';
import { cpuProfile, heapSnapshot } from './profiler.js';

export type Check = () => { readonly ok: true } | { readonly ok: false; readonly reason: string };

export interface OperationsServerOptions {
  readonly registry: Registry;
  readonly logger: Logger;
  /** Liveness beyond "the event loop answers"; defaults to always healthy. */
  readonly healthy?: Check;
  readonly ready: Check;
  /** An event-loop stall longer than this fails /healthz for three times as long. */
  readonly stallAfterMs?: number;
}

type Route = (request: IncomingMessage, response: ServerResponse, url: URL) => Promise<void> | void;

/** Routes of the operations server, usable on any node:http server. */
export function operationsRoutes(options: OperationsServerOptions): {
  routes: Record<string, Route>;
  stop: () => void;
} {
  // A stall that is still going on cannot be answered at all (the probe times out); this catches the
  // stalls the loop recovered from, which point at GC thrash or a runaway handler.
  const stallAfterMs = options.stallAfterMs ?? 10_000;
  const heartbeatMs = Math.max(10, Math.min(1000, Math.floor(stallAfterMs / 4)));
  let lastBeat = Date.now();
  let lastStall: { at: number; ms: number } | undefined;
  const heartbeat = setInterval(() => {
    const now = Date.now();
    const lag = now - lastBeat - heartbeatMs;
    if (lag > stallAfterMs) lastStall = { at: now, ms: lag };
    lastBeat = now;
  }, heartbeatMs);
  heartbeat.unref();

  const check = (response: ServerResponse, result: ReturnType<Check>): void => {
    response.writeHead(result.ok ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8' });
    response.end(result.ok ? 'ok\n' : `${result.reason}\n`);
  };

  return {
    stop: () => {
      clearInterval(heartbeat);
    },
    routes: {
      '/metrics': async (_request, response) => {
        const body = await options.registry.metrics();
        response.writeHead(200, { 'content-type': options.registry.contentType });
        response.end(body);
      },
      '/healthz': (_request, response) => {
        if (lastStall !== undefined && Date.now() - lastStall.at < 3 * stallAfterMs) {
          check(response, { ok: false, reason: `event loop stalled for ${lastStall.ms} ms` });
          return;
        }
        check(response, options.healthy?.() ?? { ok: true });
      },
      '/readyz': (_request, response) => {
        check(response, options.ready());
      },
    },
  };
}

export const profilerRoutes: Record<string, Route> = {
  '/debug/heap': async (_request, response) => {
    const snapshot = await heapSnapshot();
    response.writeHead(200, {
      'content-type': 'application/json',
      'content-disposition': 'attachment; filename="agent-stack-k8s.heapsnapshot"',
    });
    response.end(snapshot);
  },
  '/debug/profile': async (_request, response, url) => {
    const seconds = Number(url.searchParams.get('seconds') ?? '30');
    if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 600) {
      response.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('seconds must be a number between 0 and 600\n');
      return;
    }
    const profile = await cpuProfile(seconds * 1000);
    response.writeHead(200, {
      'content-type': 'application/json',
      'content-disposition': 'attachment; filename="agent-stack-k8s.cpuprofile"',
    });
    response.end(profile);
  },
};

export interface RunningServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Serves `routes` on host:port (port 0 picks a free one); unknown paths answer 404. */
export async function serve(
  routes: Record<string, Route>,
  address: { host: string; port: number },
  logger: Logger,
): Promise<RunningServer> {
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const route = request.method === 'GET' ? routes[url.pathname] : undefined;
    if (route === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('not found\n');
      return;
    }
    Promise.resolve(route(request, response, url)).catch((error: unknown) => {
      logger.error({ err: error, path: url.pathname }, 'operations endpoint failed');
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('internal error\n');
    });
  });
  server.headersTimeout = 2000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
