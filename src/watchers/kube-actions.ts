/**
 * The Kubernetes reads and writes the watchers share: which Buildkite job an object belongs to,
 * whether a Job ever had a pod, forceful deletion, deadline updates and the events text.
 */
import { sleep } from '../backoff.js';
import type { Logger } from '../observability/logger.js';
import type { KubeClient } from '../kube/client.js';
import type { KubeError, KubeResult } from '../kube/errors.js';
import type { Job, ObjectMeta } from '../kube/types.js';
import { formatEvents } from './format.js';

/** Set by the Kubernetes Job controller on the pods of a Job. */
export const JOB_NAME_LABEL = 'job-name';

/**
 * Whether the Job controller has ever seen a pod of this Job, in any stage: active, terminating,
 * or terminated (counted or not yet counted). `ready` is part of `active`.
 */
export function hasPod(job: Job): boolean {
  const status = job.status ?? {};
  const pods =
    (status.active ?? 0) +
    (status.failed ?? 0) +
    (status.succeeded ?? 0) +
    (status.terminating ?? 0) +
    (status.uncountedTerminatedPods?.succeeded?.length ?? 0) +
    (status.uncountedTerminatedPods?.failed?.length ?? 0);
  return pods > 0;
}

export interface ObjectRef {
  readonly namespace: string;
  readonly name: string;
}

export function refOf(object: { metadata?: ObjectMeta }): ObjectRef {
  return { namespace: object.metadata?.namespace ?? '', name: object.metadata?.name ?? '' };
}

/** Deletes a pod with grace 0: the controller wants the capacity back now (mass cancellations). */
export async function deletePodNow(kube: KubeClient, pod: ObjectRef): Promise<KubeResult<unknown>> {
  return kube.pods.delete(pod.namespace, pod.name, { gracePeriodSeconds: 0 });
}

/** Deletes a Job with grace 0 and Background propagation, so its pods go too (not orphaned). */
export async function deleteJobNow(kube: KubeClient, job: ObjectRef): Promise<KubeResult<unknown>> {
  return kube.jobs.delete(job.namespace, job.name, {
    gracePeriodSeconds: 0,
    propagationPolicy: 'Background',
  });
}

/** client-go's `retry.DefaultRetry`: 5 tries, about 10 ms apart. */
const CONFLICT_TRIES = 5;
const CONFLICT_DELAY_MS = 10;

/** Get + Update of `spec.activeDeadlineSeconds`, retried on Conflict like `retry.RetryOnConflict`. */
export async function setActiveDeadline(
  kube: KubeClient,
  job: ObjectRef,
  seconds: number,
  signal?: AbortSignal,
): Promise<KubeResult<Job>> {
  let last: KubeError | undefined;
  for (let attempt = 0; attempt < CONFLICT_TRIES; attempt++) {
    if (attempt > 0) await sleep(CONFLICT_DELAY_MS, signal).catch(() => undefined);
    const current = await kube.jobs.get(job.namespace, job.name, signal ? { signal } : {});
    if (!current.ok) return current;
    const updated = await kube.jobs.update(
      job.namespace,
      { ...current.value, spec: { ...current.value.spec, activeDeadlineSeconds: seconds } as Job['spec'] },
      signal ? { signal } : {},
    );
    if (updated.ok || updated.error.kind !== 'Conflict') return updated;
    last = updated.error;
  }
  return { ok: false, error: last ?? { kind: 'Unknown', code: 0, reason: '', message: 'no attempt made' } };
}

/**
 * The Job's events for a failure message, read from the watch cache (`resourceVersion=0`): they are
 * diagnostics only, not worth a quorum read.
 */
export async function jobEventsText(
  kube: KubeClient,
  namespace: string,
  jobName: string,
  logger: Logger,
): Promise<string> {
  const listed = await kube.events.list(namespace, {
    resourceVersion: '0',
    fieldSelector: `involvedObject.kind=Job,involvedObject.name=${jobName}`,
  });
  if (!listed.ok) {
    logger.error({ job: jobName, error: listed.error.message }, "couldn't get events for job");
    return `Couldn't get events for job ${jobName}: ${listed.error.message}`;
  }
  return formatEvents(listed.value.items);
}

/** Which watcher hit an unexpected error. */
export type WatcherName = 'job' | 'pod' | 'completions' | 'cancel_checker';

/** Runs `tick` every `intervalMs` until `signal` aborts; a throwing tick is reported, never fatal. */
export async function runEvery(
  intervalMs: number,
  signal: AbortSignal,
  tick: () => Promise<void>,
  onError: (error: unknown) => void,
): Promise<void> {
  while (!signal.aborted) {
    try {
      await sleep(intervalMs, signal);
    } catch {
      return;
    }
    try {
      await tick();
    } catch (error) {
      onError(error);
    }
  }
}
