/**
 * Our own struct shapes that users write in the config file and in the `kubernetes` plugin: checkout,
 * command and sidecar params, metadata, resource classes and agent config. Field names and Go type names
 * are upstream's, so decoding errors read the same.
 */
import type {
  V1EnvFromSource,
  V1PodSpec,
  V1ResourceRequirements,
  V1SecretVolumeSource,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import { defineShape, type FieldType } from './shape.js';

export const INTERPOSERS = ['buildkite', 'vector', 'legacy'] as const;
export type Interposer = '' | (typeof INTERPOSERS)[number];

export interface GitMirrorsParams {
  path?: string;
  volume?: V1Volume;
  cloneFlags?: string;
  lockTimeout?: number;
  skipUpdate?: boolean;
}

export interface CheckoutParams {
  skip?: boolean;
  checkoutFlags?: string;
  cleanFlags?: string;
  cloneFlags?: string;
  fetchFlags?: string;
  noSubmodules?: boolean;
  submoduleCloneConfig?: string[];
  gitMirrors?: GitMirrorsParams;
  gitCredentialsSecret?: V1SecretVolumeSource;
  envFrom?: V1EnvFromSource[];
  extraVolumeMounts?: V1VolumeMount[];
}

export interface CommandParams {
  interposer?: Interposer;
  envFrom?: V1EnvFromSource[];
  extraVolumeMounts?: V1VolumeMount[];
}

export interface SidecarParams {
  envFrom?: V1EnvFromSource[];
  extraVolumeMounts?: V1VolumeMount[];
}

export interface Metadata {
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
}

export interface ResourceClass {
  resource?: V1ResourceRequirements;
  podResource?: V1ResourceRequirements;
  nodeSelector?: Record<string, string>;
}

export interface AdditionalHook {
  path?: string;
  volume?: V1Volume;
}

/** `agent-config`: settings passed to the agent container as env, plus hook/plugin/JWKS volumes. */
export interface AgentConfig {
  endpoint?: string;
  'no-http2'?: boolean;
  experiment?: string[];
  shell?: string;
  'no-color'?: boolean;
  'strict-single-hooks'?: boolean;
  'no-multipart-artifact-upload'?: boolean;
  'trace-context-encoding'?: string;
  'tracing-backend'?: string;
  'tracing-service-name'?: string;
  'tracing-propagate-traceparent'?: boolean;
  'disable-warnings-for'?: string[];
  'debug-signing'?: boolean;
  'git-skip-fetch-existing-commits'?: boolean;
  /** A Go duration string, e.g. `30s`. */
  'container-start-timeout'?: string;
  'no-pty'?: boolean;
  'no-command-eval'?: boolean;
  'no-local-hooks'?: boolean;
  'no-plugins'?: boolean;
  'plugin-validation'?: boolean;
  'signing-jwks-file'?: string;
  'signing-jwks-key-id'?: string;
  signingJWKSVolume?: V1Volume;
  'hooks-path'?: string;
  hooksVolume?: V1Volume;
  'additional-hooks-paths'?: string[];
  'additional-hooks'?: AdditionalHook[];
  'plugins-path'?: string;
  pluginsVolume?: V1Volume;
  'verification-jwks-file'?: string;
  'verification-failure-behavior'?: string;
  verificationJWKSVolume?: V1Volume;
}

/** The `kubernetes` plugin block of a pipeline step. */
export interface KubernetesPlugin {
  podSpec?: V1PodSpec;
  podSpecPatch?: V1PodSpec;
  podTemplate?: string;
  gitEnvFrom?: V1EnvFromSource[];
  sidecars?: V1PodSpec['containers'];
  metadata?: Metadata;
  extraVolumeMounts?: V1VolumeMount[];
  checkout?: CheckoutParams;
  commandParams?: CommandParams;
  sidecarParams?: SidecarParams;
  jobActiveDeadlineSeconds?: number;
}

const str: FieldType = { kind: 'string' };
const bool: FieldType = { kind: 'bool' };
const strings: FieldType = { kind: 'array', of: str };
const stringMap: FieldType = { kind: 'map', of: str };
const obj = (shape: string): FieldType => ({ kind: 'object', shape });
const list = (shape: string): FieldType => ({ kind: 'array', of: obj(shape) });
const envFrom = list('V1EnvFromSource');
const mounts = list('V1VolumeMount');

const interposer: FieldType = {
  kind: 'enum',
  goType: 'config.Interposer',
  values: ['', ...INTERPOSERS],
  invalid: (value) =>
    `invalid interposer ${JSON.stringify(value)}, must be one of: [ ${INTERPOSERS.join(' ')}]`,
};

function fields(entries: Record<string, FieldType>): ReadonlyMap<string, FieldType> {
  return new Map(Object.entries(entries));
}

defineShape('GitMirrorsParams', {
  goType: 'config.GitMirrorsParams',
  fields: fields({
    path: str,
    volume: obj('V1Volume'),
    cloneFlags: str,
    lockTimeout: { kind: 'int', goType: 'int' },
    skipUpdate: bool,
  }),
});

defineShape('CheckoutParams', {
  goType: 'config.CheckoutParams',
  description: 'Settings of the checkout container and the git env the agent passes to it.',
  fields: fields({
    skip: bool,
    checkoutFlags: str,
    cleanFlags: str,
    cloneFlags: str,
    fetchFlags: str,
    noSubmodules: bool,
    submoduleCloneConfig: strings,
    gitMirrors: obj('GitMirrorsParams'),
    gitCredentialsSecret: obj('V1SecretVolumeSource'),
    envFrom,
    extraVolumeMounts: mounts,
  }),
});

defineShape('CommandParams', {
  goType: 'config.CommandParams',
  description: 'Settings of the command containers: interposer, envFrom and extra volume mounts.',
  fields: fields({ interposer, envFrom, extraVolumeMounts: mounts }),
});

defineShape('SidecarParams', {
  goType: 'config.SidecarParams',
  description: 'envFrom and extra volume mounts added to every sidecar.',
  fields: fields({ envFrom, extraVolumeMounts: mounts }),
});

// Upstream's Metadata struct has no JSON tags, so Go matches its keys case-insensitively.
defineShape('Metadata', {
  goType: 'config.Metadata',
  description: 'Labels and annotations added to every Job and its pod template.',
  fields: fields({ annotations: stringMap, labels: stringMap }),
  goNames: new Map([
    ['annotations', 'Annotations'],
    ['labels', 'Labels'],
  ]),
});

defineShape('ResourceClass', {
  goType: 'config.ResourceClass',
  description: 'Container resources, pod resources and node selector selected by the resource_class tag.',
  fields: fields({
    resource: obj('V1ResourceRequirements'),
    podResource: obj('V1ResourceRequirements'),
    nodeSelector: stringMap,
  }),
});

defineShape('AdditionalHook', {
  goType: 'config.AdditionalHook',
  fields: fields({ path: str, volume: obj('V1Volume') }),
});

defineShape('AgentConfig', {
  goType: 'config.AgentConfig',
  description: 'Settings of the agent container (env, hooks, plugins, signing and verification).',
  fields: fields({
    endpoint: str,
    'no-http2': bool,
    experiment: strings,
    shell: str,
    'no-color': bool,
    'strict-single-hooks': bool,
    'no-multipart-artifact-upload': bool,
    'trace-context-encoding': str,
    'tracing-backend': str,
    'tracing-service-name': str,
    'tracing-propagate-traceparent': bool,
    'disable-warnings-for': strings,
    'debug-signing': bool,
    'git-skip-fetch-existing-commits': bool,
    'container-start-timeout': { kind: 'duration' },
    'no-pty': bool,
    'no-command-eval': bool,
    'no-local-hooks': bool,
    'no-plugins': bool,
    'plugin-validation': bool,
    'signing-jwks-file': str,
    'signing-jwks-key-id': str,
    signingJWKSVolume: obj('V1Volume'),
    'hooks-path': str,
    hooksVolume: obj('V1Volume'),
    'additional-hooks-paths': strings,
    'additional-hooks': list('AdditionalHook'),
    'plugins-path': str,
    pluginsVolume: obj('V1Volume'),
    'verification-jwks-file': str,
    'verification-failure-behavior': str,
    verificationJWKSVolume: obj('V1Volume'),
  }),
});

defineShape('KubernetesPlugin', {
  goType: 'scheduler.KubernetesPlugin',
  description: 'The kubernetes plugin of a pipeline step.',
  fields: fields({
    podSpec: obj('V1PodSpec'),
    podSpecPatch: obj('V1PodSpec'),
    podTemplate: str,
    gitEnvFrom: envFrom,
    sidecars: list('V1Container'),
    metadata: obj('Metadata'),
    extraVolumeMounts: mounts,
    checkout: obj('CheckoutParams'),
    commandParams: obj('CommandParams'),
    sidecarParams: obj('SidecarParams'),
    jobActiveDeadlineSeconds: { kind: 'int', goType: 'int' },
  }),
});
