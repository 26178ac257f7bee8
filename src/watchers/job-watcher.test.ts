import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { quietLogger } from '../intake/test-support.js';
import type { Job } from '../kube/types.js';
import { FAILED_BEFORE_ACQUIRE, FINISHED_WITHOUT_POD, JobWatcher, stalledMessage } from './job-watcher.js';
import {
  counterValue,
  createJob,
  jobName,
  NS,
  readJob,
  startWorld,
  type WatcherWorld,
} from './test-support.js';

const GRACE_MS = 30_000;
const MISSING_SA =
  'Error creating: pods "buildkite-x-" is forbidden: error looking up service account default/nope: serviceaccount "nope" not found';

describe('JobWatcher against the simulators', () => {
  let world: WatcherWorld;
  let now: number;
  let watcher: JobWatcher;

  beforeEach(async () => {
    world = await startWorld();
    now = Date.now();
    watcher = new JobWatcher({
      kube: world.client,
      source: world.source,
      cancelChecker: world.checker,
      emptyJobGracePeriodMs: GRACE_MS,
      logger: quietLogger,
      metrics: world.metrics.jobWatcher,
      errors: world.errors,
      now: () => now,
    });
  });

  afterEach(async () => {
    await watcher.stop();
    await world.close();
  });

  /** A podless Job started 90 s ago, seen by the watcher. */
  async function stallingJob(uuid: string): Promise<Job> {
    const job = await createJob(world, uuid, { startTime: new Date(now - 90_000).toISOString() });
    await watcher.handler.onAdd?.(job, false);
    expect(watcher.isStalling(uuid)).toBe(true);
    return job;
  }

  function finishCalls(): number {
    return world.sim.requestCounts()['finish-job'] ?? 0;
  }

  async function deadlineOf(uuid: string): Promise<number | undefined> {
    return (await readJob(world, uuid)).spec?.activeDeadlineSeconds;
  }

  async function skipped(reason: string): Promise<number> {
    return counterValue(world.metrics.jobWatcher.stalledCleanupSkipped, { reason });
  }

  it('does nothing before the grace period is over', async () => {
    const uuid = await world.job();
    await createJob(world, uuid, { startTime: new Date(now - 10_000).toISOString() });
    await watcher.handler.onAdd?.(await readJob(world, uuid), false);
    await watcher.checkStalled();
    expect(watcher.isStalling(uuid)).toBe(true);
    expect(world.sim.requestCounts()['batch-load-job-states'] ?? 0).toBe(0);
  });

  for (const state of ['running', 'accepted'] as const) {
    it(`skips clean-up when the Buildkite job is ${state}`, async () => {
      const uuid = await world.job();
      await stallingJob(uuid);
      const simJob = world.sim.job(uuid);
      if (simJob) simJob.state = state;
      await watcher.checkStalled();
      expect(finishCalls()).toBe(0);
      expect(watcher.isStalling(uuid)).toBe(false);
      expect(watcher.isIgnored(uuid)).toBe(false);
      expect(await deadlineOf(uuid)).toBe(3600);
      expect(await skipped('agent_active')).toBe(1);
    });
  }

  for (const state of ['reserved', 'scheduled'] as const) {
    it(`fails and cleans up a stalled Job when the Buildkite job is ${state}, with the Job events`, async () => {
      const uuid = await world.job(state);
      await stallingJob(uuid);
      world.kube.pods.addEvent({
        namespace: NS,
        involvedObject: { kind: 'Job', name: jobName(uuid) },
        type: 'Warning',
        reason: 'FailedCreate',
        message: MISSING_SA,
      });
      await watcher.checkStalled();
      const detail = world.sim.job(uuid)?.detail ?? '';
      expect(detail.startsWith(stalledMessage(90_000))).toBe(true);
      expect(detail).toContain('The Kubernetes job spent 90s without starting a pod.\n╭');
      expect(detail).toContain('error looking up service account');
      expect(world.sim.job(uuid)).toMatchObject({ state: 'finished', exitStatus: -1 });
      expect(await deadlineOf(uuid)).toBe(1);
      expect(watcher.isStalling(uuid)).toBe(false);
      expect(watcher.isIgnored(uuid)).toBe(true);
      expect(await counterValue(world.metrics.jobWatcher.stalledWithoutPod)).toBe(1);
      expect(await counterValue(world.metrics.jobWatcher.cleanups)).toBe(1);
      // Ignored from now on: later events do not fail it again.
      await watcher.handler.onUpdate?.(await readJob(world, uuid), await readJob(world, uuid));
      await watcher.checkStalled();
      expect(finishCalls()).toBe(1);
    });
  }

  it('still cleans up when the Buildkite job has ended and failing it is refused', async () => {
    const uuid = await world.job();
    await stallingJob(uuid);
    const simJob = world.sim.job(uuid);
    if (simJob) simJob.state = 'finished';
    await watcher.checkStalled();
    expect(finishCalls()).toBe(1);
    expect(await counterValue(world.metrics.jobWatcher.failOnBuildkiteErrors)).toBe(1);
    expect(await deadlineOf(uuid)).toBe(1);
    expect(watcher.isIgnored(uuid)).toBe(true);
  });

  it('cleans up when Buildkite does not know the job', async () => {
    const uuid = randomUUID();
    await stallingJob(uuid);
    await watcher.checkStalled();
    expect(finishCalls()).toBe(1);
    expect(await deadlineOf(uuid)).toBe(1);
    expect(watcher.isIgnored(uuid)).toBe(true);
  });

  it('keeps the Job for the next round when the state lookup fails', async () => {
    const uuid = await world.job();
    await stallingJob(uuid);
    world.sim.injectFault({ endpoint: 'batch-load-job-states', status: 500 });
    await watcher.checkStalled();
    expect(watcher.isStalling(uuid)).toBe(true);
    expect(finishCalls()).toBe(0);
    await watcher.checkStalled();
    expect(watcher.isIgnored(uuid)).toBe(true);
  });

  for (const [field, label] of [
    ['active', 'pods'],
    ['terminating', 'only a terminating pod'],
  ] as const) {
    it(`skips clean-up when the live Job shows ${label} (stale cache)`, async () => {
      const uuid = await world.job();
      await stallingJob(uuid);
      world.kube.store.mutate('jobs', NS, jobName(uuid), (j) => {
        j.status = { ...(j.status as object), [field]: 1 };
      });
      await watcher.checkStalled();
      expect(finishCalls()).toBe(0);
      expect(watcher.isStalling(uuid)).toBe(false);
      expect(await skipped('pod_exists')).toBe(1);
    });
  }

  it('keeps the Job for the next round when the live Get fails', async () => {
    const uuid = await world.job();
    await stallingJob(uuid);
    world.kube.faults.inject({ verb: 'get', resource: 'jobs', action: { kind: 'status', code: 500 } });
    await watcher.checkStalled();
    expect(watcher.isStalling(uuid)).toBe(true);
    expect(finishCalls()).toBe(0);
  });

  it('skips clean-up when the Job no longer exists, so the job can be recreated', async () => {
    const uuid = await world.job();
    await stallingJob(uuid);
    world.kube.store.delete('jobs', NS, jobName(uuid));
    await watcher.checkStalled();
    expect(finishCalls()).toBe(0);
    expect(watcher.isStalling(uuid)).toBe(false);
    expect(watcher.isIgnored(uuid)).toBe(false);
    expect(await skipped('job_gone')).toBe(1);
  });

  it('skips clean-up when the Job was replaced under the same name', async () => {
    const uuid = await world.job();
    await stallingJob(uuid);
    world.kube.store.delete('jobs', NS, jobName(uuid));
    await createJob(world, uuid, { startTime: new Date(now).toISOString() });
    await watcher.checkStalled();
    expect(finishCalls()).toBe(0);
    expect(await skipped('job_replaced')).toBe(1);
    expect(await deadlineOf(uuid)).toBe(3600);
  });

  it('keeps a replacement that arrived during the check', async () => {
    const uuid = await world.job();
    await stallingJob(uuid);
    world.kube.faults.inject({ verb: 'get', resource: 'jobs', action: { kind: 'delay', ms: 50 } });
    world.kube.store.delete('jobs', NS, jobName(uuid));
    const replacement = await createJob(world, uuid, { startTime: new Date(now).toISOString() });
    const check = watcher.checkStalled();
    await watcher.handler.onAdd?.(replacement, false);
    await check;
    expect(watcher.isStalling(uuid)).toBe(true);
    expect(finishCalls()).toBe(0);
    expect(watcher.isIgnored(uuid)).toBe(false);
  });

  it('registers a suspended podless Job for cancel checks, without stalling it', async () => {
    const uuid = await world.job();
    const job = await createJob(world, uuid, {});
    await watcher.handler.onAdd?.(job, true);
    expect(world.checker.target(uuid)).toEqual({ kind: 'job', namespace: NS, name: jobName(uuid) });
    expect(world.checker.size).toBe(1);
    expect(watcher.isStalling(uuid)).toBe(false);
  });

  it('does not downgrade a pod target on a Job event', async () => {
    const uuid = await world.job();
    world.checker.addPod(uuid, { namespace: NS, name: 'the-pod' });
    await watcher.handler.onAdd?.(await createJob(world, uuid, {}), false);
    expect(world.checker.target(uuid)).toEqual({ kind: 'pod', namespace: NS, name: 'the-pod' });
  });

  it('deregisters a finished Job from cancel checks', async () => {
    const uuid = await world.job();
    await watcher.handler.onAdd?.(await createJob(world, uuid, {}), false);
    world.kube.store.mutate('jobs', NS, jobName(uuid), (j) => {
      j.status = { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] };
    });
    await watcher.handler.onUpdate?.(await readJob(world, uuid), await readJob(world, uuid));
    expect(world.checker.target(uuid)).toBeUndefined();
    expect(finishCalls()).toBe(0);
  });

  it('fails a Job that finished without a pod, with its events, and tries again on later events', async () => {
    const uuid = await world.job();
    await createJob(world, uuid, {
      conditions: [{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded' }],
    });
    world.kube.store.mutate('jobs', NS, jobName(uuid), (j) => {
      (j.spec as Record<string, unknown>).activeDeadlineSeconds = undefined;
    });
    world.kube.pods.addEvent({
      namespace: NS,
      involvedObject: { kind: 'Job', name: jobName(uuid) },
      type: 'Warning',
      reason: 'FailedCreate',
      message: MISSING_SA,
    });
    await watcher.handler.onAdd?.(await readJob(world, uuid), false);
    const detail = world.sim.job(uuid)?.detail ?? '';
    expect(detail.startsWith(`${FINISHED_WITHOUT_POD}╭`)).toBe(true);
    expect(detail).toContain('│ FailedCreate │');
    expect(await counterValue(world.metrics.jobWatcher.finishedWithoutPod)).toBe(1);
    expect(watcher.isIgnored(uuid)).toBe(false);
    await watcher.handler.onUpdate?.(await readJob(world, uuid), await readJob(world, uuid));
    expect(finishCalls()).toBe(2);
  });

  it('says "Events: none" when the Job has no events', async () => {
    const uuid = await world.job();
    await createJob(world, uuid, {
      conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }],
    });
    await watcher.handler.onAdd?.(await readJob(world, uuid), false);
    expect(world.sim.job(uuid)?.detail).toBe(`${FINISHED_WITHOUT_POD}Events: none`);
  });

  it('fails a job whose pod failed before the agent acquired it, once', async () => {
    const uuid = await world.job('reserved');
    await createJob(world, uuid, {
      failed: 1,
      conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }],
    });
    await watcher.handler.onAdd?.(await readJob(world, uuid), false);
    expect(world.sim.job(uuid)?.detail).toBe(`${FAILED_BEFORE_ACQUIRE}Events: none`);
    expect(await counterValue(world.metrics.jobWatcher.failedBeforeAcquire)).toBe(1);
    expect(watcher.isIgnored(uuid)).toBe(true);
    await watcher.handler.onUpdate?.(await readJob(world, uuid), await readJob(world, uuid));
    expect(finishCalls()).toBe(1);
    // Deleting the Job forgets it.
    await watcher.handler.onDelete?.(await readJob(world, uuid));
    expect(watcher.isIgnored(uuid)).toBe(false);
  });

  it('leaves a failed pod alone once an agent has the job', async () => {
    const uuid = await world.job('reserved');
    const simJob = world.sim.job(uuid);
    if (simJob) simJob.state = 'running';
    await createJob(world, uuid, {
      failed: 1,
      conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }],
    });
    await watcher.handler.onAdd?.(await readJob(world, uuid), false);
    expect(finishCalls()).toBe(0);
  });

  it('never fails Jobs that succeeded or hit their active deadline', async () => {
    const ok = await world.job();
    await createJob(world, ok, { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] });
    await watcher.handler.onAdd?.(await readJob(world, ok), false);
    const killed = await world.job();
    await createJob(world, killed, {
      failed: 1,
      conditions: [{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded' }],
    });
    await watcher.handler.onAdd?.(await readJob(world, killed), false);
    expect(finishCalls()).toBe(0);
    expect(world.sim.requestCounts()['batch-load-job-states'] ?? 0).toBe(0);
  });

  it('logs and skips an object without a job UUID label', async () => {
    const job = await createJob(world, randomUUID(), {});
    const unlabelled = { ...job, metadata: { ...job.metadata, labels: {} } };
    await expect(watcher.handler.onAdd?.(unlabelled, false)).resolves.toBeUndefined();
    expect(world.checker.size).toBe(0);
  });

  it('runs the stall loop on its own until stopped', async () => {
    const loopWatcher = new JobWatcher({
      kube: world.client,
      source: world.source,
      cancelChecker: world.checker,
      emptyJobGracePeriodMs: GRACE_MS,
      logger: quietLogger,
      metrics: world.metrics.jobWatcher,
      errors: world.errors,
      checkIntervalMs: 5,
      now: () => now,
    });
    const uuid = await world.job();
    await loopWatcher.handler.onAdd?.(
      await createJob(world, uuid, { startTime: new Date(now - 90_000).toISOString() }),
      false,
    );
    const done = loopWatcher.start(new AbortController().signal);
    for (let i = 0; i < 200 && !loopWatcher.isIgnored(uuid); i++) await new Promise((r) => setTimeout(r, 5));
    await loopWatcher.stop();
    await done;
    expect(loopWatcher.isIgnored(uuid)).toBe(true);
    expect(await deadlineOf(uuid)).toBe(1);
  });

  it('keeps a bug in a dependency inside: handlers resolve and the loop goes on', async () => {
    let calls = 0;
    const broken = new JobWatcher({
      kube: world.client,
      source: {
        getJobStates: () => {
          calls++;
          throw new Error('bug');
        },
        failJob: () => {
          throw new Error('bug');
        },
      },
      cancelChecker: world.checker,
      emptyJobGracePeriodMs: GRACE_MS,
      logger: quietLogger,
      metrics: world.metrics.jobWatcher,
      errors: world.errors,
      checkIntervalMs: 2,
      now: () => now,
    });
    const uuid = await world.job();
    await createJob(world, uuid, {
      failed: 1,
      conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }],
    });
    await expect(broken.handler.onAdd?.(await readJob(world, uuid), false)).resolves.toBeUndefined();
    const other = await world.job();
    await broken.handler.onAdd?.(
      await createJob(world, other, { startTime: new Date(now - 90_000).toISOString() }),
      false,
    );
    const loop = broken.start(new AbortController().signal);
    for (let i = 0; i < 200 && calls < 3; i++) await new Promise((r) => setTimeout(r, 2));
    await broken.stop();
    await loop;
    expect(calls).toBeGreaterThanOrEqual(3);
    expect(broken.isStalling(other)).toBe(true);
    expect(await counterValue(world.errors, { watcher: 'job' })).toBeGreaterThanOrEqual(3);
  });
});
