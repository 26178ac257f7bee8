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
import type { JobState } from '../../src/buildkite/types.js';
import { handleGraphql } from './graphql.js';
import { HttpError, optionalStringMap, parseJsonObject, readBody, sendJson, stringList } from './http.js';
import {
  BuildkiteModel,
  DEFAULT_RESERVATION_SECONDS,
  MAX_RESERVATION_SECONDS,
  type NewJob,
  type SimJob,
  type SimStack,
} from './model.js';

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

export interface FaultSpec {
  /** Endpoint name as counted in `requestCounts` (e.g. `list-scheduled-jobs`), or `*`. */
  readonly endpoint: string;
  /** Answer with this status and `{"message"}` instead of handling the request. */
  readonly status?: number;
  /** Sent as `Retry-After` (seconds): with `status`, or alone on an otherwise normal answer. */
  readonly retryAfterSeconds?: number;
  /** Delay before handling (or before the faulty answer). */
  readonly latencyMs?: number;
  /** Destroy the connection without answering. */
  readonly drop?: boolean;
  /** How many requests it affects; 1 when absent. */
  readonly count?: number;
}

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

type Handler = (ctx: RequestContext) => Promise<void> | void;

interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly params: readonly string[];
  readonly body: () => Promise<Record<string, unknown>>;
  readonly rawBody: () => Promise<Buffer>;
  readonly reply: (status: number, body: unknown, headers?: Record<string, string>) => void;
}

interface Route {
  readonly method: string;
  /** Path segments; `*` matches one segment, captured into params. */
  readonly pattern: readonly string[];
  readonly name: string;
  readonly handler: Handler;
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
  const faults: { spec: FaultSpec; remaining: number }[] = [];
  const limits = options.rateLimits === false ? {} : (options.rateLimits ?? DEFAULT_RATE_LIMITS);
  const windows = new Map<string, number[]>();

  const requireStack = (key: string): SimStack => {
    const stack = model.stacks.get(key);
    if (stack === undefined) throw new HttpError(404, `Stack ${key} not found`);
    return stack;
  };
  const requireAgentToken = (req: IncomingMessage): void => {
    if (req.headers.authorization !== `Token ${options.agentToken}`) {
      throw new HttpError(401, 'Unauthorized: a valid agent token is required');
    }
  };
  const bearerToken = (req: IncomingMessage): string => {
    const match = /^Token (.+)$/.exec(req.headers.authorization ?? '');
    if (match?.[1] === undefined) throw new HttpError(401, 'Unauthorized');
    return match[1];
  };
  const requireSession = (req: IncomingMessage) => {
    const agent = model.agentBySession(bearerToken(req));
    if (agent === undefined) throw new HttpError(401, 'Unauthorized: unknown session token');
    return agent;
  };
  /** Job endpoints take the job token, or the session token of the agent holding the job. */
  const requireJobAccess = (req: IncomingMessage, jobId: string): SimJob => {
    const token = bearerToken(req);
    const job = model.job(jobId);
    if (job === undefined) throw new HttpError(404, 'No job found');
    const agent = model.agentBySession(token);
    if (model.jobIdByToken(token) !== jobId && (agent === undefined || agent.id !== job.agentId)) {
      throw new HttpError(401, 'Unauthorized: this token cannot access the job');
    }
    return job;
  };

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

  const jobView = (job: SimJob) => ({
    id: job.id,
    state: job.state,
    queue: job.queueKey,
    priority: job.priority,
    agent_query_rules: job.agentQueryRules,
    command: job.command,
    env: job.env,
    reservation:
      job.reservation === null
        ? null
        : {
            stack_key: job.reservation.stackKey,
            expires_at: new Date(job.reservation.expiresAt).toISOString(),
          },
    exit_status: job.exitStatus,
    detail: job.detail,
    signal_reason: job.signalReason,
    finished_by: job.finishedBy,
    agent_id: job.agentId,
    notifications: job.notifications,
    logs: model.log(job),
  });

  const stackRoute = (
    method: string,
    suffix: string[],
    name: string,
    handler: (ctx: RequestContext, stack: SimStack) => Promise<void> | void,
  ): Route => ({
    method,
    pattern: ['v3', 'stacks', '*', ...suffix],
    name,
    handler: async (ctx) => {
      requireAgentToken(ctx.req);
      const stack = requireStack(ctx.params[0] ?? '');
      const headers = rateLimit(name === 'deregister' ? 'default' : name, stack.key);
      for (const [k, v] of Object.entries(headers)) ctx.res.setHeader(k, v);
      await handler(ctx, stack);
    },
  });

