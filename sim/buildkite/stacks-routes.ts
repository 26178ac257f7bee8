/** Routes of `GET /v3/token` and the Stacks API (`/v3/stacks/...`), as the Go stacksapi client expects them. */
import { randomUUID } from 'node:crypto';
import type { JobState } from '../../src/buildkite/types.js';
import { HttpError, optionalStringMap, stringList } from './http.js';
import {
  DEFAULT_RESERVATION_SECONDS,
  MAX_RESERVATION_SECONDS,
  type BuildkiteModel,
  type SimJob,
  type SimStack,
} from './model.js';
import { requireAgentToken, requireStack, type RequestContext, type Route, type SimDeps } from './routing.js';

export function stacksRoutes(deps: SimDeps): Route[] {
  const { model } = deps;
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
      requireAgentToken(ctx.req, deps.agentToken);
      const stack = requireStack(model, ctx.params[0] ?? '');
      const headers = deps.rateLimit(name === 'deregister' ? 'default' : name, stack.key);
      for (const [k, v] of Object.entries(headers)) ctx.res.setHeader(k, v);
      await handler(ctx, stack);
    },
  });

  return [
    {
      method: 'GET',
      pattern: ['v3', 'token'],
      name: 'token',
      handler: ({ req, reply }) => {
        requireAgentToken(req, deps.agentToken);
        reply(200, {
          uuid: randomUUID(),
          description: 'simulated agent token',
          token_type: deps.unclusteredToken ? 'unclustered' : 'cluster',
          organization_slug: model.organizationSlug,
          organization_uuid: randomUUID(),
          cluster_uuid: deps.unclusteredToken ? '' : deps.clusterUuid,
          cluster_name: deps.unclusteredToken ? '' : 'sim-cluster',
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
        requireAgentToken(req, deps.agentToken);
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
  ];
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
