/** Admin API under `/_sim/`: create, inspect and cancel jobs, pause queues, counts, faults, clock. */
import { HttpError, optionalStringMap, stringList } from './http.js';
import { parseFault, type FaultEntry } from './faults.js';
import type { BuildkiteModel, NewJob, SimJob } from './model.js';
import type { Route } from './routing.js';

export interface AdminDeps {
  readonly model: BuildkiteModel;
  readonly counts: Readonly<Record<string, number>>;
  readonly faults: FaultEntry[];
}

export function adminRoutes({ model, counts, faults }: AdminDeps): Route[] {
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

  return [
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
