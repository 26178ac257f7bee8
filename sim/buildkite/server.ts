/**
 * The Buildkite simulator: Stacks API and `/v3/token` (agent token), the agent REST API a
 * `buildkite-agent` uses (`/v3/register`, `connect`, `jobs/{id}/acquire|start|chunks|finish`, ...),
 * GraphQL at `/graphql` (API token), and an admin API without auth. Binds 127.0.0.1 only.
 *
 * Admin API:
 *   POST   /_sim/jobs                 {command?, env?, agent_query_rules?, priority?, queue?,
 *                                      pipeline_slug?, branch?, step_key?} -> 201 {"id"}
 *   GET    /_sim/jobs[/{id}]          state, reservation, exit_status, detail, notifications, logs
 *   POST   /_sim/jobs/{id}/cancel     scheduled/reserved -> canceled; accepted/running -> canceling
 *   POST   /_sim/queues/{key}/pause   (and /unpause)
 *   GET    /_sim/requests             {"counts": {endpoint: n}}
 *   POST   /_sim/faults               {endpoint ("*" = any), status?, retry_after_seconds?, latency_ms?,
 *                                      drop?, count?}; DELETE /_sim/faults clears them
 *   POST   /_sim/clock                {advance_ms}: moves simulated time (reservation expiry)
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { sleep } from '../../src/backoff.js';
import { adminRoutes } from './admin-routes.js';
import { agentRoutes } from './agent-routes.js';
import { takeFault, type FaultEntry, type FaultSpec } from './faults.js';
import { graphqlRoute } from './graphql.js';
import { HttpError, parseJsonObject, readBody, sendJson } from './http.js';
import { BuildkiteModel, type NewJob, type SimJob } from './model.js';
import { matchRoute, type Route } from './routing.js';
import { stacksRoutes } from './stacks-routes.js';

export type { FaultSpec } from './faults.js';

/** Requests per second per (endpoint, stack), as documented for the Stacks API. */
export const DEFAULT_RATE_LIMITS: Readonly<Record<string, number>> = {
  'list-scheduled-jobs': 10,
  'batch-reserve': 10,
  'show-job': 1000,
  'batch-load-job-states': 20,
  'finish-job': 100,
  'stack-notification': 200,
  default: 10,
};