  const routes: Route[] = [
    {
      method: 'GET',
      pattern: ['v3', 'token'],
      name: 'token',
      handler: ({ req, reply }) => {
        requireAgentToken(req);
        reply(200, {
          uuid: randomUUID(),
          description: 'simulated agent token',
          token_type: options.unclusteredToken === true ? 'unclustered' : 'cluster',
          organization_slug: model.organizationSlug,
          organization_uuid: randomUUID(),
          cluster_uuid: options.unclusteredToken === true ? '' : clusterUuid,
          cluster_name: options.unclusteredToken === true ? '' : 'sim-cluster',
          organization_queue_uuid: '',
          organization_queue_key: '',
        });
      },
    },
    {
      method: 'POST',
      pattern: ['v3', 'stacks', 'register'],
      name: 'register-stack',
      handler: async ({ req, body, reply }) => {
        requireAgentToken(req);
        const b = await body();
        const key = typeof b.key === 'string' ? b.key : '';
        if (!/^[A-Za-z0-9_-]{1,80}$/.test(key)) {
          throw new HttpError(422, 'key must be 1-80 characters of letters, digits, "_" or "-"');
        }
        const type = typeof b.type === 'string' ? b.type : 'custom';
        if (!['kubernetes', 'elastic', 'custom'].includes(type))
          throw new HttpError(422, `type ${type} is not valid`);
        const queueKey = typeof b.queue_key === 'string' && b.queue_key !== '' ? b.queue_key : '_default';
        const metadata = optionalStringMap(b.metadata, 'metadata');
        if (Object.keys(metadata).length > 100)
          throw new HttpError(422, 'metadata can have at most 100 keys');
        for (const [k, v] of Object.entries(metadata)) {
          if (k.length > 64 || v.length > 256) throw new HttpError(422, `metadata ${k} is too long`);
        }
        const { stack, created } = model.registerStack({ key, type, queueKey, metadata });
        reply(created ? 201 : 200, {
          id: stack.id,
          organization_uuid: randomUUID(),
          cluster_queue_key: stack.queueKey,
          key: stack.key,
          type: stack.type,
          metadata: stack.metadata,
          last_connected_on: new Date(stack.lastConnectedOn).toISOString(),
          state: stack.state,
        });
      },
    },
    stackRoute('GET', ['scheduled-jobs'], 'list-scheduled-jobs', ({ url, reply }) => {
      const queueKey = url.searchParams.get('queue_key');
      if (queueKey === null || queueKey === '') throw new HttpError(400, 'queue_key is required');
      const queue = model.queues.get(model.resolveQueueKey(queueKey));
      if (queue === undefined) throw new HttpError(404, `Cluster queue ${queueKey} not found`);
      const limitParam = url.searchParams.get('limit');
      const limit = limitParam === null ? 100 : Number(limitParam);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
        throw new HttpError(400, 'limit must be an integer between 1 and 1000');
      }
      const after = url.searchParams.get('after');
      const position = after === null || after === '' ? null : decodeCursor(after);
      const all = model
        .scheduledJobs(queue.key)
        .filter(
          (j) =>
            position === null ||
            j.scheduledAt > position.t ||
            (j.scheduledAt === position.t && j.seq > position.s),
        );
      const page = all.slice(0, limit);
      const last = page.at(-1);
      reply(200, {
        jobs: page.map((j) => ({
          id: j.id,
          priority: j.priority,
          agent_query_rules: j.agentQueryRules,
          scheduled_at: new Date(j.scheduledAt).toISOString(),
          pipeline: { slug: j.pipeline.slug, uuid: j.pipeline.uuid },
          build: { uuid: j.build.uuid, number: j.build.number, branch: j.build.branch },
          step: { key: j.stepKey },
        })),
        page_info: {
          has_next_page: all.length > page.length,
          end_cursor: last === undefined ? null : encodeCursor(last),
        },
        // The docs say dispatch_paused, the Go client reads paused: send both.
        cluster_queue: { id: queue.id, paused: queue.paused, dispatch_paused: queue.paused },
      });
    }),
    stackRoute(
      'PUT',
      ['scheduled-jobs', 'batch-reserve'],
      'batch-reserve',
      async ({ body, reply }, stack) => {
        const b = await body();
        const ids = stringList(b.job_uuids, 'job_uuids', 1000);
        const expiry = b.reservation_expiry_seconds ?? DEFAULT_RESERVATION_SECONDS;
        if (
          typeof expiry !== 'number' ||
          !Number.isInteger(expiry) ||
          expiry < 1 ||
          expiry > MAX_RESERVATION_SECONDS
        ) {
          throw new HttpError(
            422,
            `reservation_expiry_seconds must be an integer between 1 and ${MAX_RESERVATION_SECONDS}`,
          );
        }
        const result = model.reserve(stack.key, ids, expiry);
        reply(200, { reserved: result.reserved, not_reserved: result.notReserved });
      },
    ),
    stackRoute('POST', ['jobs', 'get-states'], 'batch-load-job-states', async ({ body, reply }) => {
      const ids = stringList((await body()).job_uuids, 'job_uuids', 1000);
      const states: Record<string, JobState> = {};
      for (const id of ids) {
        const job = model.job(id);
        if (job !== undefined) states[id] = job.state;
      }
      reply(200, { states });
    }),
    stackRoute('GET', ['jobs', '*'], 'show-job', ({ params, reply }) => {
      const job = model.job(params[1] ?? '');
      if (job === undefined) throw new HttpError(404, 'Job not found');
      reply(200, { id: job.id, env: job.env, command: job.command });
    }),
    stackRoute('POST', ['jobs', '*', 'finish'], 'finish-job', async ({ params, body, reply }) => {
      const b = await body();
      const exitStatus = b.exit_status ?? -1;
      if (typeof exitStatus !== 'number' || !Number.isInteger(exitStatus)) {
        throw new HttpError(422, 'exit_status must be an integer');
      }
      if (typeof b.detail !== 'string' || b.detail === '') throw new HttpError(422, 'detail is required');
      if (Buffer.byteLength(b.detail, 'utf8') > 4096)
        throw new HttpError(422, 'detail must be at most 4096 bytes');
      const outcome = model.finishByStack(params[1] ?? '', exitStatus, b.detail);
      if (!outcome.ok) throw new HttpError(outcome.status, outcome.message);
      reply(200, {});
    }),
    stackRoute('POST', ['notifications'], 'stack-notification', async ({ body, reply }) => {
      const b = await body();
      if (!Array.isArray(b.notifications)) throw new HttpError(422, 'notifications must be an array');
      if (b.notifications.length > 1000)
        throw new HttpError(422, 'notifications can contain at most 1000 items');
      const errors = new Map<string, number[]>();
      (b.notifications as unknown[]).forEach((n, index) => {
        const problem = acceptNotification(model, n);
        if (problem !== null) errors.set(problem, [...(errors.get(problem) ?? []), index]);
      });
      reply(200, { errors: [...errors].map(([error, indexes]) => ({ error, indexes })) });
    }),
    stackRoute('POST', ['deregister'], 'deregister', ({ reply }, stack) => {
      stack.state = 'disconnected';
      reply(204, null);
    }),

