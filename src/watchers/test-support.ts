/** Shared set-up of the watcher tests: Buildkite simulator, fake Kubernetes API, clients, objects. */
import { startBuildkiteSim, type BuildkiteSim } from '../../sim/buildkite/server.js';
import { startFakeKube, type FakeKube } from '../../sim/kube/index.js';
import { StacksJobSource } from '../buildkite/stacks/client.js';
import { UUID_LABEL } from '../podspec/labels.js';
import { quietLogger, testMetrics } from '../intake/test-support.js';
import { KubeClient } from '../kube/client.js';
import type { Job, Pod } from '../kube/types.js';
import { CancelChecker } from './cancel-checker.js';

const TOKEN = 'bkct_watchers';
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
  const sim = await startBuildkiteSim({ agentToken: TOKEN, rateLimits: false });
  const kube = await startFakeKube({ jobController: options.jobController ?? false });
  const source = new StacksJobSource({
    endpoint: sim.agentEndpoint,
    agentToken: TOKEN,
    timeoutMs: 2000,
    version: 'test',
    logger: quietLogger,
    stackKey: 'stack',
    queueKey: 'k8s',
    retry: { attempts: 1, baseMs: 1, maxMs: 1, maxRetryAfterMs: 10 },
    notifications: { intervalMs: 5 },
  });
  const registered = await source.register();
  if (!registered.ok) throw new Error(registered.error.message);
  const client = new KubeClient({ kubeConfig: kube.kubeConfig, qps: 1000, burst: 1000 });
  const metrics = testMetrics();
  const errors = metrics.watcherErrors;
  const checker = new CancelChecker({
    source,
    kube: client,
    intervalMs: 5,
    logger: quietLogger,
    metrics,
    errors,
  });
  return {
    sim,
    kube,
    source,
    client,
    metrics,
    checker,
    errors,
    async job(state = 'reserved') {
      const job = sim.createJob({ queue: 'k8s', command: 'true' });
      if (state === 'reserved') {
        const reserved = await source.reserveJobs([job.id], 0);
        if (!reserved.ok) throw new Error(reserved.error.message);
      }
      return job.id;
    },
    async close() {
      await checker.stop();
      await source.close();
      await client.close();
      await kube.close();
      await sim.close();
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
