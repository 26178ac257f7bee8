import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBuildkiteSim, type BuildkiteSim } from '../../../sim/buildkite/server.js';
import { createLogger } from '../../observability/logger.js';
import type { ApiResult } from '../types.js';
import { GraphqlJobSource, type GraphqlJobSourceOptions } from './client.js';

const logger = createLogger({ format: 'json', level: 'error', write: () => undefined });
const AGENT_TOKEN = 'bkct_agent';
const API_TOKEN = 'bkua_api';
const CLUSTER = '0b7c9a7e-1111-4222-8333-444455556666';

function value<T>(res: ApiResult<T>): T {
  if (!res.ok) throw new Error(`expected success, got ${res.error.kind}: ${res.error.message}`);
  return res.value;
}

describe('GraphqlJobSource against the simulator', () => {
  let sim: BuildkiteSim;
  let source: GraphqlJobSource;
  let now: number;

  const makeSource = (overrides: Partial<GraphqlJobSourceOptions> = {}): GraphqlJobSource =>
    new GraphqlJobSource({
      graphqlEndpoint: sim.graphqlEndpoint,
      apiToken: API_TOKEN,
      organizationSlug: 'sim-org',
      clusterUuid: CLUSTER,
      queue: 'k8s',
      agentEndpoint: sim.agentEndpoint,
      agentToken: AGENT_TOKEN,
      timeoutMs: 2000,
      version: '1.0.0',
      logger,
      retry: { attempts: 3, baseMs: 1, maxMs: 2, maxRetryAfterMs: 10 },
      ...overrides,
    });

  beforeEach(async () => {
    now = Date.parse('2026-02-01T00:00:00Z');
    sim = await startBuildkiteSim({
      agentToken: AGENT_TOKEN,
      apiToken: API_TOKEN,
      clusterUuid: CLUSTER,
      clock: () => now,
    });
    source = makeSource();
  });
  afterEach(async () => {
    await source.close();
    await sim.close();
  });

  it('checks the organization at registration', async () => {
    expect(value(await source.register())).toEqual({ key: 'sim-org', clusterQueueKey: 'k8s' });
    const bad = makeSource({ organizationSlug: 'other-org' });
    const res = await bad.register();
    await bad.close();
    expect(res).toEqual({
      ok: false,
      error: { kind: 'permanent', status: null, message: 'invalid organization: other-org' },
    });
    const auth = sim.requests.find((r) => r.endpoint === 'graphql')?.headers.authorization;
    expect(auth).toBe(`Bearer ${API_TOKEN}`);
  });

  it('lists the oldest jobs of the queue first, paging backwards, sorted by priority within a page', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(sim.createJob({ command: `c${i}`, queue: 'k8s', priority: i === 1 ? 5 : 0 }).id);
      now += 1000;
    }
    sim.createJob({ command: 'elsewhere', queue: 'other' });

    const first = value(await source.listScheduledJobs({ limit: 2 }));
    expect(first.jobs.map((j) => j.id)).toEqual([ids[1], ids[0]]);
    expect(first.jobs[0]?.priority).toBe(5);
    expect(first.jobs[0]?.agentQueryRules).toEqual(['queue=k8s']);
    expect(first.jobs[1]?.scheduledAt).toBe('2026-02-01T00:00:00.000Z');
    expect(first.hasNextPage).toBe(true);

    const second = value(await source.listScheduledJobs({ limit: 2, after: first.endCursor ?? '' }));
    expect(second.jobs.map((j) => j.id)).toEqual([ids[2], ids[3]]);
    const third = value(await source.listScheduledJobs({ limit: 2, after: second.endCursor ?? '' }));
    expect(third.jobs.map((j) => j.id)).toEqual([ids[4]]);
    expect(third.hasNextPage).toBe(false);
  });

  it('skips the poll while the queue is paused when asked to check', async () => {
    sim.createJob({ command: 'c', queue: 'k8s' });
    sim.pauseQueue('k8s', true);
    const checking = makeSource({ checkQueuePause: true });
    try {
      const page = value(await checking.listScheduledJobs({}));
      expect(page).toMatchObject({ jobs: [], queuePaused: true });
      expect(sim.requestCounts().graphql).toBe(1);
      sim.pauseQueue('k8s', false);
      expect(value(await checking.listScheduledJobs({})).jobs).toHaveLength(1);
    } finally {
      await checking.close();
    }
  });

  it('reads job details and states, leaving unknown jobs out', async () => {
    const id = sim.createJob({ command: 'make', queue: 'k8s', env: { A: 'x=y' } }).id;
    const canceled = sim.createJob({ command: 'gone', queue: 'k8s' }).id;
    sim.cancelJob(canceled);
    const job = value(await source.getJob(id));
    expect(job.command).toBe('make');
    expect(job.env.A).toBe('x=y');
    const states = value(await source.getJobStates([id, canceled, 'f00']));
    expect(Object.fromEntries(states)).toEqual({ [id]: 'scheduled', [canceled]: 'canceled' });

    const missing = await source.getJob('f00');
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.error.kind).toBe('permanent');
  });

  it('reports every job as reserved without calling Buildkite', async () => {
    expect(value(await source.reserveJobs(['a', 'b'], 900))).toEqual({
      reserved: ['a', 'b'],
      notReserved: [],
    });
    expect(sim.requestCounts()).toEqual({});
  });

  it('fails a job by acquiring it with a short-lived agent and finishing it with exit status 1', async () => {
    const id = sim.createJob({ command: 'x', queue: 'k8s' }).id;
    value(await source.failJob(id, 'The pod has been in Pending state for 15m0s without starting.'));
    const job = sim.job(id);
    expect(job).toMatchObject({
      state: 'finished',
      exitStatus: '1',
      signalReason: 'stack_error',
      finishedBy: 'agent',
    });
    expect(sim.model.log(job ?? never())).toBe(
      'The pod has been in Pending state for 15m0s without starting.\n',
    );
    const agent = [...sim.model.agents.values()][0];
    expect(agent?.name).toBe(`buildkite-${id}`);
    expect(agent?.connected).toBe(false);
    expect(sim.requestCounts()).toMatchObject({
      'agent-register': 1,
      'agent-connect': 1,
      'agent-acquire': 1,
      'agent-start': 1,
      'agent-chunks': 1,
      'agent-finish': 1,
      'agent-disconnect': 1,
    });
  });

  it('reports a rejected acquisition as permanent and still disconnects', async () => {
    const id = sim.createJob({ command: 'x', queue: 'k8s' }).id;
    sim.cancelJob(id);
    const res = await source.failJob(id, 'msg');
    expect(res.ok).toBe(false);
    if (!res.ok) {
      expect(res.error.kind).toBe('permanent');
      expect(res.error.message).toMatch(/^job acquisition rejected: /);
    }
    expect(sim.requestCounts()['agent-disconnect']).toBe(1);
  });

  it('retries a failing acquire and succeeds', async () => {
    const id = sim.createJob({ command: 'x', queue: 'k8s' }).id;
    sim.injectFault({ endpoint: 'agent-acquire', status: 502 });
    value(await source.failJob(id, 'msg'));
    expect(sim.requestCounts()['agent-acquire']).toBe(2);
  });

  it('cancels a job through the mutation', async () => {
    const id = sim.createJob({ command: 'x', queue: 'k8s' }).id;
    value(await source.cancelJob(id, 'pod-name'));
    expect(sim.job(id)?.state).toBe('canceled');
  });

  it('reports an unknown organization or cluster on listing as permanent', async () => {
    for (const overrides of [{ organizationSlug: 'nope' }, { clusterUuid: 'another-cluster' }]) {
      const bad = makeSource(overrides);
      const res = await bad.listScheduledJobs({});
      await bad.close();
      expect(res.ok).toBe(false);
      if (!res.ok) expect(res.error.kind).toBe('permanent');
    }
  });

  it('lists without a cluster for an unclustered organization, and without a queue rule for the default queue', async () => {
    const id = sim.createJob({ command: 'default queue job' }).id;
    const unclustered = makeSource({ clusterUuid: '', queue: '_default' });
    try {
      expect(value(await unclustered.listScheduledJobs({})).jobs.map((j) => j.id)).toEqual([id]);
    } finally {
      await unclustered.close();
    }
  });

  it('refuses a wrong API token permanently', async () => {
    const bad = makeSource({ apiToken: 'nope' });
    const res = await bad.listScheduledJobs({});
    await bad.close();
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error).toMatchObject({ kind: 'permanent', status: 401 });
  });
});

function never(): never {
  throw new Error('unreachable');
}
