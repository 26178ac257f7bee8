/**
 * The watchers wired as the controller wires them: informers on the fake API (with its Job
 * controller creating pods), the cancel checker and the periodic loops on short intervals.
 */
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UUID_LABEL } from '../podspec/labels.js';
import { quietLogger } from '../intake/test-support.js';
import { createInformerMetrics, Informer } from '../kube/informer.js';
import { projectJob, projectPod } from '../kube/projection.js';
import type { Job, Pod } from '../kube/types.js';
import { IMAGE_FAILURE_PREFIX } from './format.js';
import { FAILED_BEFORE_ACQUIRE, JobWatcher } from './job-watcher.js';
import { PodWatcher } from './pod-watcher.js';
import { jobName, NS, startWorld, type WatcherWorld } from './test-support.js';

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function isFailed(job: Job | undefined): boolean {
  return (job?.status?.conditions ?? []).some((c) => c.type === 'Failed');
}

describe('watchers wired to informers', () => {
  let world: WatcherWorld;
  let stop: AbortController;
  let informers: Informer<Job | Pod>[];
  let jobWatcher: JobWatcher;
  let podWatcher: PodWatcher;

  beforeEach(async () => {
    world = await startWorld({ jobController: true });
    stop = new AbortController();
    const metrics = createInformerMetrics(new Registry());
    const common = { namespace: NS, labelSelector: UUID_LABEL, logger: quietLogger, metrics };
    const jobs = new Informer<Job>({
      ...common,
      resource: 'jobs',
      source: world.client.jobs,
      project: projectJob,
    });
    const pods = new Informer<Pod>({
      ...common,
      resource: 'pods',
      source: world.client.pods,
      project: projectPod,
    });
    jobWatcher = new JobWatcher({
      kube: world.client,
      source: world.source,
      cancelChecker: world.checker,
      emptyJobGracePeriodMs: 30_000,
      logger: quietLogger,
      metrics: world.metrics.jobWatcher,
      errors: world.errors,
      checkIntervalMs: 5,
    });
    podWatcher = new PodWatcher({
      kube: world.client,
      source: world.source,
      cancelChecker: world.checker,
      imagePullBackOffGracePeriodMs: 1,
      podPendingTimeoutMs: 60_000,
      logger: quietLogger,
      metrics: world.metrics.podWatcher,
      errors: world.errors,
      checkIntervalMs: 5,
    });
    jobs.addHandler(jobWatcher.handler);
    pods.addHandler(podWatcher.handler);
    jobs.start(stop.signal);
    pods.start(stop.signal);
    void jobWatcher.start(stop.signal);
    void podWatcher.start(stop.signal);
    void world.checker.start(stop.signal);
    informers = [jobs as Informer<Job | Pod>, pods as Informer<Job | Pod>];
  });

  afterEach(async () => {
    stop.abort();
    await Promise.all([...informers.map((i) => i.stop()), jobWatcher.stop(), podWatcher.stop()]);
    await world.close();
  });

  /** A Job as the scheduler makes it: backoffLimit 0, labels on the pod template. */
  function createKubeJob(uuid: string, image = 'buildkite/agent:3'): void {
    const labels = { [UUID_LABEL]: uuid, 'job-name': jobName(uuid) };
    const created = world.kube.store.create('jobs', {
      metadata: { name: jobName(uuid), namespace: NS, labels: { [UUID_LABEL]: uuid } },
      spec: {
        backoffLimit: 0,
        activeDeadlineSeconds: 3600,
        template: {
          metadata: { labels },
          spec: {
            initContainers: [{ name: 'imagecheck-0', image }],
            containers: [{ name: 'agent', image: 'buildkite/agent:3' }],
          },
        },
      },
    });
    if (!created.ok) throw new Error(created.reason);
  }

  function podOf(uuid: string): string | undefined {
    return world.kube.pods.podsOfJob(NS, jobName(uuid))[0]?.metadata.name;
  }

  function jobFailed(uuid: string): boolean {
    return isFailed(world.kube.store.get('jobs', NS, jobName(uuid)) as Job | undefined);
  }

  it('an image that cannot be pulled fails the job once and deletes the pod', async () => {
    const uuid = await world.job();
    createKubeJob(uuid, 'nope:latest');
    await until(() => podOf(uuid) !== undefined, 'the pod');
    const pod = podOf(uuid) ?? '';
    world.kube.pods.imagePullFailure(NS, pod, 'imagecheck-0', 'ErrImagePull');
    await until(() => world.kube.store.get('pods', NS, pod) === undefined, 'the pod deletion');
    await until(() => jobFailed(uuid), 'the Job to fail');
    expect(world.sim.job(uuid)?.detail).toContain(`${IMAGE_FAILURE_PREFIX}\n\n`);
    expect(world.sim.job(uuid)?.detail).toContain('"nope:latest"');
    // The Job failing afterwards is not a second failure: Buildkite no longer has it reserved.
    await until(
      () => (world.sim.requestCounts()['batch-load-job-states'] ?? 0) >= 2,
      'the job watcher lookup',
    );
    expect(world.sim.requestCounts()['finish-job']).toBe(1);
  });

  it('a pod deleted before the agent acquired the job fails it with the pre-acquire message', async () => {
    const uuid = await world.job('reserved');
    createKubeJob(uuid);
    await until(() => podOf(uuid) !== undefined, 'the pod');
    world.kube.store.delete('pods', NS, podOf(uuid) ?? '');
    await until(() => world.sim.job(uuid)?.state === 'finished', 'the Buildkite job to be failed');
    expect(world.sim.job(uuid)?.detail?.startsWith(FAILED_BEFORE_ACQUIRE)).toBe(true);
    // The watcher marks the job once Buildkite's answer to the fail call has reached it.
    await until(() => jobWatcher.isIgnored(uuid), 'the job watcher to ignore the job');
  });

  it('cancelling the build deletes the pending pod', async () => {
    const uuid = await world.job();
    createKubeJob(uuid);
    await until(
      () => podOf(uuid) !== undefined && world.checker.target(uuid)?.kind === 'pod',
      'the pod registration',
    );
    const pod = podOf(uuid) ?? '';
    world.sim.cancelJob(uuid);
    await until(() => world.kube.store.get('pods', NS, pod) === undefined, 'the pod deletion');
    expect(world.sim.job(uuid)?.state).toBe('canceled');
    expect(world.sim.requestCounts()['finish-job'] ?? 0).toBe(0);
  });
});
