/** The Kubernetes layer: REST client, typed errors, informer and projections. */
export {
  KubeClient,
  NamespacedResource,
  type CallOptions,
  type DeleteOptions,
  type KubeClientOptions,
  type KubeRequest,
  type ListOptions,
  type PatchType,
  type WatchEnd,
  type WatchEvent,
  type WatchOptions,
  type WatchStream,
  type WriteOptions,
} from './client.js';
export { retryOnConflict, updateWithRetry, type ConflictRetryOptions } from './conflict.js';
export {
  describeKubeError,
  type KubeError,
  type KubeErrorKind,
  type KubeResult,
  type KubeStatus,
  type StatusCause,
} from './errors.js';
export {
  createInformerMetrics,
  Informer,
  isTombstone,
  objectKey,
  type DeletedFinalStateUnknown,
  type HandlerRegistration,
  type InformerHandler,
  type InformerMetrics,
  type InformerOptions,
  type ListWatchSource,
} from './informer.js';
export { loadKubeConfig, type KubeConfigResult, type KubeConfigSource } from './kubeconfig.js';
export { projectJob, projectPod } from './projection.js';
export { RateLimiter, type RateLimiterClock } from './rate-limiter.js';
export { CONTROLLER_ID_LABEL, JOB_UUID_LABEL, watchLabelSelector } from './scope.js';
export type * from './types.js';
