/** The behaviour every JobSource must share, run against both implementations and the simulator. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBuildkiteSim, type BuildkiteSim } from '../../sim/buildkite/server.js';
import type { SimJob } from '../../sim/buildkite/model.js';
import { createLogger } from '../observability/logger.js';
import { GraphqlJobSource } from './graphql/client.js';
import type { JobSource } from './job-source.js';
import { StacksJobSource } from './stacks/client.js';
import type { ApiResult } from './types.js';

const logger = createLogger({ format: 'json', level: 'error', write: () => undefined });
const AGENT_TOKEN = 'bkct_contract';
const API_TOKEN = 'bkua_contract';
const CLUSTER = '11111111-2222-4333-8444-555555555555';
const common = {
  timeoutMs: 2000,
  version: '0.0.1',
  logger,
  retry: { attempts: 3, baseMs: 1, maxMs: 2, maxRetryAfterMs: 10 },
};

interface Implementation {
  readonly name: string;
  make(sim: BuildkiteSim, now: () => number): JobSource;
  /** Where the failure message shows up for the user. */
  failureText(sim: BuildkiteSim, job: SimJob): string;
  /** Whether the design has stack notifications at all. */
  readonly notifications: boolean;
}

const implementations: Implementation[] = [
  {
    name: 'Stacks API',
    make: (sim, now) =>
      new StacksJobSource({
        now,
        ...common,
        endpoint: sim.agentEndpoint,
        agentToken: AGENT_TOKEN,
        stackKey: 'contract',
        queueKey: 'k8s',
      }),
    failureText: (_sim, job) => job.detail ?? '',
    notifications: true,
  },
  {
    name: 'GraphQL',
    make: (sim) =>
      new GraphqlJobSource({
        ...common,
        graphqlEndpoint: sim.graphqlEndpoint,
        apiToken: API_TOKEN,
        organizationSlug: 'sim-org',
        clusterUuid: CLUSTER,
        queue: 'k8s',
        agentEndpoint: sim.agentEndpoint,
        agentToken: AGENT_TOKEN,
      }),
    failureText: (sim, job) => sim.model.log(job).trimEnd(),
    notifications: false,
  },
];

function value<T>(res: ApiResult<T>): T {
  if (!res.ok) throw new Error(`expected success, got ${res.error.kind}: ${res.error.message}`);
  return res.value;
}

describe.each(implementations)('$name JobSource contract', (impl) => {
  let sim: BuildkiteSim;
  let source: JobSource;
  let now: number;

  beforeEach(async () => {
    now = Date.parse('2026-05-01T00:00:00Z');
    sim = await startBuildkiteSim({
      agentToken: AGENT_TOKEN,
      apiToken: API_TOKEN,
      clusterUuid: CLUSTER,
      clock: () => now,
    });
    source = impl.make(sim, () => now);
    value(await source.register());
  });
  afterEach(async () => {
    await source.close();
    await sim.close();
  });

  it('lists every scheduled job of its queue once, oldest first, across pages', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(sim.createJob({ command: `step ${i}`, queue: 'k8s' }).id);
      sim.createJob({ command: 'not ours', queue: 'other' });
      now += 1000;
    }
    const seen: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = value(
        await source.listScheduledJobs({ limit: 2, ...(after === undefined ? {} : { after }) }),
      );
      seen.push(...res.jobs.map((j) => j.id));
      if (!res.hasNextPage) break;
      after = res.endCursor ?? undefined;
    }
    expect(seen).toEqual(ids);
  });

  it('hands reserved jobs on with their command and env', async () => {
    const id = sim.createJob({ command: 'make test', queue: 'k8s', env: { BUILDKITE_PLUGINS: '[]' } }).id;
    expect(value(await source.reserveJobs([id], 300)).reserved).toEqual([id]);
    const job = value(await source.getJob(id));
    expect(job).toMatchObject({ id, command: 'make test' });
    expect(job.env.BUILDKITE_PLUGINS).toBe('[]');
  });

  it('reports job states, including cancellation, and omits unknown jobs', async () => {
    const a = sim.createJob({ command: 'a', queue: 'k8s' }).id;
    const b = sim.createJob({ command: 'b', queue: 'k8s' }).id;
    sim.cancelJob(b);
    const states = value(await source.getJobStates([a, b, '99999999-0000-4000-8000-000000000000']));
    expect(Object.fromEntries(states)).toEqual({ [a]: 'scheduled', [b]: 'canceled' });
  });

  it('fails a job nobody runs, showing the message', async () => {
    const id = sim.createJob({ command: 'a', queue: 'k8s' }).id;
    const message = 'agent-stack-k8s failed to build a podSpec for the job: unknown resource class "huge"';
    value(await source.failJob(id, message));
    const job = sim.job(id);
    expect(job?.state).toBe('finished');
    expect(impl.failureText(sim, job ?? never())).toBe(message);
    expect(value(await source.listScheduledJobs({})).jobs).toEqual([]);
  });

  it('refuses to fail a job an agent already runs, and leaves it alone', async () => {
    const id = sim.createJob({ command: 'a', queue: 'k8s' }).id;
    const agent = sim.model.registerAgent('pod-agent', []);
    expect(sim.model.acquire(agent, id).ok).toBe(true);
    const res = await source.failJob(id, 'too late');
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error.kind).toBe('permanent');
    expect(sim.job(id)?.state).toBe('accepted');
  });

  it('retries a transient server error on job details', async () => {
    const id = sim.createJob({ command: 'a', queue: 'k8s' }).id;
    sim.injectFault({ endpoint: '*', status: 503 });
    expect(value(await source.getJob(id)).command).toBe('a');
  });

  it('takes notifications without blocking, deregisters, and closes twice safely', async () => {
    const id = sim.createJob({ command: 'a', queue: 'k8s' }).id;
    source.notify(id, 'K8s Job created successfully, waiting for Agent to start...');
    value(await source.deregister());
    await source.close();
    await source.close();
    expect(sim.job(id)?.notifications.length).toBe(impl.notifications ? 1 : 0);
  });
});

function never(): never {
  throw new Error('unreachable');
}
