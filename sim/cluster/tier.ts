/**
 * The cluster {@link KubeTier}: one namespace of a real control plane (see `control-plane.ts`) per
 * harness, holding the agent token Secret. Pods move through their lifecycle by annotation: the tier
 * sets `stage.agent-stack-k8s.test/*` on a pod and the KWOK stages in `pod-stages.yaml` write the status
 * a kubelet would. Job changes come from an informer on the namespace.
 *
 * What a real API server cannot do for a test: inject faults and count requests (both undefined here),
 * and cut another client's watches (`dropWatches` returns 0).
 */
import { randomBytes } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { AGENT_TOKEN_SECRET, type KubeTier, type JobChange } from '../../src/demo/fake-cluster.js';
import {
  jobUuidOf,
  type ImageFailureReason,
  type PodInfo,
  type PodLifecycle,
} from '../../src/demo/pod-agent.js';
import { sleep } from '../../src/backoff.js';
import { KubeClient } from '../../src/kube/client.js';
import { describeKubeError } from '../../src/kube/errors.js';
import {
  createInformerMetrics,
  Informer,
  isTombstone,
  type DeletedFinalStateUnknown,
} from '../../src/kube/informer.js';
import type { Job, Pod } from '../../src/kube/types.js';
import type { Logger } from '../../src/observability/logger.js';
import type { KubeObject } from '../kube/store.js';

/** Annotation keys read by the KWOK pod stages. */
export const STAGE_ANNOTATION = {
  outcome: 'stage.agent-stack-k8s.test/outcome',
  container: 'stage.agent-stack-k8s.test/container',
  exitCode: 'stage.agent-stack-k8s.test/exit-code',
  reason: 'stage.agent-stack-k8s.test/reason',
} as const;

export interface ClusterTierOptions {
  /** Kubeconfig of the control plane (a `system:masters` user). */
  readonly kubeconfigYaml: string;
  readonly agentToken: string;
  readonly logger: Logger;
  /** How long a pod may take to show the status its stage writes (default 15 s). */
  readonly stageTimeoutMs?: number;
}

export async function startClusterTier(options: ClusterTierOptions): Promise<KubeTier> {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(options.kubeconfigYaml);
  // The tier is a test fixture, not a client under test: no client-side throttling.
  const client = new KubeClient({ kubeConfig, qps: 1000, burst: 1000, userAgent: 'cluster-tier' });
  const namespace = `scenario-${randomBytes(5).toString('hex')}`;
  const create = async (path: string, body: object): Promise<void> => {
    const created = await client.request({ method: 'POST', path, body });
    if (!created.ok) throw new Error(`cluster tier: POST ${path}: ${describeKubeError(created.error)}`);
  };
  await create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  const core = `/api/v1/namespaces/${namespace}`;
  // ServiceAccount admission refuses pods until the serviceaccount-controller has made `default` here, and
  // the Job controller would then back off for seconds: start with the account in place.
  const accountDeadline = Date.now() + 30_000;
  while (!(await client.request({ method: 'GET', path: `${core}/serviceaccounts/default` })).ok) {
    if (Date.now() > accountDeadline) {
      throw new Error(`cluster tier: no default ServiceAccount in namespace ${namespace} after 30 s`);
    }
    await sleep(50);
  }
  await create(`${core}/secrets`, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: AGENT_TOKEN_SECRET },
    data: { BUILDKITE_AGENT_TOKEN: Buffer.from(options.agentToken).toString('base64') },
  });

  const logger = options.logger.child({ component: 'cluster-tier', namespace });
  const metrics = createInformerMetrics(new Registry());
  const jobs = new Informer<Job>({ resource: 'jobs', namespace, source: client.jobs, logger, metrics });
  const pods = new Informer<Pod>({ resource: 'pods', namespace, source: client.pods, logger, metrics });
  jobs.start();
  pods.start();
  const stopInformers = async (): Promise<void> => {
    await Promise.all([jobs.stop(), pods.stop()]);
  };
  if (!(await jobs.waitForSync()) || !(await pods.waitForSync())) {
    await stopInformers();
    throw new Error(`cluster tier: informers of namespace ${namespace} did not sync`);
  }

  return {
    kubeConfig,
    kubeconfigYaml: options.kubeconfigYaml,
    namespace,
    pods: clusterPods({ client, pods, namespace, timeoutMs: options.stageTimeoutMs ?? 15_000 }),
    faults: undefined,
    requestCounts: undefined,
    // A pods quota of 0: the Job controller's pod creations are refused from now on. The API server's
    // quota admission reads quotas from its own cache, so the quota bites a moment after it is created;
    // the scenarios call this before they start the controller.
    stopPodCreation: () => {
      void create(`${core}/resourcequotas`, {
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: { name: 'no-pods' },
        spec: { hard: { pods: '0' } },
      }).catch((error: unknown) => {
        logger.error({ err: error }, 'creating the pods quota failed');
      });
    },
    dropWatches: () => 0,
    jobs: async () => {
      const listed = await client.jobs.list(namespace);
      if (!listed.ok) throw new Error(`cluster tier: listing Jobs: ${describeKubeError(listed.error)}`);
      return listed.value.items as KubeObject[];
    },
    onJobChange: (listener: (change: JobChange) => void) => {
      const registration = jobs.addHandler({
        onAdd: (job) => {
          listener({ type: 'ADDED', job: job as KubeObject });
        },
        onUpdate: (_old, job) => {
          listener({ type: 'MODIFIED', job: job as KubeObject });
        },
        onDelete: (job) => {
          listener({ type: 'DELETED', job: (isTombstone(job) ? job.object : job) as KubeObject });
        },
      });
      return () => {
        registration.remove();
      };
    },
    close: async () => {
      await stopInformers();
      // The namespace controller removes what is left; nobody needs to wait for it.
      const deleted = await client.request({ method: 'DELETE', path: `/api/v1/namespaces/${namespace}` });
      if (!deleted.ok)
        logger.warn({ error: describeKubeError(deleted.error) }, 'deleting the namespace failed');
      await client.close();
    },
  };
}

