/**
 * The benchmark's real-cluster tier: a namespace of a control plane from `sim/cluster/control-plane.ts`
 * (kube-apiserver, the Job, TTL and garbage-collector controllers, kube-scheduler, KWOK nodes) with the
 * agent token Secret. KWOK is told to leave pods alone; the bench writes their status itself (as a
 * kubelet would) when the pod agent runs, finishes or fails a job, so a pod is Pending until its agent
 * takes it, the way the fake tier behaves.
 */
import { randomBytes } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import type { ControlPlane } from '../sim/cluster/control-plane.js';
import type { KubeObject } from '../sim/kube/store.js';
import { AGENT_TOKEN_SECRET, type JobChange } from '../src/demo/fake-cluster.js';
import { jobUuidOf, type PodInfo, type PodLifecycle } from '../src/demo/pod-agent.js';
import { sleep } from '../src/backoff.js';
import { KubeClient } from '../src/kube/client.js';
import { describeKubeError } from '../src/kube/errors.js';
import { createInformerMetrics, Informer, isTombstone } from '../src/kube/informer.js';
import type { Job, Pod } from '../src/kube/types.js';
import { createLogger } from '../src/observability/logger.js';

/** What a benchmark run needs from a Kubernetes tier (the fake tier's `KubeTier` has it too). */
export interface BenchTier {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  readonly pods: PodLifecycle;
  onJobChange(listener: (change: JobChange) => void): () => void;
  close(): Promise<void>;
}

/**
 * KWOK stages: nodes turn Ready once (no heartbeats: no node-lifecycle controller runs), and one pod stage
 * that matches no pod. Any pod stage replaces KWOK's defaults (which would run every pod at once), and
 * then node stages must be given too, so pod status is the bench's to write.
 */
export const BENCH_KWOK_STAGES = `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: bench-node-ready
spec:
  resourceRef:
    apiGroup: v1
    kind: Node
  selector:
    matchExpressions:
      - key: '.status.phase'
        operator: DoesNotExist
  next:
    statusTemplate: |
      phase: Running
      conditions:
        - type: Ready
          status: "True"
          reason: KubeletReady
          message: bench node
          lastHeartbeatTime: {{ Now }}
          lastTransitionTime: {{ Now }}
      capacity: {cpu: "1000", memory: 4Ti, pods: "1000000"}
      allocatable: {cpu: "1000", memory: 4Ti, pods: "1000000"}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: bench-pods-hands-off
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
      - key: '.metadata.annotations["bench.agent-stack-k8s.test/never"]'
        operator: Exists
  next:
    statusTemplate: '{}'
`;

type ContainerState =
  | { running: { startedAt: string } }
  | { terminated: { exitCode: number; reason: string; startedAt: string; finishedAt: string } }
  | { waiting: { reason: string } };

