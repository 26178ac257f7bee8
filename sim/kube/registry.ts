/**
 * Per-resource create/update strategy of the fake: the defaulting and validation kube-apiserver's Job
 * and Pod strategies perform that the controller can observe.
 */
import { randomUUID } from 'node:crypto';
import type { KubeObject } from './store.js';
import {
  validateJobRestartPolicy,
  validateLabels,
  validateName,
  validatePodSpec,
  type Cause,
} from './validation.js';

interface ContainerLike {
  image?: string;
  imagePullPolicy?: string;
  terminationMessagePath?: string;
  terminationMessagePolicy?: string;
}
interface PodSpecLike {
  containers?: ContainerLike[];
  initContainers?: ContainerLike[];
  restartPolicy?: string;
  terminationGracePeriodSeconds?: number;
  dnsPolicy?: string;
  schedulerName?: string;
  securityContext?: object;
}
interface TemplateLike {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: PodSpecLike;
}
interface JobSpecLike {
  template?: TemplateLike;
  parallelism?: number;
  completions?: number;
  backoffLimit?: number;
  completionMode?: string;
  suspend?: boolean;
  podReplacementPolicy?: string;
  selector?: object;
}

function defaultContainer(container: ContainerLike): void {
  const image = container.image ?? '';
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const untaggedOrLatest = !lastSegment.includes(':') || lastSegment.endsWith(':latest');
  container.imagePullPolicy ??= untaggedOrLatest && !image.includes('@') ? 'Always' : 'IfNotPresent';
  container.terminationMessagePath ??= '/dev/termination-log';
  container.terminationMessagePolicy ??= 'File';
}

export function defaultPodSpec(spec: PodSpecLike, restartPolicy: string): void {
  spec.restartPolicy ??= restartPolicy;
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  spec.containers?.forEach(defaultContainer);
  spec.initContainers?.forEach(defaultContainer);
}

/** Defaults a new object in place (given its uid) and returns the validation causes, if any. */
export function prepareForCreate(resource: string, object: KubeObject): Cause[] {
  const metadata = object.metadata;
  metadata.uid = randomUUID();
  delete metadata.resourceVersion;
  const causes =
    metadata.generateName !== undefined && (metadata.name ?? '') === '' ? [] : validateName(metadata.name);
  causes.push(...validateLabels(metadata.labels, 'metadata.labels'));
  if (resource === 'jobs') causes.push(...prepareJob(object));
  if (resource === 'pods') {
    const spec = (object.spec ?? {}) as PodSpecLike;
    object.spec = spec;
    defaultPodSpec(spec, 'Always');
    causes.push(...validatePodSpec(spec, 'spec'));
    object.status = { phase: 'Pending', qosClass: 'BestEffort' };
  }
  return causes;
}

function prepareJob(job: KubeObject): Cause[] {
  const uid = job.metadata.uid ?? '';
  const name = job.metadata.name ?? '';
  const spec = (job.spec ?? {}) as JobSpecLike;
  job.spec = spec;
  job.metadata.generation = 1;
  spec.parallelism ??= 1;
  spec.completions ??= 1;
  spec.backoffLimit ??= 6;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  spec.podReplacementPolicy ??= 'TerminatingOrFailed';
  spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
  const template = spec.template ?? {};
  spec.template = template;
  template.metadata ??= {};
  template.metadata.labels = {
    ...template.metadata.labels,
    'batch.kubernetes.io/controller-uid': uid,
    'batch.kubernetes.io/job-name': name,
    'controller-uid': uid,
    'job-name': name,
  };
  // batch/v1 defaulting: a Job without labels takes its pod template's.
  if (Object.keys(job.metadata.labels ?? {}).length === 0)
    job.metadata.labels = { ...template.metadata.labels };
  const podSpec = template.spec ?? {};
  template.spec = podSpec;
  defaultPodSpec(podSpec, '');
  job.status = {};
  return [
    ...validateLabels(template.metadata.labels, 'spec.template.labels'),
    ...validatePodSpec(podSpec, 'spec.template.spec'),
    ...validateJobRestartPolicy(podSpec.restartPolicy === '' ? undefined : podSpec.restartPolicy),
  ];
}

/**
 * Update strategy: status belongs to the status subresource, so a client's PUT keeps the stored status;
 * a spec change bumps the generation.
 */
export function prepareForUpdate(resource: string, next: KubeObject, current: KubeObject): Cause[] {
  if (resource === 'jobs' || resource === 'pods') {
    next.status = current.status;
    if (
      JSON.stringify(next.spec) !== JSON.stringify(current.spec) &&
      current.metadata.generation !== undefined
    ) {
      next.metadata.generation = current.metadata.generation + 1;
    } else {
      next.metadata.generation = current.metadata.generation;
    }
  }
  return [...validateName(next.metadata.name), ...validateLabels(next.metadata.labels, 'metadata.labels')];
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const result = new Map<string, unknown>(
    typeof target === 'object' && target !== null && !Array.isArray(target) ? Object.entries(target) : [],
  );
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) result.delete(key);
    else result.set(key, mergePatch(result.get(key), value));
  }
  return Object.fromEntries(result);
}
