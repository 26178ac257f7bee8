import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { quietLogger } from '../intake/test-support.js';
import type { Pod } from '../kube/types.js';
import { CompletionsWatcher } from './completions-watcher.js';
import {
  counterValue,
  createJob,
  createPod,
  NS,
  readJob,
  readPod,
  startWorld,
  type WatcherWorld,
} from './test-support.js';

describe('CompletionsWatcher against the fake API', () => {
  let world: WatcherWorld;
  let watcher: CompletionsWatcher;

  beforeEach(async () => {
    world = await startWorld();
    watcher = new CompletionsWatcher({
      kube: world.client,
      terminationGracePeriodSeconds: 60,
      logger: quietLogger,
      metrics: world.metrics.completionWatcher,
      errors: world.errors,
    });
  });

  afterEach(async () => {
    await world.close();
  });

  const SHAPE = {
    containers: [
      { name: 'agent', image: 'buildkite/agent:3' },
      { name: 'unmanaged', image: 'redis:7' },
    ],
  };

  async function podWith(
    uuid: string,
    change: Parameters<WatcherWorld['kube']['pods']['transition']>[2],
  ): Promise<[Pod, Pod]> {
    const before = await createPod(world, uuid, SHAPE);
    world.kube.pods.transition(NS, before.metadata?.name ?? '', change);
    return [before, await readPod(world, before.metadata?.name ?? '')];
  }

  it('sets the Job deadline to the grace period once the agent has exited but the pod runs on', async () => {
    const uuid = await world.job();
    await createJob(world, uuid, { active: 1 });
    const [before, after] = await podWith(uuid, {
      phase: 'Running',
      containers: { agent: { terminated: { exitCode: 0, reason: 'Completed' } }, unmanaged: { running: {} } },
    });
    await watcher.handler.onUpdate?.(before, after);
    expect((await readJob(world, uuid)).spec?.activeDeadlineSeconds).toBe(60);
    expect(await counterValue(world.metrics.completionWatcher.cleanups)).toBe(1);
    // Later updates, with the agent already terminated before, change nothing.
    await watcher.handler.onUpdate?.(after, after);
    expect(await counterValue(world.metrics.completionWatcher.cleanups)).toBe(1);
    // A restarted controller sees the pod in its initial list and handles it again.
    await watcher.handler.onAdd?.(after, true);
    expect(await counterValue(world.metrics.completionWatcher.cleanups)).toBe(2);
  });

  it('leaves terminal pods and pods with a running agent alone', async () => {
    const uuid = await world.job();
    await createJob(world, uuid, { active: 1 });
    const [, running] = await podWith(uuid, { phase: 'Running', containers: { agent: { running: {} } } });
    await watcher.handler.onAdd?.(running, false);
    world.kube.pods.transition(NS, running.metadata?.name ?? '', {
      phase: 'Succeeded',
      containers: { agent: { terminated: { exitCode: 0 } }, unmanaged: { terminated: { exitCode: 0 } } },
    });
    await watcher.handler.onUpdate?.(running, await readPod(world, running.metadata?.name ?? ''));
    expect((await readJob(world, uuid)).spec?.activeDeadlineSeconds).toBe(3600);
    expect(await counterValue(world.metrics.completionWatcher.cleanups)).toBe(0);
  });

  it('retries the update on a conflict', async () => {
    const uuid = await world.job();
    await createJob(world, uuid, { active: 1 });
    const [before, after] = await podWith(uuid, {
      phase: 'Running',
      containers: { agent: { terminated: { exitCode: 0 } } },
    });
    world.kube.faults.inject({
      verb: 'update',
      resource: 'jobs',
      times: 2,
      action: { kind: 'status', code: 409 },
    });
    await watcher.handler.onUpdate?.(before, after);
    expect((await readJob(world, uuid)).spec?.activeDeadlineSeconds).toBe(60);
    expect(await counterValue(world.metrics.completionWatcher.cleanups)).toBe(1);
  });

  it('counts a pod without a job-name label as not found, without calling the API', async () => {
    const uuid = await world.job();
    const [before, after] = await podWith(uuid, {
      phase: 'Running',
      containers: { agent: { terminated: { exitCode: 0 } } },
    });
    const unlabelled: Pod = { ...after, metadata: { ...after.metadata, labels: {} } };
    const gets = world.kube.requestCounts()['get jobs'] ?? 0;
    await watcher.handler.onUpdate?.(before, unlabelled);
    expect(world.kube.requestCounts()['get jobs'] ?? 0).toBe(gets);
    expect(await counterValue(world.metrics.completionWatcher.cleanupErrors, { reason: 'NotFound' })).toBe(1);
  });

  it('counts a failed update by its reason', async () => {
    const uuid = await world.job();
    const [before, after] = await podWith(uuid, {
      phase: 'Running',
      containers: { agent: { terminated: { exitCode: 1 } } },
    });
    await watcher.handler.onUpdate?.(before, after);
    expect(await counterValue(world.metrics.completionWatcher.cleanupErrors, { reason: 'NotFound' })).toBe(1);
  });
});
