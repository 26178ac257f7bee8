/** Agent REST API routes: what `buildkite-agent --acquire-job` and the acquire-and-fail path call. */
import { HttpError } from './http.js';
import { requireAgentToken, requireJobAccess, requireSession, type Route, type SimDeps } from './routing.js';

export function agentRoutes(deps: SimDeps): Route[] {
  const { model } = deps;
  return [
    {
      method: 'POST',
      pattern: ['v3', 'register'],
      name: 'agent-register',
      handler: async ({ req, body, reply }) => {
        requireAgentToken(req, deps.agentToken);
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
        requireSession(model, req).connected = true;
        reply(200, {});
      },
    },
    {
      method: 'POST',
      pattern: ['v3', 'heartbeat'],
      name: 'agent-heartbeat',
      handler: async ({ req, body, reply }) => {
        requireSession(model, req);
        const b = await body();
        reply(200, { sent_at: b.sent_at ?? null, received_at: new Date(model.now()).toISOString() });
      },
    },
    {
      method: 'GET',
      pattern: ['v3', 'ping'],
      name: 'agent-ping',
      handler: ({ req, reply }) => {
        requireSession(model, req);
        reply(200, {});
      },
    },
    {
      method: 'POST',
      pattern: ['v3', 'disconnect'],
      name: 'agent-disconnect',
      handler: ({ req, reply }) => {
        model.disconnectAgent(requireSession(model, req));
        reply(200, {});
      },
    },
    {
      method: 'PUT',
      pattern: ['v3', 'jobs', '*', 'acquire'],
      name: 'agent-acquire',
      handler: ({ req, params, reply }) => {
        const agent = requireSession(model, req);
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
        const job = requireJobAccess(model, req, params[0] ?? '');
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
        const job = requireJobAccess(model, req, params[0] ?? '');
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
        requireJobAccess(model, req, params[0] ?? '');
        reply(200, {});
      },
    },
    {
      method: 'GET',
      pattern: ['v3', 'jobs', '*'],
      name: 'agent-job-state',
      handler: ({ req, params, reply }) => {
        const job = requireJobAccess(model, req, params[0] ?? '');
        reply(200, { id: job.id, state: job.state });
      },
    },
    {
      method: 'PUT',
      pattern: ['v3', 'jobs', '*', 'finish'],
      name: 'agent-finish',
      handler: async ({ req, params, body, reply }) => {
        const job = requireJobAccess(model, req, params[0] ?? '');
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
  ];
}