    // Agent REST API (what buildkite-agent --acquire-job and the acquire-and-fail path use).
    {
      method: 'POST',
      pattern: ['v3', 'register'],
      name: 'agent-register',
      handler: async ({ req, body, reply }) => {
        requireAgentToken(req);
        const b = await body();
        const metaData = Array.isArray(b.meta_data)
          ? b.meta_data.filter((m): m is string => typeof m === 'string')
          : [];
        const agent = model.registerAgent(typeof b.name === 'string' ? b.name : '', metaData);
        reply(200, {
          id: agent.id,
          name: agent.name,
          access_token: agent.accessToken,
          endpoint: '',
          request_headers: {},
          // All three must be > 0: the agent builds tickers from them.
          ping_interval: 1,
          job_status_interval: 1,
          heartbeat_interval: 10,
          meta_data: agent.metaData,
        });
      },
    },
    {
      method: 'POST',
      pattern: ['v3', 'connect'],
      name: 'agent-connect',
      handler: ({ req, reply }) => {
        requireSession(req).connected = true;
        reply(200, {});
      },
    },
    {
      method: 'POST',
      pattern: ['v3', 'heartbeat'],
      name: 'agent-heartbeat',
      handler: async ({ req, body, reply }) => {
        requireSession(req);
        const b = await body();
        reply(200, { sent_at: b.sent_at ?? null, received_at: new Date(model.now()).toISOString() });
      },
    },
    {
      method: 'GET',
      pattern: ['v3', 'ping'],
      name: 'agent-ping',
      handler: ({ req, reply }) => {
        requireSession(req);
        reply(200, {});
      },
    },
    {
      method: 'POST',
      pattern: ['v3', 'disconnect'],
      name: 'agent-disconnect',
      handler: ({ req, reply }) => {
        model.disconnectAgent(requireSession(req));
        reply(200, {});
      },
    },
    {
      method: 'PUT',
      pattern: ['v3', 'jobs', '*', 'acquire'],
      name: 'agent-acquire',
      handler: ({ req, params, reply }) => {
        const agent = requireSession(req);
        const outcome = model.acquire(agent, params[0] ?? '');
        if (!outcome.ok) throw new HttpError(outcome.status, outcome.message);
        const job = outcome.value;
        reply(200, {
          id: job.id,
          endpoint: '',
          state: job.state,
          env: { ...job.env, BUILDKITE_AGENT_NAME: agent.name, BUILDKITE_AGENT_ID: agent.id },
          step: {},
          matrix_permutation: null,
          chunks_max_size_bytes: 102_400,
          chunks_interval_seconds: 1,
          log_max_size_bytes: 0,
          token: job.jobToken,
          runnable_at: new Date(job.scheduledAt).toISOString(),
          priority: job.priority,
        });
      },
    },
    {
      method: 'PUT',
      pattern: ['v3', 'jobs', '*', 'start'],
      name: 'agent-start',
      handler: ({ req, params, reply }) => {
        const job = requireJobAccess(req, params[0] ?? '');
        const outcome = model.start(job.id);
        if (!outcome.ok) throw new HttpError(outcome.status, outcome.message);
        reply(200, { id: job.id, state: job.state });
      },
    },
    {
      method: 'POST',
      pattern: ['v3', 'jobs', '*', 'chunks'],
      name: 'agent-chunks',
      handler: async ({ req, url, params, rawBody, reply }) => {
        const job = requireJobAccess(req, params[0] ?? '');
        const offset = Number(url.searchParams.get('offset') ?? '0');
        if (!Number.isInteger(offset) || offset < 0)
          throw new HttpError(422, 'offset must be a non-negative integer');
        job.logChunks.set(offset, await rawBody());
        reply(201, {});
      },
    },
    {
      method: 'POST',
      pattern: ['v3', 'jobs', '*', 'header_times'],
      name: 'agent-header-times',
      handler: ({ req, params, reply }) => {
        requireJobAccess(req, params[0] ?? '');
        reply(200, {});
      },
    },
    {
      method: 'GET',
      pattern: ['v3', 'jobs', '*'],
      name: 'agent-job-state',
      handler: ({ req, params, reply }) => {
        const job = requireJobAccess(req, params[0] ?? '');
        reply(200, { id: job.id, state: job.state });
      },
    },
    {
      method: 'PUT',
      pattern: ['v3', 'jobs', '*', 'finish'],
      name: 'agent-finish',
      handler: async ({ req, params, body, reply }) => {
        const job = requireJobAccess(req, params[0] ?? '');
        const b = await body();
        // The agent sends exit_status as a string and omits it when empty.
        const exit = b.exit_status;
        if (exit !== undefined && typeof exit !== 'string' && typeof exit !== 'number') {
          throw new HttpError(422, 'exit_status must be a string');
        }
        const outcome = model.finishByAgent(
          job.id,
          exit === undefined ? '' : String(exit),
          typeof b.signal_reason === 'string' ? b.signal_reason : null,
        );
        if (!outcome.ok) throw new HttpError(outcome.status, outcome.message);
        reply(200, { id: job.id, state: job.state });
      },
    },