export interface SimRequest {
  readonly endpoint: string;
  readonly method: string;
  /** Raw path and query as sent (still escaped). */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface BuildkiteSimOptions {
  /** Cluster agent token accepted by Stacks, `/v3/token` and agent registration. */
  readonly agentToken: string;
  /** API token for GraphQL (Bearer); GraphQL answers 401 to everything when absent. */
  readonly apiToken?: string;
  readonly port?: number;
  /** Milliseconds since the epoch; `Date.now` when absent. */
  readonly clock?: () => number;
  readonly organizationSlug?: string;
  readonly clusterUuid?: string;
  /** Answer `/v3/token` as for an unclustered (registration) token. */
  readonly unclusteredToken?: boolean;
  readonly defaultQueueKey?: string;
  /** Per-endpoint limits (requests per second), or false to disable rate limiting. */
  readonly rateLimits?: Readonly<Record<string, number>> | false;
}

export interface BuildkiteSim {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Agent API base: `<url>/v3`. */
  readonly agentEndpoint: string;
  /** `<url>/graphql` */
  readonly graphqlEndpoint: string;
  readonly port: number;
  /** Direct access to the state for assertions. */
  readonly model: BuildkiteModel;
  createJob(input: NewJob): SimJob;
  cancelJob(id: string): SimJob;
  pauseQueue(key: string, paused: boolean): void;
  job(id: string): SimJob | undefined;
  /** Request counts per endpoint name. */
  requestCounts(): Record<string, number>;
  /** The most recent requests (up to 1000), oldest first, for header and path assertions. */
  readonly requests: readonly SimRequest[];
  injectFault(fault: FaultSpec): void;
  clearFaults(): void;
  advance(ms: number): void;
  /** Stops listening, drops open connections and pending latency; idempotent. */
  close(): Promise<void>;
}

export async function startBuildkiteSim(options: BuildkiteSimOptions): Promise<BuildkiteSim> {
  const model = new BuildkiteModel({
    now: options.clock ?? Date.now,
    organizationSlug: options.organizationSlug ?? 'sim-org',
    defaultQueueKey: options.defaultQueueKey ?? 'default',
  });
  const clusterUuid = options.clusterUuid ?? randomUUID();
  const counts: Record<string, number> = {};
  const requests: SimRequest[] = [];
  const faults: FaultEntry[] = [];
  const limits = options.rateLimits === false ? {} : (options.rateLimits ?? DEFAULT_RATE_LIMITS);
  const windows = new Map<string, number[]>();

  /** Sliding one-second window per (scope, stack); returns headers, or throws 429. */
  const rateLimit = (scope: string, stackKey: string): Record<string, string> => {
    const limit = limits[scope];
    if (limit === undefined) return {};
    const now = model.now();
    const key = `${scope}\u0000${stackKey}`;
    const hits = (windows.get(key) ?? []).filter((t) => t > now - 1000);
    windows.set(key, hits);
    const reset = hits[0] === undefined ? 1 : Math.max(1, Math.ceil((hits[0] + 1000 - now) / 1000));
    const headers = {
      'RateLimit-Scope': scope,
      'RateLimit-Limit': String(limit),
      'RateLimit-Remaining': String(Math.max(0, limit - hits.length - 1)),
      'RateLimit-Reset': String(reset),
    };
    if (hits.length >= limit) {
      throw new HttpError(
        429,
        `You have exceeded the rate limit of ${limit} requests per second for ${scope}`,
        { scope, limit, current: hits.length + 1, reset },
        { ...headers, 'RateLimit-Remaining': '0', 'Retry-After': String(reset) },
      );
    }
    hits.push(now);
    return headers;
  };

  const deps = {
    model,
    agentToken: options.agentToken,
    apiToken: options.apiToken,
    clusterUuid,
    unclusteredToken: options.unclusteredToken === true,
    rateLimit,
  };
  const routes: Route[] = [
    ...stacksRoutes(deps),
    ...agentRoutes(deps),
    graphqlRoute(deps),
    ...adminRoutes({ model, counts, faults }),
  ];

  const sockets = new Set<Socket>();
  // Aborted on close so injected latency never outlives the server.
  const closing = new AbortController();
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // Only reachable if writing the error reply itself failed; the connection is gone.
      res.destroy(err instanceof Error ? err : new Error(String(err)));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const segments = url.pathname
      .split('/')
      .filter((s) => s !== '')
      .map((s) => {
        try {
          return decodeURIComponent(s);
        } catch {
          return s;
        }
      });
    const match = matchRoute(routes, req.method ?? 'GET', segments);
    const name = match?.route.name ?? 'unknown';
    counts[name] = (counts[name] ?? 0) + 1;
    requests.push({
      endpoint: name,
      method: req.method ?? '',
      url: req.url ?? '',
      headers: { ...req.headers },
    });
    if (requests.length > 1000) requests.shift();
    let cachedBody: Buffer | undefined;
    const rawBody = async (): Promise<Buffer> => (cachedBody ??= await readBody(req));
    try {
      // The admin API is never faulted, so a test can always clear faults.
      const fault = name.startsWith('sim-') ? undefined : takeFault(faults, name);
      if (fault !== undefined) {
        if (fault.latencyMs !== undefined) await sleep(fault.latencyMs, closing.signal);
        if (fault.drop === true) {
          req.socket.destroy();
          return;
        }
        if (fault.status === undefined && fault.retryAfterSeconds !== undefined) {
          res.setHeader('Retry-After', String(fault.retryAfterSeconds));
        }
        if (fault.status !== undefined) {
          throw new HttpError(
            fault.status,
            `Injected fault (HTTP ${fault.status})`,
            {},
            fault.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(fault.retryAfterSeconds) },
          );
        }
      }
      if (match === undefined) throw new HttpError(404, `No route for ${req.method ?? ''} ${url.pathname}`);
      await match.route.handler({
        req,
        res,
        url,
        params: match.params,
        rawBody,
        body: async () => parseJsonObject(await rawBody()),
        reply: (status, body, headers) => {
          sendJson(res, status, body, headers);
        },
      });
    } catch (err) {
      if (res.headersSent) return;
      if (err instanceof HttpError) {
        sendJson(res, err.status, { message: err.message, ...err.extra }, err.headers);
      } else {
        sendJson(res, 500, {
          message: `simulator error: ${err instanceof Error ? err.message : String(err)}`,
        });
      }
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  const stopServer = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      server.close((err) => {
        if (err === undefined) resolve();
        else reject(err);
      });
      closing.abort(new Error('simulator closed'));
      for (const socket of sockets) socket.destroy();
    });
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    agentEndpoint: `${url}/v3`,
    graphqlEndpoint: `${url}/graphql`,
    port,
    model,
    createJob: (input) => model.createJob(input),
    cancelJob: (id) => {
      const outcome = model.cancel(id);
      if (!outcome.ok) throw new Error(outcome.message);
      return outcome.value;
    },
    pauseQueue: (key, paused) => {
      model.pauseQueue(key, paused);
    },
    job: (id) => model.job(id),
    requestCounts: () => ({ ...counts }),
    requests,
    injectFault: (fault) => {
      faults.push({ spec: fault, remaining: fault.count ?? 1 });
    },
    clearFaults: () => {
      faults.length = 0;
    },
    advance: (ms) => {
      model.advance(ms);
    },
    close: () => (closed ??= stopServer()),
  };
}
