/**
 * Every configuration key, in one table: its config-file name (also the Helm `config.*` key), flag, env
 * var, type, default and meaning. The zod schema, the CLI flags, the env mapping, the generated docs and
 * the chart's values schema are all derived from this table.
 */
import { z } from 'zod';
import type { V1PodSpec, V1Volume } from '@kubernetes/client-node';
import { parseGoDuration } from './duration.js';
import type {
  AgentConfig,
  CheckoutParams,
  CommandParams,
  Metadata,
  ResourceClass,
  SidecarParams,
} from './params.js';
import './params.js';
import { decode, type FieldType } from './shape.js';

/** The agent version whose image is the default `image`. */
export const AGENT_VERSION = '3.136.2';
export const DEFAULT_AGENT_IMAGE = `ghcr.io/buildkite/agent:${AGENT_VERSION}`;

/** How a value given as text (env var or flag) is read. */
export type ValueKind = 'string' | 'int' | 'bool' | 'duration' | 'list' | 'object';

export interface OptionSpec<S extends z.ZodType = z.ZodType> {
  readonly kind: ValueKind;
  readonly schema: S;
  /** The default in the schema's output type (durations in milliseconds); undefined means unset. */
  readonly default: z.output<S> | undefined;
  readonly description: string;
  /** Env var name; derived from the key (UPPER_SNAKE) unless upstream spells it otherwise. */
  readonly env?: string;
  /** File-only keys (nested Kubernetes objects) have no flag and no env var. */
  readonly fileOnly?: boolean;
  /** Flag name when it differs from the key. */
  readonly flag?: string;
  /** Hidden from --help (upstream hides it too). */
  readonly hidden?: boolean;
  /** Never printed: replaced by `<redacted>`. */
  readonly secret?: boolean;
  /** The structure of a nested (object) value; drives its decoding and the chart's values schema. */
  readonly type?: FieldType;
}

const durationSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  if (typeof value === 'number') {
    ctx.addIssue({
      code: 'custom',
      message: `a bare number is not a duration; write a Go duration string such as "${value}s" or "1m30s"`,
    });
    return z.NEVER;
  }
  const ms = parseGoDuration(value);
  if (ms === undefined || ms < 0) {
    ctx.addIssue({
      code: 'custom',
      message: `invalid duration ${JSON.stringify(value)} (expected a Go duration such as "90s", "1m30s", "500ms")`,
    });
    return z.NEVER;
  }
  return ms;
});

/** A nested value decoded structurally (strict: unknown fields rejected, every problem reported). */
function shaped<T>(type: FieldType): z.ZodType<T> {
  return z.unknown().transform((value, ctx): unknown => {
    const result = decode(type, value, { mode: 'strict' });
    if (result.ok) return result.value;
    for (const issue of result.issues)
      ctx.addIssue({ code: 'custom', message: issue.message, path: [...issue.path] });
    return z.NEVER;
  }) as unknown as z.ZodType<T>;
}

/** A file-only option holding a nested Kubernetes-shaped or agent-shaped value. */
function structured<T>(
  type: FieldType,
  spec: { default: T | undefined; description: string },
): OptionSpec<z.ZodType<T>> {
  return { kind: 'object', fileOnly: true, schema: shaped<T>(type), type, ...spec };
}

const int = (min?: number, max?: number) => {
  let schema = z.number({ error: 'expected an integer' }).int('expected an integer');
  if (min !== undefined) schema = schema.min(min, `must be at least ${min}`);
  if (max !== undefined) schema = schema.max(max, `must be at most ${max}`);
  return schema;
};
const bool = z.boolean({ error: 'expected true or false' });
const str = z.string({ error: 'expected a string' });
const pullPolicy = z.enum(['', 'Always', 'IfNotPresent', 'Never'], {
  error: 'must be one of Always, IfNotPresent, Never',
});

const opt = <S extends z.ZodType>(spec: OptionSpec<S>): OptionSpec<S> => spec;