    {
      method: 'POST',
      pattern: ['graphql'],
      name: 'graphql',
      handler: async ({ req, body, reply }) => {
        if (options.apiToken === undefined || req.headers.authorization !== `Bearer ${options.apiToken}`) {
          throw new HttpError(401, 'No valid API access token was provided');
        }
        reply(200, handleGraphql(model, clusterUuid, await body()));
      },
    },

    // Admin API.
    {
      method: 'POST',
      pattern: ['_sim', 'jobs'],
      name: 'sim-create-job',
      handler: async ({ body, reply }) => {
        reply(201, { id: model.createJob(parseNewJob(await body())).id });
      },
    },
    {
      method: 'GET',
      pattern: ['_sim', 'jobs'],
      name: 'sim-list-jobs',
      handler: ({ reply }) => {
        reply(200, { jobs: [...model.jobs.keys()].map((id) => jobView(model.job(id) as SimJob)) });
      },
    },
    {
      method: 'GET',
      pattern: ['_sim', 'jobs', '*'],
      name: 'sim-show-job',
      handler: ({ params, reply }) => {
        const job = model.job(params[0] ?? '');
        if (job === undefined) throw new HttpError(404, 'Job not found');
        reply(200, jobView(job));
      },
    },
    {
      method: 'POST',
      pattern: ['_sim', 'jobs', '*', 'cancel'],
      name: 'sim-cancel-job',
      handler: ({ params, reply }) => {
        const outcome = model.cancel(params[0] ?? '');
        if (!outcome.ok) throw new HttpError(outcome.status, outcome.message);
        reply(200, jobView(outcome.value));
      },
    },
    {
      method: 'POST',
      pattern: ['_sim', 'queues', '*', 'pause'],
      name: 'sim-pause-queue',
      handler: ({ params, reply }) => {
        reply(200, model.pauseQueue(params[0] ?? '', true));
      },
    },
    {
      method: 'POST',
      pattern: ['_sim', 'queues', '*', 'unpause'],
      name: 'sim-unpause-queue',
      handler: ({ params, reply }) => {
        reply(200, model.pauseQueue(params[0] ?? '', false));
      },
    },
    {
      method: 'GET',
      pattern: ['_sim', 'requests'],
      name: 'sim-requests',
      handler: ({ reply }) => {
        reply(200, { counts: { ...counts } });
      },
    },
    {
      method: 'POST',
      pattern: ['_sim', 'faults'],
      name: 'sim-add-fault',
      handler: async ({ body, reply }) => {
        const fault = parseFault(await body());
        faults.push({ spec: fault, remaining: fault.count ?? 1 });
        reply(201, fault);
      },
    },
    {
      method: 'DELETE',
      pattern: ['_sim', 'faults'],
      name: 'sim-clear-faults',
      handler: ({ reply }) => {
        faults.length = 0;
        reply(204, null);
      },
    },
    {
      method: 'POST',
      pattern: ['_sim', 'clock'],
      name: 'sim-advance-clock',
      handler: async ({ body, reply }) => {
        const { advance_ms: ms } = await body();
        if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
          throw new HttpError(400, 'advance_ms must be a non-negative number');
        }
        model.advance(ms);
        reply(200, { now: new Date(model.now()).toISOString() });
      },
    },
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

