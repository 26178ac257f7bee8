import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BuildkiteSim } from '../../sim/buildkite/server.js';
import type { FakeKube } from '../../sim/kube/index.js';
import { startTestWorld, type TestWorld } from '../../test/support/world.js';
import type { StacksJobSource } from '../buildkite/stacks/client.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { quietLogger, testMetrics } from '../intake/test-support.js';
import type { KubeClient } from '../kube/client.js';
import { KUBERNETES_PLUGIN_KEY } from '../podspec/plugins.js';
import { JOB_CREATED_NOTIFICATION, REJECTED_PREFIX, Scheduler, type SchedulerOptions } from './scheduler.js';

function config(yaml = ''): Config {
  const loaded = loadConfig({ configPath: 'c.yaml', readFile: () => yaml });
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  return loaded.config;
}

describe('Scheduler against the simulators', () => {
  let world: TestWorld;
  let sim: BuildkiteSim;
  let kube: FakeKube;
  let source: StacksJobSource;
  let client: KubeClient;

  beforeEach(async () => {
    world = await startTestWorld();
    ({ sim, kube, source, client } = world);
  });

  afterEach(async () => {
    await world.close();
  });

  function scheduler(yaml = '', kubeClient: SchedulerOptions['kube'] = client) {
    const metrics = testMetrics();
    const subject = new Scheduler({
      config: config(yaml),
      source,
      kube: kubeClient,
      logger: quietLogger,
      metrics: metrics.scheduler,
      createRetry: { attempts: 3, baseMs: 1, maxMs: 2 },
    });
    return { subject, metrics };
  }
  const createCalls = async (metrics: ReturnType<typeof testMetrics>) =>
    (await metrics.scheduler.createCalls.get()).values[0]?.value;

  async function reserved(input: Parameters<BuildkiteSim['createJob']>[0]) {
    const job = sim.createJob({ queue: 'k8s', ...input });
    const reservation = await source.reserveJobs([job.id], 0);
    if (!reservation.ok) throw new Error(reservation.error.message);
    return { id: job.id, priority: job.priority, agentQueryRules: ['queue=k8s'], queriedAt: Date.now() };
  }

  it('creates the Job and tells Buildkite', async () => {
    const job = await reserved({ command: 'make test' });
    const { subject, metrics } = scheduler();
    expect(await subject.dispatch(job)).toEqual({ kind: 'created' });
    const created = kube.store.get('jobs', 'default', `buildkite-${job.id}`) as
      { metadata: { labels: Record<string, string> } } | undefined;
    expect(created?.metadata.labels['buildkite.com/job-uuid']).toBe(job.id);
    await source.close();
    expect(sim.job(job.id)?.notifications.map((n) => n.detail)).toContain(JOB_CREATED_NOTIFICATION);
    expect(await metrics.scheduler.createSuccess.get()).toMatchObject({ values: [{ value: 1 }] });
  });

  it('fails the Buildkite job with the reason when the job cannot be parsed', async () => {
    const job = await reserved({
      command: 'x',
      env: { BUILDKITE_PLUGINS: JSON.stringify([{ [KUBERNETES_PLUGIN_KEY]: { podSpec: {} } }]) },
    });
    const { subject } = scheduler('prohibit-kubernetes-plugin: true');
    const outcome = await subject.dispatch(job);
    const message =
      'agent-stack-k8s failed to parse the job: the kubernetes plugin is prohibited by this controller, but was configured on this job';
    expect(outcome).toEqual({ kind: 'failed', message });
    expect(sim.job(job.id)).toMatchObject({ state: 'finished', exitStatus: -1, detail: message });
  });

  it('fails the job when its PodTemplate cannot be fetched', async () => {
    const job = await reserved({
      command: 'x',
      env: { BUILDKITE_PLUGINS: JSON.stringify([{ [KUBERNETES_PLUGIN_KEY]: { podTemplate: 'missing' } }]) },
    });
    const outcome = await scheduler().subject.dispatch(job);
    expect(outcome.kind).toBe('failed');
    expect(sim.job(job.id)?.detail).toMatch(/^Error fetching podTemplate "missing": /);
  });

  it('reports a duplicate when the Job exists already, without touching Buildkite', async () => {
    const job = await reserved({ command: 'x' });
    const { subject } = scheduler();
    expect(await subject.dispatch(job)).toEqual({ kind: 'created' });
    expect(await subject.dispatch(job)).toEqual({ kind: 'duplicate' });
    expect(sim.job(job.id)?.state).toBe('reserved');
  });

  it('fails the job with the API server message and the Job YAML on 422', async () => {
    const job = await reserved({ command: 'x' });
    kube.faults.inject({ verb: 'create', resource: 'jobs', action: { kind: 'status', code: 422 } });
    const outcome = await scheduler().subject.dispatch(job);
    expect(outcome.kind).toBe('failed');
    const detail = sim.job(job.id)?.detail ?? '';
    expect(detail.startsWith(`${REJECTED_PREFIX}failed to create job: injected fault (422)\n\n`)).toBe(true);
    expect(detail).toContain('apiVersion: batch/v1');
  });

  it('leaves the job reserved when Kubernetes keeps failing (it is listed again later)', async () => {
    const job = await reserved({ command: 'x' });
    kube.faults.inject({
      verb: 'create',
      resource: 'jobs',
      times: Infinity,
      action: { kind: 'status', code: 500 },
    });
    const { subject, metrics } = scheduler();
    expect((await subject.dispatch(job)).kind).toBe('failed');
    expect(sim.job(job.id)?.state).toBe('reserved');
    expect(await createCalls(metrics)).toBe(3);
    expect((await metrics.scheduler.createErrors.get()).values[0]?.value).toBe(3);
  });

  it('tries again at once after a transient failure instead of waiting for the reservation to expire', async () => {
    const job = await reserved({ command: 'x' });
    kube.faults.inject({ verb: 'create', resource: 'jobs', action: { kind: 'drop' } });
    const { subject, metrics } = scheduler();
    expect(await subject.dispatch(job)).toEqual({ kind: 'created' });
    expect(await createCalls(metrics)).toBe(2);
    expect(kube.store.get('jobs', 'default', `buildkite-${job.id}`)).toBeDefined();
  });

  it('does not try again when the failure is not transient (403)', async () => {
    const job = await reserved({ command: 'x' });
    kube.faults.inject({
      verb: 'create',
      resource: 'jobs',
      times: Infinity,
      action: { kind: 'status', code: 403 },
    });
    const { subject, metrics } = scheduler();
    expect((await subject.dispatch(job)).kind).toBe('failed');
    expect(await createCalls(metrics)).toBe(1);
  });

  it('counts a Job created by an attempt whose answer was lost as its own', async () => {
    const job = await reserved({ command: 'x' });
    // The first create reaches the API server, but its answer never comes back.
    let first = true;
    const lossy = {
      podTemplates: client.podTemplates,
      jobs: {
        get: (...args: Parameters<KubeClient['jobs']['get']>) => client.jobs.get(...args),
        create: async (...args: Parameters<KubeClient['jobs']['create']>) => {
          const created = await client.jobs.create(...args);
          if (!first) return created;
          first = false;
          return {
            ok: false as const,
            error: { kind: 'Network' as const, reason: 'Network', code: 0, message: 'socket hang up' },
          };
        },
      },
    };
    const { subject } = scheduler('', lossy);
    expect(await subject.dispatch(job)).toEqual({ kind: 'created' });
    await source.close();
    expect(sim.job(job.id)?.notifications.map((n) => n.detail)).toContain(JOB_CREATED_NOTIFICATION);
  });
});
