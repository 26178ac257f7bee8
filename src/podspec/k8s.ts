/**
 * Kubernetes (and our config) shapes as the plain JSON objects the builder makes. The client-node models
 * are classes; `Plain` makes them structural so object literals and spreads are honest about what they are.
 */
import type * as k8s from '@kubernetes/client-node';
import type * as params from '../config/params.js';

import type { Plain, PodSpec } from '../kube/types.js';

export type { Job, PodSpec } from '../kube/types.js';
export type Container = Plain<k8s.V1Container>;
export type EnvVar = Plain<k8s.V1EnvVar>;
export type EnvFromSource = Plain<k8s.V1EnvFromSource>;
export type Volume = Plain<k8s.V1Volume>;
export type VolumeMount = Plain<k8s.V1VolumeMount>;
export type ResourceRequirements = Plain<k8s.V1ResourceRequirements>;
export type SecretVolumeSource = Plain<k8s.V1SecretVolumeSource>;

export type KubernetesPlugin = Plain<params.KubernetesPlugin>;
export type AgentConfig = Plain<params.AgentConfig>;
export type CheckoutParams = Plain<params.CheckoutParams>;
export type ResourceClass = Plain<params.ResourceClass>;

/** A container's name; user input may leave it out although the type says it is required. */
export function nameOf(container: Container): string {
  const { name } = container as { name?: string };
  return name ?? '';
}

/** A pod spec's containers; a decoded patch may have none although the type says they are required. */
export function containersOf(spec: PodSpec): Container[] {
  const { containers } = spec as { containers?: Container[] };
  return containers ?? [];
}