function matchRoute(
  routes: readonly Route[],
  method: string,
  segments: readonly string[],
): { route: Route; params: string[] } | undefined {
  for (const route of routes) {
    if (route.method !== method || route.pattern.length !== segments.length) continue;
    const params: string[] = [];
    const matches = route.pattern.every((part, i) => {
      const seg = segments[i] ?? '';
      if (part === '*') {
        params.push(seg);
        return true;
      }
      return part === seg;
    });
    if (matches) return { route, params };
  }
  return undefined;
}

function takeFault(faults: { spec: FaultSpec; remaining: number }[], name: string): FaultSpec | undefined {
  const index = faults.findIndex(
    (f) => f.remaining > 0 && (f.spec.endpoint === name || f.spec.endpoint === '*'),
  );
  const entry = faults[index];
  if (entry === undefined) return undefined;
  entry.remaining--;
  if (entry.remaining <= 0) faults.splice(index, 1);
  return entry.spec;
}

function encodeCursor(job: SimJob): string {
  return Buffer.from(JSON.stringify({ t: job.scheduledAt, s: job.seq })).toString('base64url');
}

function decodeCursor(cursor: string): { t: number; s: number } {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (typeof value === 'object' && value !== null && 't' in value && 's' in value) {
      const { t, s } = value;
      if (typeof t === 'number' && typeof s === 'number') return { t, s };
    }
  } catch {
    // fall through to the error below
  }
  throw new HttpError(400, 'after is not a valid cursor');
}

