/**
 * The fake Kubernetes tier: the in-process API server with its Job controller, the agent token
 * Secret, pods driven through the pod driver, and a feed of Job changes for counting.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { startFakeKube, type Faults, type FakeKube, type KubeObject } from '../../sim/kube/index.js';
import { timestamp } from '../../sim/kube/store.js';
import { jobUuidOf, type PodInfo, type PodLifecycle } from './pod-agent.js';

export const AGENT_TOKEN_SECRET = 'buildkite-agent-token';

export interface JobChange {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly job: KubeObject;
}

/** A Kubernetes tier as the scenario suite and the demo need it. */
export interface KubeTier {
  readonly kubeConfig: KubeConfig;
  /** The same as a kubeconfig document, for child processes. */
  readonly kubeconfigYaml: string;
  readonly namespace: string;
  readonly pods: PodLifecycle;
  /** Fault injection; only the fake has it. */
  readonly faults: Faults | undefined;
  /**
   * From now on Jobs start but get no pod, as under a pods ResourceQuota of 0 (the fake stops its Job
   * controller and only stamps the start time).
   */
  stopPodCreation(): void;
  /** Drops open watches (all resources); returns how many. */
  dropWatches(): number;
  /** The Jobs in the namespace now. */
  jobs(): Promise<readonly KubeObject[]>;
  /** Kubernetes API requests served so far, keyed `<verb> <resource>`; only the fake counts them. */
  requestCounts: (() => Record<string, number>) | undefined;
  /** Every Job change from now on, in order; returns the unsubscribe function. */
  onJobChange(listener: (change: JobChange) => void): () => void;
  close(): Promise<void>;
}

export async function startFakeTier(options: { readonly agentToken: string }): Promise<KubeTier> {
  const kube = await startFakeKube();
  const namespace = 'default';
  kube.store.create('secrets', {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: AGENT_TOKEN_SECRET, namespace },
    data: { BUILDKITE_AGENT_TOKEN: Buffer.from(options.agentToken).toString('base64') },
  });
  return {
    kubeConfig: kube.kubeConfig,
    kubeconfigYaml: kube.kubeconfigYaml,
    namespace,
    pods: fakePods(kube, namespace),
    faults: kube.faults,
    stopPodCreation: () => {
      kube.jobController?.stop();
      kube.store.subscribe((change) => {
        if (change.resource !== 'jobs' || change.type !== 'ADDED') return;
        const { namespace: ns = namespace, name = '' } = change.object.metadata;
        // After this listener returns: the store does not expect writes from inside a listener.
        setImmediate(() => {
          kube.store.mutate('jobs', ns, name, (job) => {
            job.status = { ...(job.status ?? {}), startTime: timestamp(kube.store.now()) };
          });
        });
      });
    },
    dropWatches: () => kube.faults.dropWatches(),
    jobs: () => Promise.resolve(kube.store.list('jobs', namespace)),
    requestCounts: () => kube.requestCounts(),
    onJobChange: (listener) =>
      kube.store.subscribe((change) => {
        if (change.resource === 'jobs' && change.object.metadata.namespace === namespace) {
          listener({ type: change.type, job: change.object });
        }
      }),
    close: () => kube.close(),
  };
}

function fakePods(kube: FakeKube, namespace: string): PodLifecycle {
  const ok = (done: boolean, what: string, pod: PodInfo): Promise<void> =>
    done ? Promise.resolve() : Promise.reject(new Error(`cannot ${what} pod ${pod.name}: it is gone`));
  // Kept current from the store's change feed: listing (deep copies) on every agent poll costs O(pods).
  const index = new Map<string, PodInfo>();
  kube.store.subscribe(({ resource, type, object }) => {
    if (resource !== 'pods' || object.metadata.namespace !== namespace) return;
    const name = object.metadata.name ?? '';
    const jobUuid = jobUuidOf(object.metadata.labels);
    if (type === 'DELETED' || jobUuid === undefined) {
      index.delete(name);
      return;
    }
    const phase = (object.status as { phase?: string } | undefined)?.phase ?? '';
    index.set(name, { namespace, name, jobUuid, phase });
  });
  return {
    list: () => Promise.resolve([...index.values()]),
    run: (pod) => ok(kube.pods.run(namespace, pod.name), 'run', pod),
    succeed: (pod) => ok(kube.pods.succeed(namespace, pod.name), 'complete', pod),
    fail: (pod, exitCode) => ok(kube.pods.fail(namespace, pod.name, { agent: exitCode }), 'fail', pod),
    imagePullFailure: (pod, container, reason) =>
      ok(kube.pods.imagePullFailure(namespace, pod.name, container, reason), 'fail the image of', pod),
    failInit: (pod, container, exitCode) =>
      ok(kube.pods.failInit(namespace, pod.name, container, exitCode), 'fail an init container of', pod),
  };
}

/** Whether a Job has its terminal condition (it no longer counts against max-in-flight). */
export function isFinishedJob(job: KubeObject): boolean {
  const conditions = (job.status as { conditions?: { type: string; status: string }[] } | undefined)
    ?.conditions;
  return (conditions ?? []).some(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );
}