export async function startClusterTier(options: {
  readonly controlPlane: ControlPlane;
  readonly agentToken: string;
}): Promise<BenchTier> {
  const { kubeConfig } = options.controlPlane;
  // The tier is the bench's own client, not the one under test: no client-side throttling.
  const client = new KubeClient({ kubeConfig, qps: 1000, burst: 1000, userAgent: 'bench-cluster-tier' });
  const namespace = `bench-${randomBytes(4).toString('hex')}`;
  const post = async (path: string, body: object): Promise<void> => {
    const created = await client.request({ method: 'POST', path, body });
    if (!created.ok) throw new Error(`cluster tier: POST ${path}: ${describeKubeError(created.error)}`);
  };
  await post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  await post(`/api/v1/namespaces/${namespace}/secrets`, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: AGENT_TOKEN_SECRET },
    data: { BUILDKITE_AGENT_TOKEN: Buffer.from(options.agentToken).toString('base64') },
  });

  const logger = createLogger({ format: 'json', level: 'error', write: () => undefined });
  const metrics = createInformerMetrics(new Registry());
  const jobs = new Informer<Job>({ resource: 'jobs', namespace, source: client.jobs, logger, metrics });
  const pods = new Informer<Pod>({ resource: 'pods', namespace, source: client.pods, logger, metrics });
  jobs.start();
  pods.start();
  if (!(await jobs.waitForSync()) || !(await pods.waitForSync())) {
    await Promise.all([jobs.stop(), pods.stop()]);
    throw new Error(`cluster tier: informers of namespace ${namespace} did not sync`);
  }

  /** Writes the pod's status as a kubelet would: phase and one state per (init) container. */
  const writeStatus = async (
    info: PodInfo,
    phase: string,
    state: (container: string, init: boolean) => ContainerState,
  ): Promise<void> => {
    const pod = pods.get(namespace, info.name);
    if (pod === undefined) throw new Error(`cluster tier: pod ${info.name} is gone`);
    const now = new Date().toISOString();
    const statuses = (containers: readonly { name: string; image?: string }[] | undefined, init: boolean) =>
      (containers ?? []).map((c) => {
        const s = state(c.name, init);
        return {
          name: c.name,
          image: c.image ?? '',
          imageID: '',
          ready: 'running' in s,
          started: 'running' in s,
          restartCount: 0,
          state: s,
        };
      });
    const patched = await client.request({
      method: 'PATCH',
      path: `/api/v1/namespaces/${namespace}/pods/${info.name}/status`,
      contentType: 'application/merge-patch+json',
      body: {
        status: {
          phase,
          startTime: pod.status?.startTime ?? now,
          podIP: '10.1.0.1',
          initContainerStatuses: statuses(pod.spec?.initContainers, true),
          containerStatuses: statuses(pod.spec?.containers, false),
        },
      },
    });
    if (!patched.ok) {
      throw new Error(`cluster tier: status of pod ${info.name}: ${describeKubeError(patched.error)}`);
    }
  };
  const at = new Date().toISOString();
  const done = (exitCode: number): ContainerState => ({
    terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: at, finishedAt: at },
  });

  return {
    kubeConfig,
    namespace,
    pods: {
      list: () =>
        Promise.resolve(
          pods.list().flatMap((pod): PodInfo[] => {
            const jobUuid = jobUuidOf(pod.metadata?.labels);
            const name = pod.metadata?.name;
            if (jobUuid === undefined || name === undefined) return [];
            return [{ namespace, name, jobUuid, phase: pod.status?.phase ?? 'Pending' }];
          }),
        ),
      run: (pod) =>
        writeStatus(pod, 'Running', (_, init) => (init ? done(0) : { running: { startedAt: at } })),
      succeed: (pod) => writeStatus(pod, 'Succeeded', () => done(0)),
      fail: (pod, exitCode) =>
        writeStatus(pod, 'Failed', (name, init) => done(!init && name === 'agent' ? exitCode : 0)),
      imagePullFailure: (pod, container, reason) =>
        writeStatus(pod, 'Pending', (name) => (name === container ? { waiting: { reason } } : done(0))),
      failInit: (pod, container, exitCode) =>
        writeStatus(pod, 'Failed', (name, init) =>
          init && name === container ? done(exitCode) : { waiting: { reason: 'PodInitializing' } },
        ),
    },
    onJobChange: (listener) => {
      const asObject = (job: Job): KubeObject => ({ ...job, metadata: job.metadata ?? {} }) as KubeObject;
      const registration = jobs.addHandler({
        onAdd: (job) => {
          listener({ type: 'ADDED', job: asObject(job) });
        },
        onUpdate: (_, job) => {
          listener({ type: 'MODIFIED', job: asObject(job) });
        },
        onDelete: (job) => {
          listener({ type: 'DELETED', job: asObject(isTombstone(job) ? job.object : job) });
        },
      });
      return () => {
        registration.remove();
      };
    },
    close: async () => {
      await Promise.all([jobs.stop(), pods.stop()]);
      // Deleting the namespace takes the Jobs and pods with it; the control plane outlives the run. Wait
      // (bounded) until it is gone: the next run's Jobs would otherwise queue behind this teardown.
      const path = `/api/v1/namespaces/${namespace}`;
      await client.request({ method: 'DELETE', path });
      for (let i = 0; i < 600; i++) {
        const found = await client.request({ method: 'GET', path });
        if (!found.ok && found.error.kind === 'NotFound') break;
        await sleep(500);
      }
      await client.close();
    },
  };
}