/** Null when the notification is accepted (and recorded), else the reason it was refused. */
function acceptNotification(model: BuildkiteModel, n: unknown): string | null {
  if (typeof n !== 'object' || n === null) return 'Notification must be an object';
  const { job_uuid: jobId, detail, timestamp } = n as Record<string, unknown>;
  if (typeof jobId !== 'string') return 'job_uuid is required';
  const job = model.job(jobId);
  if (job === undefined) return 'Job not found';
  if (typeof detail !== 'string' || detail === '') return 'detail is required';
  // Rails counts characters (code points), not bytes.
  if (Array.from(detail).length > 256) return 'detail is too long (maximum is 256 characters)';
  const now = model.now();
  let at = now;
  if (timestamp !== undefined && timestamp !== null) {
    at = typeof timestamp === 'string' ? Date.parse(timestamp) : Number.NaN;
    if (Number.isNaN(at)) return 'timestamp is not a valid RFC 3339 time';
    if (at > now + 1000) return 'timestamp cannot be in the future';
    if (at < job.createdAt - 1000) return 'timestamp cannot be before the job was created';
  }
  if (job.finishedAt !== null && now - job.finishedAt > 300_000) {
    return 'Job finished more than 300 seconds ago';
  }
  if (job.notifications.length >= 100) return 'Job already has the maximum of 100 notifications';
  job.notifications.push({ detail, timestamp: new Date(at).toISOString() });
  return null;
}

function parseNewJob(b: Record<string, unknown>): NewJob {
  const {
    command,
    env,
    agent_query_rules: rules,
    priority,
    queue,
    pipeline_slug: pipelineSlug,
    branch,
    step_key: stepKey,
  } = b;
  if (command !== undefined && typeof command !== 'string')
    throw new HttpError(400, 'command must be a string');
  if (priority !== undefined && (typeof priority !== 'number' || !Number.isInteger(priority))) {
    throw new HttpError(400, 'priority must be an integer');
  }
  for (const [name, value] of Object.entries({
    queue,
    pipeline_slug: pipelineSlug,
    branch,
    step_key: stepKey,
  })) {
    if (value !== undefined && typeof value !== 'string')
      throw new HttpError(400, `${name} must be a string`);
  }
  let parsedRules: string[] | undefined;
  try {
    parsedRules = rules === undefined ? undefined : stringList(rules, 'agent_query_rules', 1000);
    return {
      ...(command === undefined ? {} : { command }),
      env: optionalStringMap(env, 'env'),
      ...(parsedRules === undefined ? {} : { agentQueryRules: parsedRules }),
      ...(priority === undefined ? {} : { priority: priority }),
      ...(queue === undefined ? {} : { queue: queue as string }),
      ...(pipelineSlug === undefined ? {} : { pipelineSlug: pipelineSlug as string }),
      ...(branch === undefined ? {} : { branch: branch as string }),
      ...(stepKey === undefined ? {} : { stepKey: stepKey as string }),
    };
  } catch (err) {
    if (err instanceof HttpError) throw new HttpError(400, err.message);
    throw err;
  }
}

function parseFault(b: Record<string, unknown>): FaultSpec {
  const { endpoint, status, retry_after_seconds: retryAfter, latency_ms: latency, drop, count } = b;
  if (typeof endpoint !== 'string' || endpoint === '') throw new HttpError(400, 'endpoint is required');
  const int = (v: unknown, name: string, min: number, max: number): number | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new HttpError(400, `${name} must be an integer between ${min} and ${max}`);
    }
    return v;
  };
  const spec: FaultSpec = {
    endpoint,
    ...(status === undefined ? {} : { status: int(status, 'status', 400, 599) }),
    ...(retryAfter === undefined
      ? {}
      : { retryAfterSeconds: int(retryAfter, 'retry_after_seconds', 0, 3600) }),
    ...(latency === undefined ? {} : { latencyMs: int(latency, 'latency_ms', 0, 600_000) }),
    ...(drop === true ? { drop: true } : {}),
    ...(count === undefined ? {} : { count: int(count, 'count', 1, 1_000_000) }),
  };
  if (
    spec.status === undefined &&
    spec.latencyMs === undefined &&
    spec.drop !== true &&
    spec.retryAfterSeconds === undefined
  ) {
    throw new HttpError(400, 'a fault needs status, retry_after_seconds, latency_ms or drop');
  }
  return spec;
}