export const OPTIONS = {
  debug: opt({
    kind: 'bool',
    schema: bool,
    default: false,
    description: 'Debug logging; overrides log-level',
  }),
  'log-level': opt({
    kind: 'string',
    schema: z.enum(['debug', 'info', 'warn', 'error'], { error: 'must be one of debug, info, warn, error' }),
    default: 'info',
    description: 'Log level: debug, info, warn or error',
  }),
  'log-format': opt({
    kind: 'string',
    schema: z.enum(['logfmt', 'json'], { error: 'must be one of logfmt, json' }),
    default: 'logfmt',
    description: 'Log format: logfmt (human-readable key=value lines) or json',
  }),
  'no-color': opt({
    kind: 'bool',
    schema: bool,
    default: false,
    description: 'Disable ANSI colours in logfmt output',
  }),
  'log-http-payloads': opt({
    kind: 'bool',
    schema: bool,
    default: false,
    description: 'Log Buildkite API request and response bodies at debug level (Authorization redacted)',
  }),
  'job-ttl': opt({
    kind: 'duration',
    schema: durationSchema,
    default: 600_000,
    description: 'How long finished Kubernetes Jobs are kept (Job ttlSecondsAfterFinished)',
  }),
  'job-active-deadline-seconds': opt({
    kind: 'int',
    schema: int(1),
    default: 21_600,
    description: 'Job activeDeadlineSeconds; the plugin jobActiveDeadlineSeconds overrides it per job',
  }),
  'job-prefix': opt({
    kind: 'string',
    schema: str,
    default: 'buildkite-',
    description: 'Prefix of Job names',
  }),
  'default-termination-grace-period-seconds': opt({
    kind: 'int',
    schema: int(1),
    default: 60,
    description: 'Pod terminationGracePeriodSeconds when the pod spec sets none',
  }),
  namespace: opt({
    kind: 'string',
    schema: str,
    default: 'default',
    description: 'Namespace of Jobs, Pods, the agent token Secret and PodTemplates',
  }),
  'pod-spec-patch': structured<V1PodSpec>(
    { kind: 'object', shape: 'V1PodSpec' },
    {
      default: undefined,
      description: 'Strategic merge patch applied to every pod spec',
    },
  ),
  'job-creation-concurrency': opt({
    kind: 'int',
    schema: int(),
    default: 25,
    description: 'Jobs created in parallel (0 or less means 25)',
  }),
  'agent-token-secret': opt({
    kind: 'string',
    schema: str,
    default: 'buildkite-agent-token',
    description: 'Secret holding BUILDKITE_AGENT_TOKEN, read by the controller and by every agent container',
  }),
  image: opt({ kind: 'string', schema: str, default: DEFAULT_AGENT_IMAGE, description: 'Agent image' }),
  'max-in-flight': opt({
    kind: 'int',
    schema: int(0),
    default: 25,
    description: 'Most unfinished Kubernetes Jobs at once; 0 means no limit',
  }),
  tags: opt({
    kind: 'list',
    schema: z.array(str, { error: 'expected a list of key=value strings' }),
    default: [],
    description: 'Agent tags (key=value) jobs must match; the queue tag sets the queue',
  }),
  queue: opt({
    kind: 'string',
    schema: str,
    default: '',
    description: 'Cluster queue key; overrides the queue tag; empty means the default queue',
  }),
  id: opt({
    kind: 'string',
    schema: str,
    default: '',
    env: 'BUILDKITE_K8S_STACK_CONTROLLER_ID',
    description: 'Controller ID: the buildkite.com/controller-id label and the stack key',
  }),
  'prometheus-port': opt({
    kind: 'int',
    schema: int(0, 65_535),
    default: 0,
    description: 'Port of /metrics, /healthz and /readyz; 0 disables them',
  }),
  'profiler-address': opt({
    kind: 'string',
    schema: str,
    default: '',
    description: 'host:port of the profiling endpoints (/debug/heap, /debug/profile)',
  }),
  'poll-interval': opt({
    kind: 'duration',
    schema: durationSchema,
    default: 1000,
    description: 'Time between polls for scheduled jobs (at least 1s)',
  }),
  'http-timeout': opt({
    kind: 'duration',
    schema: durationSchema,
    default: 60_000,
    description: 'Timeout of each Buildkite API request',
  }),
  'pagination-page-size': opt({
    kind: 'int',
    schema: int(1, 1000),
    default: 1000,
    description: 'Jobs per scheduled-jobs page',
  }),
  'pagination-depth-limit': opt({
    kind: 'int',
    schema: int(1, 20),
    default: 2,
    description: 'Scheduled-jobs pages read per poll',
  }),
  'query-reset-interval': opt({
    kind: 'duration',
    schema: durationSchema,
    default: 10_000,
    description: 'How long the pagination cursor is kept before polling restarts from the oldest job',
  }),
  'enable-queue-pause': opt({
    kind: 'bool',
    schema: bool,
    default: false,
    description: 'Stop taking jobs while the queue is paused in Buildkite',
  }),
  'enable-completion-watcher': opt({
    kind: 'bool',
    schema: bool,
    default: true,
    description: 'Stop pods whose agent container has finished but other containers still run',
  }),
  'work-queue-limit': opt({
    kind: 'int',
    schema: int(1),
    default: 1_000_000,
    description: 'Most jobs held waiting for a max-in-flight slot (lowest priority dropped)',
  }),
  'reservation-expiry-seconds': opt({
    kind: 'int',
    schema: int(0, 3600),
    default: 0,
    description: 'Reservation lifetime sent when reserving jobs; 0 means the server default',
  }),
  'k8s-client-rate-limiter-qps': opt({
    kind: 'int',
    schema: int(1),
    default: 10,
    env: 'K8S_CLIENT_RATE_LIMITER_QPS',
    description: 'Kubernetes API requests per second',
  }),
  'k8s-client-rate-limiter-burst': opt({
    kind: 'int',
    schema: int(1),
    default: 20,
    env: 'K8S_CLIENT_RATE_LIMITER_BURST',
    description: 'Kubernetes API request burst',
  }),
  'image-pull-backoff-grace-period': opt({
    kind: 'duration',
    schema: durationSchema,
    default: 30_000,
    description: 'Wait after pod start before failing a job on image pull or container create errors',
  }),
  'job-cancel-checker-poll-interval': opt({
    kind: 'duration',
    schema: durationSchema,
    default: 5000,
    description: 'How often pending pods are checked for cancelled jobs',
  }),
  'empty-job-grace-period': opt({
    kind: 'duration',
    schema: durationSchema,
    default: 30_000,
    description: 'Wait after Job start before failing a Job that has no pod',
  }),
  'pod-pending-timeout': opt({
    kind: 'duration',
    schema: durationSchema,
    default: 900_000,
    description: 'Longest a pod may stay Pending before its job is failed',
  }),
  'workspace-volume': structured<V1Volume>(
    { kind: 'object', shape: 'V1Volume' },
    {
      default: undefined,
      description: 'Volume mounted at /workspace (default: an emptyDir named workspace)',
    },
  ),
  'workspace-mount-sub-path-expr': opt({
    kind: 'string',
    fileOnly: true,
    schema: str,
    default: '',
    description: 'subPathExpr set on every /workspace mount',
  }),
  'agent-config': structured<AgentConfig>(
    { kind: 'object', shape: 'AgentConfig' },
    {
      default: undefined,
      description: 'Agent settings (endpoint, hooks, plugins, signing, container-start-timeout, ...)',
    },
  ),
  'default-checkout-params': structured<CheckoutParams>(
    { kind: 'object', shape: 'CheckoutParams' },
    {
      default: undefined,
      description: 'Checkout container defaults (the plugin checkout block overrides them)',
    },
  ),
  'default-command-params': structured<CommandParams>(
    { kind: 'object', shape: 'CommandParams' },
    {
      default: undefined,
      description: 'Command container defaults (interposer, envFrom, extraVolumeMounts)',
    },
  ),
  'default-sidecar-params': structured<SidecarParams>(
    { kind: 'object', shape: 'SidecarParams' },
    {
      default: undefined,
      description: 'Sidecar defaults (envFrom, extraVolumeMounts)',
    },
  ),
  'default-metadata': structured<Metadata>(
    { kind: 'object', shape: 'Metadata' },
    {
      default: {},
      description: 'Labels and annotations added to every Job and pod',
    },
  ),
  'additional-redacted-vars': opt({
    kind: 'list',
    fileOnly: true,
    schema: z.array(str, { error: 'expected a list of strings' }),
    default: [],
    description: 'Extra env var name patterns whose values the agent redacts from logs',
  }),
  'resource-classes': structured<Record<string, ResourceClass>>(
    { kind: 'map', of: { kind: 'object', shape: 'ResourceClass' } },
    {
      default: {},
      description: 'Named resource classes, selected by the job tag resource_class',
    },
  ),
  'default-resource-class-name': opt({
    kind: 'string',
    fileOnly: true,
    schema: str,
    default: '',
    description: 'Resource class for jobs without a resource_class tag',
  }),
  'default-image-pull-policy': opt({
    kind: 'string',
    schema: pullPolicy,
    default: '',
    description: 'Pull policy of containers that set none',
  }),
  'default-image-check-pull-policy': opt({
    kind: 'string',
    schema: pullPolicy,
    default: '',
    description: 'Pull policy of imagecheck-* containers',
  }),
  'skip-image-check-containers': opt({
    kind: 'bool',
    schema: bool,
    default: false,
    description: 'Add no imagecheck-* init containers',
  }),
  'image-check-container-cpu-limit': opt({
    kind: 'string',
    schema: str,
    default: '200m',
    description: 'CPU limit of imagecheck-* containers',
  }),
  'image-check-container-memory-limit': opt({
    kind: 'string',
    schema: str,
    default: '128Mi',
    description: 'Memory limit of imagecheck-* containers',
  }),
  'prohibit-kubernetes-plugin': opt({
    kind: 'bool',
    schema: bool,
    default: false,
    description: 'Fail jobs that use the kubernetes plugin',
  }),
  'allow-pod-spec-patch-unsafe-command-modification': opt({
    kind: 'bool',
    schema: bool,
    default: false,
    description: 'Let podSpecPatch change the command or args of stack containers',
  }),
  'job-source': opt({
    kind: 'string',
    schema: z.enum(['stacks', 'graphql'], { error: 'must be one of stacks, graphql' }),
    default: 'stacks',
    description: 'Where jobs come from: the Stacks API (agent token) or the GraphQL API (API token)',
  }),
  'buildkite-token': opt({
    kind: 'string',
    schema: str,
    default: '',
    env: 'BUILDKITE_TOKEN',
    secret: true,
    description: 'Buildkite API token with GraphQL access (job-source graphql)',
  }),
  'integration-test-buildkite-token': opt({
    kind: 'string',
    schema: str,
    default: '',
    env: 'INTEGRATION_TEST_BUILDKITE_TOKEN',
    hidden: true,
    secret: true,
    description: "Upstream's integration-test API token; used as buildkite-token when that is empty",
  }),
  org: opt({
    kind: 'string',
    schema: str,
    default: '',
    description: 'Organization slug (job-source graphql)',
  }),
  'cluster-uuid': opt({
    kind: 'string',
    schema: str,
    default: '',
    description: 'Cluster UUID (job-source graphql; empty for unclustered organizations)',
  }),
  'graphql-endpoint': opt({
    kind: 'string',
    schema: str,
    default: 'https://graphql.buildkite.com/v1',
    description: 'Buildkite GraphQL endpoint (job-source graphql)',
  }),
  'graphql-results-limit': opt({
    kind: 'int',
    schema: int(1, 500),
    default: 100,
    description: 'Jobs per GraphQL page (job-source graphql)',
  }),
  'stale-job-data-timeout': opt({
    kind: 'duration',
    schema: durationSchema,
    default: 10_000,
    description: 'How long GraphQL job data may wait for a slot before it is dropped as stale',
  }),
} as const;

