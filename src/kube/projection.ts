/**
 * What the controller caches of Jobs and Pods: the fields upstream's `informerTransform` leaves in
 * place, built as an allow-list so fields added by future Kubernetes versions never reach the cache.
 * Handlers must not read anything else (annotations, owner references, containers, volumes, ...).
 */
import type { Job, ObjectMeta, Pod } from './types.js';

/** Drops keys whose value is undefined so projected objects stay small and compare cleanly. */
function defined<T extends object>(object: T): T {
  // A plain loop: this runs several times per watch event, and entries/filter/fromEntries allocate per key.
  const kept: Record<string, unknown> = {};
  for (const key of Object.keys(object)) {
    const value = (object as Record<string, unknown>)[key];
    if (value !== undefined) kept[key] = value;
  }
  return kept as T;
}

function projectMeta(metadata: ObjectMeta | undefined): ObjectMeta {
  return defined({
    name: metadata?.name,
    generateName: metadata?.generateName,
    namespace: metadata?.namespace,
    uid: metadata?.uid,
    resourceVersion: metadata?.resourceVersion,
    generation: metadata?.generation,
    creationTimestamp: metadata?.creationTimestamp,
    labels: metadata?.labels,
  });
}

export function projectPod(pod: Pod): Pod {
  const { spec, status } = pod;
  return defined({
    apiVersion: pod.apiVersion,
    kind: pod.kind,
    metadata: projectMeta(pod.metadata),
    spec:
      spec === undefined
        ? undefined
        : defined({
            containers: [],
            initContainers: spec.initContainers,
            terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds,
            activeDeadlineSeconds: spec.activeDeadlineSeconds,
          }),
    status:
      status === undefined
        ? undefined
        : defined({
            phase: status.phase,
            reason: status.reason,
            message: status.message,
            conditions: status.conditions,
            startTime: status.startTime,
            initContainerStatuses: status.initContainerStatuses,
            containerStatuses: status.containerStatuses,
          }),
  });
}

export function projectJob(job: Job): Job {
  const { spec, status } = job;
  return defined({
    apiVersion: job.apiVersion,
    kind: job.kind,
    metadata: projectMeta(job.metadata),
    spec:
      spec === undefined
        ? undefined
        : defined({
            template: {},
            activeDeadlineSeconds: spec.activeDeadlineSeconds,
            ttlSecondsAfterFinished: spec.ttlSecondsAfterFinished,
          }),
    status:
      status === undefined
        ? undefined
        : defined({
            conditions: status.conditions,
            startTime: status.startTime,
            completionTime: status.completionTime,
            active: status.active,
            succeeded: status.succeeded,
            failed: status.failed,
            terminating: status.terminating,
            uncountedTerminatedPods: status.uncountedTerminatedPods,
            ready: status.ready,
          }),
  });
}
