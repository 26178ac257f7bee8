import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  counterValue,
  createJob,
  createPod,
  jobName,
  NS,
  startWorld,
  type WatcherWorld,
} from './test-support.js';

describe('CancelChecker against the simulators', () => {
  let world: WatcherWorld;

  beforeEach(async () => {
    world = await startWorld();
  });

  afterEach(async () => {
    await world.close();
  });

  function exists(resource: 'pods' | 'jobs', name: string): boolean {
    return world.kube.store.get(resource, NS, name) !== undefined;
  }

  it('deletes the pending pod of a cancelled job and stops checking it', async () => {
    const uuid = await world.job();
    const pod = await createPod(world, uuid);
    const name = pod.metadata?.name ?? '';
    world.checker.addPod(uuid, { namespace: NS, name });
    await world.checker.checkOnce();
    expect(exists('pods', name)).toBe(true);
    world.sim.cancelJob(uuid);
    await world.checker.checkOnce();
    expect(exists('pods', name)).toBe(false);
    expect(world.checker.size).toBe(0);
    expect(
      await counterValue(world.metrics.podWatcher.podsForcefullyDeleted, { delete_reason: 'job_cancelled' }),
    ).toBe(1);
    expect(world.sim.requestCounts()['finish-job'] ?? 0).toBe(0);
  });

  it('deletes a podless Job of a cancelled job', async () => {
    const uuid = await world.job();
    await createJob(world, uuid, {});
    world.checker.addJob(uuid, { namespace: NS, name: jobName(uuid) });
    world.sim.cancelJob(uuid);
    await world.checker.checkOnce();
    expect(exists('jobs', jobName(uuid))).toBe(false);
    expect(
      await counterValue(world.metrics.jobWatcher.forcefullyDeleted, { delete_reason: 'job_cancelled' }),
    ).toBe(1);
  });

  it('keeps checking when the deletion fails, and counts the error', async () => {
    const uuid = await world.job();
    const pod = await createPod(world, uuid);
    world.checker.addPod(uuid, { namespace: NS, name: pod.metadata?.name ?? '' });
    world.sim.cancelJob(uuid);
    world.kube.faults.inject({
      verb: 'delete',
      resource: 'pods',
      times: 1,
      action: { kind: 'status', code: 500 },
    });
    await world.checker.checkOnce();
    expect(world.checker.size).toBe(1);
    expect(
      await counterValue(world.metrics.podWatcher.podsForcefulDeletionErrors, {
        delete_reason: 'job_cancelled',
        error_reason: 'InternalError',
      }),
    ).toBe(1);
    await world.checker.checkOnce();
    expect(world.checker.size).toBe(0);
  });

  it('keeps waiting jobs, drops jobs an agent has, keeps unknown ones and survives lookup errors', async () => {
    const waiting = await world.job('scheduled');
    const taken = await world.job();
    const unknown = '00000000-0000-4000-8000-000000000000';
    for (const uuid of [waiting, taken, unknown])
      world.checker.addJob(uuid, { namespace: NS, name: jobName(uuid) });
    const simJob = world.sim.job(taken);
    if (simJob) simJob.state = 'running';
    world.sim.injectFault({ endpoint: 'batch-load-job-states', status: 500 });
    await world.checker.checkOnce();
    expect(world.checker.size).toBe(3);
    await world.checker.checkOnce();
    expect(world.checker.target(waiting)?.kind).toBe('job');
    expect(world.checker.target(taken)).toBeUndefined();
    expect(world.checker.target(unknown)?.kind).toBe('job');
    expect(world.sim.requestCounts()['batch-load-job-states']).toBe(2);
  });

  it('asks for all registered jobs in one call per round', async () => {
    const ids = await Promise.all([world.job(), world.job(), world.job()]);
    for (const uuid of ids) world.checker.addJob(uuid, { namespace: NS, name: jobName(uuid) });
    await world.checker.checkOnce();
    expect(world.sim.requestCounts()['batch-load-job-states']).toBe(1);
    expect(await world.metrics.podWatcher.jobCancelCheckers.get()).toMatchObject({ values: [{ value: 3 }] });
  });

  it('prefers a pod target: a pod replaces a Job registration, a Job never replaces a pod', () => {
    const uuid = '00000000-0000-4000-8000-000000000001';
    world.checker.addJob(uuid, { namespace: NS, name: 'job' });
    world.checker.addPod(uuid, { namespace: NS, name: 'pod' });
    world.checker.addJob(uuid, { namespace: NS, name: 'job' });
    expect(world.checker.target(uuid)).toEqual({ kind: 'pod', namespace: NS, name: 'pod' });
    world.checker.stopChecking(uuid);
    expect(world.checker.size).toBe(0);
  });

  it('makes no call with nothing registered', async () => {
    await world.checker.checkOnce();
    expect(world.sim.requestCounts()['batch-load-job-states'] ?? 0).toBe(0);
  });

  it('deletes a cancelled pending pod within the polling loop', async () => {
    const uuid = await world.job();
    const pod = await createPod(world, uuid);
    const name = pod.metadata?.name ?? '';
    world.checker.addPod(uuid, { namespace: NS, name });
    const loop = world.checker.start(new AbortController().signal);
    world.sim.cancelJob(uuid);
    for (let i = 0; i < 200 && exists('pods', name); i++) await new Promise((r) => setTimeout(r, 5));
    await world.checker.stop();
    await loop;
    expect(exists('pods', name)).toBe(false);
  });
});
