/**
 * A minimal kube-controller-manager Job controller for the fake: one pod per Job from its template,
 * Job status and conditions from that pod, `activeDeadlineSeconds` (checked on a tick, so loosely),
 * and replacement or failure when a running pod disappears. Reacts asynchronously, like the real one, so
 * watchers see each resource's changes in resourceVersion order.
 */
import { recordEvent } from './pod-driver.js';
import { defaultPodSpec } from './registry.js';
import { randomSuffix, timestamp, type Change, type FakeStore, type KubeObject } from './store.js';

interface JobSpec {
  activeDeadlineSeconds?: number;
  backoffLimit?: number;
  template?: {
    metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    spec?: object;
  };
}

interface JobCondition {
  type: string;
  status: string;
  lastProbeTime: string;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

interface JobStatus {
  startTime?: string;
  completionTime?: string;
  active?: number;
  succeeded?: number;
  failed?: number;
  ready?: number;
  terminating?: number;
  uncountedTerminatedPods?: object;
  conditions?: JobCondition[];
}

export interface JobControllerOptions {
  readonly store: FakeStore;
  /** How often `activeDeadlineSeconds` is checked. */
  readonly tickMs?: number;
}

function jobStatus(job: KubeObject): JobStatus {
  return job.status ?? {};
}

function isFinished(job: KubeObject): boolean {
  return (jobStatus(job).conditions ?? []).some(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );
}

function isOverdue(job: KubeObject, now: number): boolean {
  const deadline = (job.spec as JobSpec | undefined)?.activeDeadlineSeconds;
  const started = jobStatus(job).startTime;
  if (deadline === undefined || started === undefined || isFinished(job)) return false;
  return now - Date.parse(started) >= deadline * 1000;
}

function podPhase(pod: KubeObject | undefined): string {
  return ((pod?.status ?? {}) as { phase?: string }).phase ?? '';
}

export class FakeJobController {
  readonly #store: FakeStore;
  readonly #queue: Change[] = [];
  readonly #unsubscribe: () => void;
  readonly #tick: NodeJS.Timeout;
  #scheduled: NodeJS.Immediate | undefined;
  #stopped = false;

