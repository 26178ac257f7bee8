/**
 * The GraphQL subset the GraphQL job source uses. Dispatches on `operationName` (genqlient always
 * sends it) rather than parsing the document; answers carry every field those operations select.
 */
import { HttpError } from './http.js';
import type { BuildkiteModel, SimJob } from './model.js';
import type { Route, SimDeps } from './routing.js';

type GraphqlReply = { data: Record<string, unknown> | null; errors?: { message: string }[] };

export function handleGraphql(
  model: BuildkiteModel,
  clusterUuid: string,
  body: Record<string, unknown>,
): GraphqlReply {
  const operation = typeof body.operationName === 'string' ? body.operationName : '';
  const vars = (
    typeof body.variables === 'object' && body.variables !== null ? body.variables : {}
  ) as Record<string, unknown>;
  const orgMatches = vars.slug === model.organizationSlug;
  const orgId = Buffer.from(`Organization---${model.organizationSlug}`).toString('base64');
  switch (operation) {
    case 'GetOrganization':
      return { data: { organization: orgMatches ? { id: orgId, slug: model.organizationSlug } : null } };
    case 'GetScheduledJobs':
    case 'GetScheduledJobsClustered': {
      if (!orgMatches) return { data: { organization: null } };
      if (operation === 'GetScheduledJobsClustered' && vars.cluster !== clusterGraphqlId(clusterUuid)) {
        return { data: null, errors: [{ message: 'No cluster found with that ID' }] };
      }
      return { data: { organization: { id: orgId, jobs: scheduledJobs(model, vars) } } };
    }
    case 'GetClusterQueues': {
      if (!orgMatches) return { data: { organization: null } };
      const edges = [...model.queues.values()].map((q) => ({
        node: { id: q.id, key: q.key, dispatchPaused: q.paused },
      }));
      return { data: { organization: { id: orgId, cluster: { id: vars.cluster, queues: { edges } } } } };
    }
    case 'GetCommandJob': {
      const job = typeof vars.uuid === 'string' ? model.job(vars.uuid) : undefined;
      return { data: { job: job === undefined ? null : commandJob(job) } };
    }
    case 'JobTypeCommandCancel': {
      const input = (typeof vars.input === 'object' && vars.input !== null ? vars.input : {}) as Record<
        string,
        unknown
      >;
      const job = typeof input.id === 'string' ? model.job(jobUuidFromId(input.id)) : undefined;
      if (job === undefined) return { data: null, errors: [{ message: 'No job found with that ID' }] };
      const outcome = model.cancel(job.id);
      if (!outcome.ok) return { data: null, errors: [{ message: outcome.message }] };
      return {
        data: {
          jobTypeCommandCancel: {
            clientMutationId: input.clientMutationId ?? null,
            jobTypeCommand: commandJob(job),
          },
        },
      };
    }
    default:
      return { data: null, errors: [{ message: `The simulator does not support operation "${operation}"` }] };
  }
}

/** Accepts a job UUID or its GraphQL ID (base64 of `JobTypeCommand---<uuid>`). */
function jobUuidFromId(id: string): string {
  const decoded = Buffer.from(id, 'base64').toString('utf8');
  return decoded.startsWith('JobTypeCommand---') ? decoded.slice('JobTypeCommand---'.length) : id;
}

export function clusterGraphqlId(clusterUuid: string): string {
  return Buffer.from(`Cluster---${clusterUuid}`).toString('base64');
}

function commandJob(job: SimJob) {
  return {
    __typename: 'JobTypeCommand',
    id: Buffer.from(`JobTypeCommand---${job.id}`).toString('base64'),
    uuid: job.id,
    state: job.state.toUpperCase(),
    env: Object.entries(job.env).map(([k, v]) => `${k}=${v}`),
    priority: { number: job.priority },
    agentQueryRules: job.agentQueryRules,
    command: job.command,
    scheduledAt: new Date(job.scheduledAt).toISOString(),
  };
}

/** `jobs(state: SCHEDULED, order: RECENTLY_CREATED, last, before)`: the oldest jobs come in the first page. */
function scheduledJobs(model: BuildkiteModel, vars: Record<string, unknown>) {
  const rules = Array.isArray(vars.agentQueryRules)
    ? vars.agentQueryRules.filter((r): r is string => typeof r === 'string')
    : [];
  // Newest first, as RECENTLY_CREATED orders them.
  const ordered = [...model.jobs.keys()]
    .map((id) => model.job(id) as SimJob)
    .filter((j) => j.state === 'scheduled' && rules.every((r) => j.agentQueryRules.includes(r)))
    .sort((a, b) => b.seq - a.seq);
  const last = typeof vars.last === 'number' && vars.last > 0 ? Math.min(vars.last, 500) : 100;
  const before =
    typeof vars.cursor === 'string' ? Number(Buffer.from(vars.cursor, 'base64').toString('utf8')) : null;
  const candidates =
    before === null || Number.isNaN(before) ? ordered : ordered.filter((j) => j.seq > before);
  const page = candidates.slice(Math.max(0, candidates.length - last));
  const first = page[0];
  return {
    count: ordered.length,
    edges: page.map((j) => ({ cursor: Buffer.from(String(j.seq)).toString('base64'), node: commandJob(j) })),
    pageInfo: {
      hasPreviousPage: candidates.length > page.length,
      startCursor: first === undefined ? null : Buffer.from(String(first.seq)).toString('base64'),
    },
  };
}

export function graphqlRoute(deps: SimDeps): Route {
  return {
    method: 'POST',
    pattern: ['graphql'],
    name: 'graphql',
    handler: async ({ req, body, reply }) => {
      if (deps.apiToken === undefined || req.headers.authorization !== `Bearer ${deps.apiToken}`) {
        throw new HttpError(401, 'No valid API access token was provided');
      }
      reply(200, handleGraphql(deps.model, deps.clusterUuid, await body()));
    },
  };
}