export type ConfigKey = keyof typeof OPTIONS;
export const CONFIG_KEYS = Object.keys(OPTIONS) as ConfigKey[];

/** The effective configuration: file keys, durations in milliseconds, nested objects decoded. */
export type Config = {
  readonly [K in ConfigKey]: K extends OptionalKey
    ? z.output<(typeof OPTIONS)[K]['schema']> | undefined
    : z.output<(typeof OPTIONS)[K]['schema']>;
};

/** Keys with no default: nested objects that are simply absent unless configured. */
type OptionalKey =
  | 'pod-spec-patch'
  | 'workspace-volume'
  | 'agent-config'
  | 'default-checkout-params'
  | 'default-command-params'
  | 'default-sidecar-params';

/** Env var of a key: upstream's explicit name, else the key in UPPER_SNAKE. */
export function envName(key: ConfigKey): string | undefined {
  const spec: OptionSpec = OPTIONS[key];
  if (spec.fileOnly === true) return undefined;
  return spec.env ?? key.toUpperCase().replaceAll('-', '_');
}

/** The defaults layer. */
export function defaults(): Partial<Record<ConfigKey, unknown>> {
  const out: Partial<Record<ConfigKey, unknown>> = {};
  for (const key of CONFIG_KEYS) {
    const value: unknown = OPTIONS[key].default;
    if (value !== undefined) out[key] = structuredClone(value);
  }
  return out;
}
