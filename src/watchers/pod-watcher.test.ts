import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { quietLogger } from '../intake/test-support.js';
import type { Pod } from '../kube/types.js';
import { IMAGE_FAILURE_NOTIFICATION, IMAGE_FAILURE_PREFIX, INIT_CONTAINERS_FAILED } from './format.js';
import { isSidecarInitContainer, isSystemContainer, PodWatcher } from './pod-watcher.js';
import { counterValue, createPod, NS, readPod, startWorld, type WatcherWorld } from './test-support.js';

const GRACE_MS = 30_000;
const PENDING_MS = 5 * 60_000;

const SHAPE = {
  initContainers: [
    { name: 'copy-agent', image: 'buildkite/agent:3' },
    { name: 'imagecheck-0', image: 'nope:latest' },
    { name: 'logger', image: 'fluent:1', restartPolicy: 'Always' },
  ],
  containers: [
    { name: 'agent', image: 'buildkite/agent:3' },
    { name: 'container-0', image: 'nope:latest' },
    { name: 'extra', image: 'redis:7' },
  ],
};

describe('PodWatcher against the simulators', () => {
  let world: WatcherWorld;
  let now: number;
  let watcher: PodWatcher;

  beforeEach(async () => {
    world = await startWorld();
    now = Date.now();
    watcher = new PodWatcher({
      kube: world.client,
      source: world.source,
      cancelChecker: world.checker,
      imagePullBackOffGracePeriodMs: GRACE_MS,
      podPendingTimeoutMs: PENDING_MS,
      logger: quietLogger,
      metrics: world.metrics.podWatcher,
      errors: world.errors,
      stateRetry: { baseMs: 1, maxMs: 2 },
      now: () => now,
    });
  });

  afterEach(async () => {
    await watcher.stop();
    await world.close();
  });

  function finishCalls(): number {
    return world.sim.requestCounts()['finish-job'] ?? 0;
  }

  function setState(uuid: string, state: 'running' | 'canceled' | 'finished'): void {
    const job = world.sim.job(uuid);
    if (job) job.state = state;
  }

  /** Applies a pod transition in the fake and shows the result to the watcher. */
  async function update(
    pod: Pod,
    change: Parameters<WatcherWorld['kube']['pods']['transition']>[2],
  ): Promise<Pod> {
    world.kube.pods.transition(NS, pod.metadata?.name ?? '', change);
    const next = await readPod(world, pod.metadata?.name ?? '');
    await watcher.handler.onUpdate?.(pod, next);
    return next;
  }

  function podExists(pod: Pod): boolean {
    return world.kube.store.get('pods', NS, pod.metadata?.name ?? '') !== undefined;
  }

  const INIT_FAILED = {
    phase: 'Failed',
    initContainers: {
      'copy-agent': { terminated: { exitCode: 0, reason: 'Completed' } },
      'imagecheck-0': { terminated: { exitCode: 2, reason: 'Error', message: 'sh: run-setup: not found' } },
    },
  } as const;

  it('fails the job once when an init container fails, with its message, however often the pod changes', async () => {
    const uuid = await world.job();
    const pod = await createPod(world, uuid, SHAPE);
    await update(pod, INIT_FAILED);
    const detail = world.sim.job(uuid)?.detail ?? '';
    expect(detail.startsWith(`${INIT_CONTAINERS_FAILED}\n\n╭`)).toBe(true);
    expect(detail).toMatch(/│ imagecheck-0 │ +2 │ +0 │ Error +│ sh: run-setup: not found │/);
    expect(detail).not.toContain('copy-agent');
    expect(podExists(pod)).toBe(true);
    expect(finishCalls()).toBe(1);
    // A real API server sends more updates of the failed pod (finalizer removal, deletion): no repeat.
    await watcher.handler.onUpdate?.(pod, await readPod(world, pod.metadata?.name ?? ''));
    expect(finishCalls()).toBe(1);
    expect(watcher.isIgnored(uuid)).toBe(true);
    expect(await counterValue(world.metrics.podWatcher.failOnBuildkiteErrors)).toBe(0);
  });

  it('ignores a job whose init-container failure Buildkite refuses for good, and retries a transient error', async () => {
    const uuid = await world.job();
    const pod = await createPod(world, uuid, SHAPE);
    world.sim.injectFault({ endpoint: 'finish-job', status: 503, count: 1 });
    await update(pod, INIT_FAILED);
    expect(watcher.isIgnored(uuid)).toBe(false);
    world.sim.injectFault({ endpoint: 'finish-job', status: 404, count: 1 });
    await watcher.handler.onUpdate?.(pod, await readPod(world, pod.metadata?.name ?? ''));
    expect(watcher.isIgnored(uuid)).toBe(true);
    expect(world.sim.job(uuid)?.state).not.toBe('finished');
    await watcher.handler.onUpdate?.(pod, await readPod(world, pod.metadata?.name ?? ''));
    expect(finishCalls()).toBe(2);
    expect(await counterValue(world.metrics.podWatcher.failOnBuildkiteErrors)).toBe(2);
  });

  it('does not count a native sidecar that exited non-zero as an init failure', async () => {
    const uuid = await world.job();
    const pod = await createPod(world, uuid, SHAPE);
    await update(pod, {
      phase: 'Running',
      initContainers: { logger: { terminated: { exitCode: 137, reason: 'Error' } } },
    });
    expect(finishCalls()).toBe(0);
    expect(isSidecarInitContainer(pod, 'logger')).toBe(true);
    expect(isSidecarInitContainer(pod, 'imagecheck-0')).toBe(false);
    expect(isSidecarInitContainer(pod, 'nonexistent')).toBe(false);
  });

  it('fails the job and deletes the pod once an image pull failed for the grace period', async () => {
    const uuid = await world.job();
    const pod = await createPod(world, uuid, SHAPE);
    world.kube.pods.imagePullFailure(
      NS,
      pod.metadata?.name ?? '',
      'imagecheck-0',
      'ImagePullBackOff',
      'Back-off pulling image "nope:latest"',
    );
    const failing = await readPod(world, pod.metadata?.name ?? '');
    await watcher.handler.onUpdate?.(pod, failing);
    await watcher.checkImageFailures();
    expect(finishCalls()).toBe(0);
    expect(watcher.isWatchingForImageFailure(uuid)).toBe(true);

    now = Date.parse(String(failing.status?.startTime?.toISOString())) + GRACE_MS;
    await watcher.checkImageFailures();
    const detail = world.sim.job(uuid)?.detail ?? '';
    expect(detail.startsWith(`${IMAGE_FAILURE_PREFIX}\n\n╭`)).toBe(true);
    expect(detail).toMatch(
      /│ imagecheck-0 │ "nope:latest" │ ImagePullBackOff │ Back-off pulling image "nope:latest" │/,
    );
    expect(podExists(pod)).toBe(false);
    expect(watcher.isIgnored(uuid)).toBe(true);
    expect(
      await counterValue(world.metrics.podWatcher.podsForcefullyDeleted, {
        delete_reason: 'image_pull_failure',
      }),
    ).toBe(1);
  });

  for (const reason of ['CreateContainerConfigError', 'ErrImageNeverPull', 'CreateContainerError'] as const) {
    it(`fails a system container stuck in ${reason} after the grace period`, async () => {
      const uuid = await world.job();
      const pod = await createPod(world, uuid, { containers: [{ name: 'checkout', image: 'alpine/git' }] });
      const failing = await update(pod, {
        phase: 'Pending',
        containers: { checkout: { waiting: { reason, message: 'secret "creds" not found' } } },
      });
      now = Date.parse(String(failing.status?.startTime?.toISOString())) + GRACE_MS;
      await watcher.checkImageFailures();
      expect(world.sim.job(uuid)?.detail).toContain(
        `│ checkout  │ "alpine/git" │ ${reason} │ secret "creds" not found │`,
      );
    });
  }

  it('fails at once on an invalid image name, even in a non-system container', async () => {
    const uuid = await world.job('scheduled');
    const pod = await createPod(world, uuid, SHAPE);
    await update(pod, {
      phase: 'Pending',
      containers: { extra: { waiting: { reason: 'InvalidImageName', message: 'bad' } } },
    });
    await watcher.checkImageFailures();
    expect(world.sim.job(uuid)?.detail).toContain('│ extra     │ "redis:7"');
    expect(podExists(pod)).toBe(false);
  });

  it('ignores pull failures of sidecars and extra containers', async () => {
    const uuid = await world.job();
    const pod = await createPod(world, uuid, SHAPE);
    const failing = await update(pod, {
      phase: 'Running',
      containers: { extra: { waiting: { reason: 'ErrImagePull' } } },
    });
    now += 10 * GRACE_MS;
    expect(watcher.failingContainers(failing)).toEqual([]);
    await watcher.checkImageFailures();
    expect(finishCalls()).toBe(0);
    expect(isSystemContainer('container-12')).toBe(true);
    expect(isSystemContainer('my-container-1')).toBe(true);
    expect(isSystemContainer('checkout')).toBe(true);
    expect(isSystemContainer('sidecar-0')).toBe(false);
  });

  it('applies the grace period to a running pod from its start time', async () => {
    const uuid = await world.job();
    const pod = await createPod(world, uuid, SHAPE);
    const running = await update(pod, {
      phase: 'Running',
      containers: { 'container-0': { waiting: { reason: 'ImagePullBackOff' } } },
    });
    const started = Date.parse(String(running.status?.startTime?.toISOString()));
    now = started + 5000;
    expect(watcher.failingContainers(running)).toEqual([]);
    now = started + 60_000;
    const failing = watcher.failingContainers(running);
    expect(failing.map((s) => [s.name, s.state?.waiting?.reason])).toEqual([
      ['container-0', 'ImagePullBackOff'],
    ]);
  });

  it('only notifies, once, when an agent already has the job', async () => {
    const uuid = await world.job();
    const pod = await createPod(world, uuid, SHAPE);
    setState(uuid, 'running');
    const failing = await update(pod, {
      phase: 'Running',
      containers: { 'container-0': { waiting: { reason: 'ErrImagePull', message: 'pull failed' } } },
    });
    now += 10 * GRACE_MS;
    await watcher.checkImageFailures();
    await watcher.handler.onUpdate?.(failing, failing);
    await watcher.checkImageFailures();
    await world.source.close();
    const notes = world.sim.job(uuid)?.notifications.map((n) => n.detail) ?? [];
    expect(notes).toEqual([`${IMAGE_FAILURE_NOTIFICATION}container-0: ErrImagePull (pull failed)`]);
    expect(finishCalls()).toBe(0);
    expect(podExists(pod)).toBe(true);
  });

  it('ignores the job when Buildkite says it is over', async () => {
    const uuid = await world.job();
    const pod = await createPod(world, uuid, SHAPE);
    setState(uuid, 'canceled');
    await update(pod, {
      phase: 'Pending',
      containers: { agent: { waiting: { reason: 'InvalidImageName' } } },
    });
    await watcher.checkImageFailures();
    expect(watcher.isIgnored(uuid)).toBe(true);
    expect(finishCalls()).toBe(0);
  });

  it('gives up (until the next pod event) when the job state cannot be read', async () => {
    const uuid = await world.job();
    const pod = await createPod(world, uuid, SHAPE);
    world.sim.injectFault({ endpoint: 'batch-load-job-states', status: 500, count: 5 });
    await update(pod, {
      phase: 'Pending',
      containers: { agent: { waiting: { reason: 'InvalidImageName' } } },
    });
    await watcher.checkImageFailures();
    expect(world.sim.requestCounts()['batch-load-job-states']).toBe(5);
    expect(watcher.isWatchingForImageFailure(uuid)).toBe(false);
    expect(finishCalls()).toBe(0);
    await watcher.handler.onUpdate?.(pod, await readPod(world, pod.metadata?.name ?? ''));
    await watcher.checkImageFailures();
    expect(finishCalls()).toBe(1);
  });

  it('fails and deletes a pod pending beyond the timeout, with its conditions', async () => {
    const uuid = await world.job();
    const pod = await createPod(world, uuid, SHAPE);
    const pending = await update(pod, { phase: 'Pending' });
    const created = Date.parse(String(pending.metadata?.creationTimestamp?.toISOString()));
    now = created + PENDING_MS - 1000;
    await watcher.checkPendingTimeouts();
    expect(finishCalls()).toBe(0);
    now = created + PENDING_MS;
    await watcher.checkPendingTimeouts();
    const detail = world.sim.job(uuid)?.detail ?? '';
    expect(detail).toMatch(
      /^The pod has been in Pending state for 5m0s without starting\.\n\nPod Conditions:\n {2}- /,
    );
    expect(detail).toContain('  - Initialized: False (Reason: ContainersNotInitialized, Message: )\n');
    expect(podExists(pod)).toBe(false);
    expect(watcher.isIgnored(uuid)).toBe(true);
    expect(
      await counterValue(world.metrics.podWatcher.podsForcefullyDeleted, {
        delete_reason: 'pending_timeout',
      }),
    ).toBe(1);
  });

  it('keeps the pod and ignores the job when failing it is refused for good', async () => {
    const uuid = await world.job();
    const pod = await createPod(world, uuid, SHAPE);
    setState(uuid, 'finished');
    const pending = await update(pod, { phase: 'Pending' });
    now = Date.parse(String(pending.metadata?.creationTimestamp?.toISOString())) + PENDING_MS;
    await watcher.checkPendingTimeouts();
    expect(await counterValue(world.metrics.podWatcher.failOnBuildkiteErrors)).toBe(1);
    expect(podExists(pod)).toBe(true);
    expect(watcher.isIgnored(uuid)).toBe(true);
  });

  it('decides the pending timeout like upstream', () => {
    const pod = (phase: string, extra: Partial<NonNullable<Pod['status']>> = {}, age = 60_000): Pod => ({
      metadata: { creationTimestamp: new Date(now - age) },
      status: { phase, ...extra },
    });
    const waiting = (reason: string) => [
      { name: 'c', image: 'i', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason } } },
    ];
    expect(watcher.hasExceededPendingTimeout(pod('Running', {}, 10 * 60_000))).toBe(false);
    expect(watcher.hasExceededPendingTimeout(pod('Succeeded', {}, 10 * 60_000))).toBe(false);
    expect(watcher.hasExceededPendingTimeout(pod('Pending', {}, 60_000))).toBe(false);
    expect(watcher.hasExceededPendingTimeout(pod('Pending', {}, 10 * 60_000))).toBe(true);
    expect(
      watcher.hasExceededPendingTimeout(
        pod('Pending', { initContainerStatuses: waiting('ImagePullBackOff') }, 10 * 60_000),
      ),
    ).toBe(false);
    expect(
      watcher.hasExceededPendingTimeout(
        pod('Pending', { initContainerStatuses: waiting('ErrImageNeverPull') }, 10 * 60_000),
      ),
    ).toBe(false);
    expect(
      watcher.hasExceededPendingTimeout(
        pod('Pending', { containerStatuses: waiting('InvalidImageName') }, 10 * 60_000),
      ),
    ).toBe(false);
    expect(
      watcher.hasExceededPendingTimeout(
        pod('Pending', { containerStatuses: waiting('ContainerCreating') }, 10 * 60_000),
      ),
    ).toBe(true);
  });

  it('registers pending pods with the cancel checker and lets go once running or deleted', async () => {
    const uuid = await world.job();
    const pod = await createPod(world, uuid, SHAPE);
    await watcher.handler.onAdd?.(pod, false);
    expect(world.checker.target(uuid)).toEqual({ kind: 'pod', namespace: NS, name: pod.metadata?.name });
    expect(watcher.isWatchingForPendingTimeout(uuid)).toBe(true);
    const running = await update(pod, { phase: 'Running' });
    expect(world.checker.target(uuid)).toBeUndefined();
    expect(watcher.isWatchingForPendingTimeout(uuid)).toBe(false);
    expect(watcher.isWatchingForImageFailure(uuid)).toBe(true);
    await watcher.handler.onDelete?.(running);
    expect(watcher.isWatchingForImageFailure(uuid)).toBe(false);
  });

  it('cleans up after a deletion found on relist (tombstone)', async () => {
    const uuid = await world.job();
    const pod = await createPod(world, uuid, SHAPE);
    await watcher.handler.onAdd?.(pod, false);
    expect(world.checker.size).toBe(1);
    await watcher.handler.onDelete?.({ kind: 'DeletedFinalStateUnknown', key: `${NS}/x`, object: pod });
    expect(world.checker.size).toBe(0);
    expect(watcher.isWatchingForPendingTimeout(uuid)).toBe(false);
    expect(watcher.isWatchingForImageFailure(uuid)).toBe(false);
  });

  it('logs and skips a pod without a job UUID label', async () => {
    const pod = await createPod(world, await world.job(), SHAPE);
    const unlabelled: Pod = { ...pod, metadata: { ...pod.metadata, labels: {} } };
    await expect(watcher.handler.onAdd?.(unlabelled, false)).resolves.toBeUndefined();
    expect(world.checker.size).toBe(0);
  });

  it('runs its loops on its own until stopped', async () => {
    const loopWatcher = new PodWatcher({
      kube: world.client,
      source: world.source,
      cancelChecker: world.checker,
      imagePullBackOffGracePeriodMs: GRACE_MS,
      podPendingTimeoutMs: PENDING_MS,
      logger: quietLogger,
      metrics: world.metrics.podWatcher,
      errors: world.errors,
      checkIntervalMs: 5,
      now: () => now,
    });
    const uuid = await world.job();
    const pod = await createPod(world, uuid, SHAPE);
    world.kube.pods.transition(NS, pod.metadata?.name ?? '', {
      containers: { agent: { waiting: { reason: 'InvalidImageName' } } },
    });
    await loopWatcher.handler.onAdd?.(await readPod(world, pod.metadata?.name ?? ''), false);
    const done = loopWatcher.start(new AbortController().signal);
    for (let i = 0; i < 200 && podExists(pod); i++) await new Promise((r) => setTimeout(r, 5));
    await loopWatcher.stop();
    await done;
    expect(podExists(pod)).toBe(false);
    expect(world.sim.job(uuid)?.detail).toContain(IMAGE_FAILURE_PREFIX);
  });
});
