/** Shared set-up of the watcher tests: Buildkite simulator, fake Kubernetes API, clients, objects. */
import type { BuildkiteSim } from '../../sim/buildkite/server.js';
import type { FakeKube } from '../../sim/kube/index.js';
import { startTestWorld } from '../../test/support/world.js';
import type { StacksJobSource } from '../buildkite/stacks/client.js';
import { UUID_LABEL } from '../podspec/labels.js';
import { quietLogger, testMetrics } from '../intake/test-support.js';
import type { KubeClient } from '../kube/client.js';
import type { Job, Pod } from '../kube/types.js';
import { CancelChecker } from './cancel-checker.js';

export const NS = 'default';

export interface WatcherWorld {
  readonly sim: BuildkiteSim;
  readonly kube: FakeKube;
  readonly source: StacksJobSource;
  readonly client: KubeClient;
  readonly metrics: ReturnType<typeof testMetrics>;
  readonly checker: CancelChecker;
  /** `buildkite_watcher_errors_total` on the world's registry. */
  readonly errors: ReturnType<typeof testMetrics>['watcherErrors'];
  /** A Buildkite job in `state` (created scheduled, reserved by our stack when asked). */
  job(state?: 'scheduled' | 'reserved'): Promise<string>;
  close(): Promise<void>;
}

export async function startWorld(options: { jobController?: boolean } = {}): Promise<WatcherWorld> {
  const world = await startTestWorld(options);
  const metrics = testMetrics();
  const errors = metrics.watcherErrors;
  const checker = new CancelChecker({
    source: world.source,
    kube: world.client,
    intervalMs: 5,
    logger: quietLogger,
    metrics,
    errors,
  });
  return {
    ...world,
    metrics,
    checker,
    errors,
    job: (state = 'reserved') => world.job({ state }),
    async close() {
      await checker.stop();
      await world.close();
    },
  };
}

export function jobName(uuid: string): string {
  return `buildkite-${uuid}`;
}

/** Creates a Job straight in the fake's store (no controller) and reads it back through the API. */
export async function createJob(
  world: WatcherWorld,
  uuid: string,
  status: Record<string, unknown>,
): Promise<Job> {
  const created = world.kube.store.create('jobs', {
    metadata: { name: jobName(uuid), namespace: NS, labels: { [UUID_LABEL]: uuid } },
    spec: { template: {}, activeDeadlineSeconds: 3600 },
    status,
  });
  if (!created.ok) throw new Error(`cannot create Job: ${created.reason}`);
  return readJob(world, uuid);
}

export async function readJob(world: WatcherWorld, uuid: string): Promise<Job> {
  const live = await world.client.jobs.get(NS, jobName(uuid));
  if (!live.ok) throw new Error(live.error.message);
  return live.value;
}

export interface PodShape {
  readonly initContainers?: readonly { name: string; image: string; restartPolicy?: string }[];
  readonly containers?: readonly { name: string; image: string }[];
}

/** Creates a Pending pod of the job's Job in the store. */
export async function createPod(world: WatcherWorld, uuid: string, shape: PodShape = {}): Promise<Pod> {
  const name = `${jobName(uuid)}-abcde`;
  const created = world.kube.store.create('pods', {
    metadata: {
      name,
      namespace: NS,
      labels: { [UUID_LABEL]: uuid, 'job-name': jobName(uuid) },
    },
    spec: {
      initContainers: shape.initContainers ?? [],
      containers: shape.containers ?? [{ name: 'agent', image: 'buildkite/agent:3' }],
    },
    status: { phase: 'Pending' },
  });
  if (!created.ok) throw new Error(`cannot create pod: ${created.reason}`);
  return readPod(world, name);
}

export async function readPod(world: WatcherWorld, name: string): Promise<Pod> {
  const live = await world.client.pods.get(NS, name);
  if (!live.ok) throw new Error(live.error.message);
  return live.value;
}

export async function counterValue(
  metric: { get(): Promise<{ values: { value: number; labels: object }[] }> },
  labels: object = {},
): Promise<number> {
  const { values } = await metric.get();
  const match = values.find((v) =>
    Object.entries(labels).every(([k, l]) => (v.labels as Record<string, unknown>)[k] === l),
  );
  return match?.value ?? 0;
}