interface PodsOptions {
  readonly client: KubeClient;
  readonly pods: Informer<Pod>;
  readonly namespace: string;
  readonly timeoutMs: number;
}

function clusterPods({ client, pods, namespace, timeoutMs }: PodsOptions): PodLifecycle {
  // Pods waiting for a status, by name, checked on each change of that pod: polling instead turns
  // thousands of held pods (benchmarks) into a busy loop that starves everything else.
  const waiters = new Map<string, Set<() => void>>();
  const wake = (change: Pod | DeletedFinalStateUnknown<Pod>): void => {
    const pod = isTombstone(change) ? change.object : change;
    for (const check of waiters.get(pod.metadata?.name ?? '') ?? []) check();
  };
  pods.addHandler({
    onAdd: wake,
    onUpdate: (_old, pod) => {
      wake(pod);
    },
    onDelete: wake,
  });
  /**
   * Annotates the pod, then waits until its status shows `reached` (or it is gone: deleted pods have
   * nothing more to show). A pod that was gone before the patch is an error, as in the fake.
   */
  const drive = async (
    pod: PodInfo,
    what: string,
    annotations: Record<string, string>,
    reached: (pod: Pod) => boolean,
  ): Promise<void> => {
    const path = `/api/v1/namespaces/${namespace}/pods/${encodeURIComponent(pod.name)}`;
    const patched = await client.request({
      method: 'PATCH',
      path,
      body: { metadata: { annotations } },
      contentType: 'application/merge-patch+json',
    });
    if (!patched.ok) {
      if (patched.error.kind === 'NotFound') throw new Error(`cannot ${what} pod ${pod.name}: it is gone`);
      throw new Error(`cannot ${what} pod ${pod.name}: ${describeKubeError(patched.error)}`);
    }
    const settled = (): boolean => {
      const current = pods.get(namespace, pod.name);
      return current === undefined || reached(current);
    };
    if (settled()) return;
    await new Promise<void>((resolve, reject) => {
      const forPod = waiters.get(pod.name) ?? new Set<() => void>();
      waiters.set(pod.name, forPod);
      const finish = (): void => {
        clearTimeout(timer);
        forPod.delete(check);
        if (forPod.size === 0) waiters.delete(pod.name);
      };
      const check = (): void => {
        if (!settled()) return;
        finish();
        resolve();
      };
      forPod.add(check);
      const timer = setTimeout(() => {
        finish();
        const phase = pods.get(namespace, pod.name)?.status?.phase ?? '?';
        reject(
          new Error(
            `pod ${pod.name} did not ${what} within ${String(timeoutMs)} ms (phase ${phase}): ` +
              'do the KWOK pod stages match?',
          ),
        );
      }, timeoutMs);
    });
  };
  const phase = (want: string) => (p: Pod) => p.status?.phase === want;
  const outcome = (value: string, extra: Record<string, string> = {}): Record<string, string> => ({
    [STAGE_ANNOTATION.outcome]: value,
    ...extra,
  });

  return {
    list: () =>
      Promise.resolve(
        pods.list().flatMap((p) => {
          const jobUuid = jobUuidOf(p.metadata?.labels);
          if (jobUuid === undefined) return [];
          return [{ namespace, name: p.metadata?.name ?? '', jobUuid, phase: p.status?.phase ?? '' }];
        }),
      ),
    run: (pod) => drive(pod, 'run', outcome('run'), phase('Running')),
    succeed: (pod) => drive(pod, 'complete', outcome('succeed'), phase('Succeeded')),
    fail: (pod, exitCode) =>
      drive(
        pod,
        'fail',
        outcome('fail', {
          [STAGE_ANNOTATION.container]: 'agent',
          [STAGE_ANNOTATION.exitCode]: String(exitCode),
        }),
        phase('Failed'),
      ),
    imagePullFailure: (pod, container, reason: ImageFailureReason) =>
      drive(
        pod,
        'fail the image of',
        outcome('image-pull', { [STAGE_ANNOTATION.container]: container, [STAGE_ANNOTATION.reason]: reason }),
        (p) =>
          [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])].some(
            (s) => s.name === container && s.state?.waiting?.reason === reason,
          ),
      ),
    failInit: (pod, container, exitCode) =>
      drive(
        pod,
        'fail an init container of',
        outcome('init-fail', {
          [STAGE_ANNOTATION.container]: container,
          [STAGE_ANNOTATION.exitCode]: String(exitCode),
        }),
        phase('Failed'),
      ),
  };
}
