/**
 * Kubernetes objects as the plain JSON we send and receive. The @kubernetes/client-node models are
 * classes; `Plain` turns them into structural types so object literals and spreads type-check (and
 * lint) without pretending to be class instances. Timestamps stay `Date` (see json.ts).
 */
import type {
  CoreV1Event,
  CoreV1EventList,
  V1Job,
  V1JobList,
  V1Lease,
  V1LeaseList,
  V1ObjectMeta,
  V1Pod,
  V1PodList,
  V1PodSpec,
  V1PodTemplate,
  V1PodTemplateList,
  V1Secret,
  V1SecretList,
} from '@kubernetes/client-node';

export type Plain<T> = T extends Date
  ? T
  : T extends readonly (infer U)[]
    ? Plain<U>[]
    : T extends object
      ? { [K in keyof T]: Plain<T[K]> }
      : T;

export type ObjectMeta = Plain<V1ObjectMeta>;
export type Job = Plain<V1Job>;
export type JobList = Plain<V1JobList>;
export type Pod = Plain<V1Pod>;
export type PodList = Plain<V1PodList>;
export type PodSpec = Plain<V1PodSpec>;
export type Secret = Plain<V1Secret>;
export type SecretList = Plain<V1SecretList>;
export type PodTemplate = Plain<V1PodTemplate>;
export type PodTemplateList = Plain<V1PodTemplateList>;
export type KubeEvent = Plain<CoreV1Event>;
export type KubeEventList = Plain<CoreV1EventList>;
export type Lease = Plain<V1Lease>;
export type LeaseList = Plain<V1LeaseList>;