  constructor(options: JobControllerOptions) {
    this.#store = options.store;
    this.#unsubscribe = this.#store.subscribe((change) => {
      if (change.resource !== 'jobs' && change.resource !== 'pods') return;
      this.#queue.push(change);
      this.#scheduled ??= setImmediate(() => {
        this.#scheduled = undefined;
        this.#drain();
      });
    });
    this.#tick = setInterval(() => {
      this.checkDeadlines();
    }, options.tickMs ?? 200);
  }

  stop(): void {
    this.#stopped = true;
    this.#unsubscribe();
    clearInterval(this.#tick);
    if (this.#scheduled) clearImmediate(this.#scheduled);
  }

  /** Fails every active Job whose `activeDeadlineSeconds` has passed since it started. */
  checkDeadlines(): void {
    const now = this.#store.now().getTime();
    const overdue = this.#store.page('jobs', { matches: (job) => isOverdue(job, now) }).items;
    for (const job of overdue) this.#expire(job);
  }

  #expire(job: KubeObject): void {
    this.#deletePodsOf(job);
    this.#finish(job, 'Failed', 'DeadlineExceeded', 'Job was active longer than specified deadline');
  }

  #drain(): void {
    while (!this.#stopped) {
      const change = this.#queue.shift();
      if (change === undefined) return;
      if (change.resource === 'jobs' && change.type === 'ADDED') this.#startJob(change.object);
      if (change.resource === 'jobs' && change.type === 'MODIFIED') {
        // A lowered activeDeadlineSeconds (the controller sets 1 to stop a stalled Job) acts at once.
        const job = this.#store.get(
          'jobs',
          change.object.metadata.namespace ?? '',
          change.object.metadata.name ?? '',
        );
        if (job !== undefined && isOverdue(job, this.#store.now().getTime())) this.#expire(job);
      }
      if (change.resource === 'pods') this.#podChanged(change);
    }
  }

  #startJob(job: KubeObject): void {
    const current = this.#store.get('jobs', job.metadata.namespace ?? '', job.metadata.name ?? '');
    if (current === undefined || isFinished(current) || jobStatus(current).startTime !== undefined) return;
    const created = this.#createPod(current);
    this.#store.mutate('jobs', current.metadata.namespace ?? '', current.metadata.name ?? '', (j) => {
      j.status = {
        ...jobStatus(j),
        startTime: timestamp(this.#store.now()),
        active: created ? 1 : 0,
        ready: 0,
        terminating: 0,
        uncountedTerminatedPods: {},
      };
    });
  }

  /** Creates the Job's pod, or records why admission refused it (and returns false). */
  #createPod(job: KubeObject): boolean {
    const spec = (job.spec ?? {}) as JobSpec;
    const podSpec = structuredClone(spec.template?.spec ?? {});
    defaultPodSpec(podSpec, 'Never');
    const name = job.metadata.name ?? '';
    const namespace = job.metadata.namespace ?? 'default';
    // ServiceAccount admission, in a fake where only `default` exists; the real one retries with backoff.
    const accounts = podSpec as { serviceAccountName?: string; serviceAccount?: string };
    // serviceAccount is the deprecated spelling, read when serviceAccountName is empty.
    const named = accounts.serviceAccountName ?? '';
    const account = named !== '' ? named : (accounts.serviceAccount ?? '');
    if (account !== '' && account !== 'default') {
      recordEvent(this.#store, {
        namespace,
        involvedObject: { kind: 'Job', name, uid: job.metadata.uid ?? '', apiVersion: 'batch/v1' },
        type: 'Warning',
        reason: 'FailedCreate',
        message: `Error creating: pods "${name}-" is forbidden: error looking up service account ${namespace}/${account}: serviceaccount "${account}" not found`,
        component: 'job-controller',
      });
      return false;
    }
    this.#store.create('pods', {
      metadata: {
        // Real Job pods: `<job>-<5 chars>`, the prefix cut so the name fits in 63 characters.
        name: `${`${name}-`.slice(0, 58)}${randomSuffix()}`,
        namespace,
        // kube-apiserver adds these to every Job's pod template; the completions watcher finds Jobs by them.
        labels: {
          ...spec.template?.metadata?.labels,
          'batch.kubernetes.io/controller-uid': job.metadata.uid ?? '',
          'batch.kubernetes.io/job-name': name,
          'controller-uid': job.metadata.uid ?? '',
          'job-name': name,
        },
        ...(spec.template?.metadata?.annotations
          ? { annotations: { ...spec.template.metadata.annotations } }
          : {}),
        ownerReferences: [
          {
            apiVersion: 'batch/v1',
            kind: 'Job',
            name,
            uid: job.metadata.uid ?? '',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: podSpec,
      status: { phase: 'Pending', qosClass: 'BestEffort' },
    });
    return true;
  }

  #ownerJob(pod: KubeObject): KubeObject | undefined {
    const owner = pod.metadata.ownerReferences?.find((r) => r.kind === 'Job' && r.controller === true);
    if (owner === undefined) return undefined;
    const job = this.#store.get('jobs', pod.metadata.namespace ?? '', owner.name);
    return job?.metadata.uid === owner.uid ? job : undefined;
  }

  #podChanged(change: Change): void {
    const job = this.#ownerJob(change.object);
    if (job === undefined || isFinished(job)) return;
    const phase = podPhase(change.object);
    if (change.type === 'DELETED') {
      if (phase === 'Succeeded' || phase === 'Failed') return;
      // A pod lost before it finished counts as failed (podReplacementPolicy TerminatingOrFailed).
      this.#podFailed(job);
    } else if (phase === 'Succeeded' && podPhase(change.previous) !== 'Succeeded') {
      this.#finish(job, 'Complete', 'CompletionsReached', 'Reached expected number of succeeded pods');
    } else if (phase === 'Failed' && podPhase(change.previous) !== 'Failed') {
      this.#podFailed(job);
    } else if (phase === 'Running') {
      const ready = (
        (change.object.status ?? {}) as { conditions?: { type: string; status: string }[] }
      ).conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      this.#store.mutate('jobs', job.metadata.namespace ?? '', job.metadata.name ?? '', (j) => {
        j.status = { ...jobStatus(j), ready: ready === true ? 1 : 0 };
      });
    }
  }

  #podFailed(job: KubeObject): void {
    const failed = (jobStatus(job).failed ?? 0) + 1;
    const backoffLimit = (job.spec as JobSpec | undefined)?.backoffLimit ?? 6;
    if (failed > backoffLimit) {
      this.#finish(job, 'Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit');
      return;
    }
    this.#store.mutate('jobs', job.metadata.namespace ?? '', job.metadata.name ?? '', (j) => {
      j.status = { ...jobStatus(j), failed };
    });
    this.#createPod(job);
  }

  #deletePodsOf(job: KubeObject): void {
    const active = this.#store.page('pods', {
      namespace: job.metadata.namespace,
      matches: (pod) =>
        pod.metadata.ownerReferences?.some((r) => r.uid === job.metadata.uid) === true &&
        podPhase(pod) !== 'Succeeded' &&
        podPhase(pod) !== 'Failed',
    }).items;
    for (const pod of active)
      this.#store.delete('pods', pod.metadata.namespace ?? '', pod.metadata.name ?? '');
  }

  #finish(job: KubeObject, outcome: 'Complete' | 'Failed', reason: string, message: string): void {
    const now = timestamp(this.#store.now());
    const condition = (type: string): JobCondition => ({
      type,
      status: 'True',
      lastProbeTime: now,
      lastTransitionTime: now,
      reason,
      message,
    });
    // Kubernetes >= 1.31 sets the interim condition first, then the terminal one.
    const conditions =
      outcome === 'Complete'
        ? [condition('SuccessCriteriaMet'), condition('Complete')]
        : [condition('FailureTarget'), condition('Failed')];
    this.#store.mutate('jobs', job.metadata.namespace ?? '', job.metadata.name ?? '', (j) => {
      const status = jobStatus(j);
      j.status = {
        ...status,
        active: 0,
        ready: 0,
        terminating: 0,
        ...(outcome === 'Complete'
          ? { succeeded: (status.succeeded ?? 0) + 1, completionTime: now }
          : { failed: (status.failed ?? 0) + 1 }),
        conditions: [...(status.conditions ?? []), ...conditions],
      };
    });
  }
}
