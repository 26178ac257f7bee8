/**
 * Kubernetes objects as the plain JSON we send and receive. The @kubernetes/client-node models are
 * classes; `Plain` turns them into structural types so object literals and spreads type-check (and
 * lint) without pretending to be class instances. Timestamps (MicroTime too) are plain `Date`s (see
 * json.ts).
 */
import type {
  CoreV1Event,
  V1Job,
  V1Lease,
  V1ObjectMeta,
  V1Pod,
  V1PodSpec,
  V1PodTemplate,
  V1Secret,
} from '@kubernetes/client-node';

export type Plain<T> = T extends Date
  ? Date
  : T extends readonly (infer U)[]
    ? Plain<U>[]
    : T extends object
      ? { [K in keyof T]: Plain<T[K]> }
      : T;

/** List metadata as on the wire (the generated `V1ListMeta` calls `continue` `_continue`). */
export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface ListOf<T> {
  apiVersion?: string;
  kind?: string;
  metadata?: ListMeta;
  items: T[];
}

export type ObjectMeta = Plain<V1ObjectMeta>;
export type Job = Plain<V1Job>;
export type JobList = ListOf<Job>;
export type Pod = Plain<V1Pod>;
export type PodList = ListOf<Pod>;
export type PodSpec = Plain<V1PodSpec>;
export type Secret = Plain<V1Secret>;
export type SecretList = ListOf<Secret>;
export type PodTemplate = Plain<V1PodTemplate>;
export type PodTemplateList = ListOf<PodTemplate>;
export type KubeEvent = Plain<CoreV1Event>;
export type KubeEventList = ListOf<KubeEvent>;
export type Lease = Plain<V1Lease>;
export type LeaseList = ListOf<Lease>;
