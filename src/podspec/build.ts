/**
 * A Buildkite job -> a `batch/v1` Job, in upstream's order of steps (scheduler.go `Build`, podspec.md §2.1).
 * Pure: no I/O, no clock, no randomness. A PodTemplate the job names is fetched by the caller between
 * {@link parseJob} and {@link buildJob}.
 *
 * Inputs are never mutated; the returned Job may share leaf objects (volumes, envFrom entries) with the
 * config and the plugin, so treat it as read-only.
 */
import type { Container, EnvFromSource, EnvVar, Job, PodSpec, Volume, VolumeMount } from './k8s.js';
import type { Config } from '../config/schema.js';
import { containersOf, nameOf, type KubernetesPlugin } from './k8s.js';
import { QUANTITY } from '../config/shape.js';
import {
  agentConfigVolumes,
  applyToAgentStart,
  checkoutMounts,
  commandMounts,
  goPathJoin,
  resolveAgentConfig,
  type ResolvedAgentConfig,
} from './agent-config.js';
import { applyCheckoutEnv, checkoutContainer, ROOT_SECURITY_CONTEXT } from './checkout.js';
import { defaultPullPolicy, imageCheckContainers, selectImageChecks, type PullPolicy } from './imagecheck.js';
import {
  agentTagsEnv,
  CONTROLLER_ID_LABEL,
  jobUrl,
  sortedRecord,
  tagLabels,
  tagMap,
  UUID_LABEL,
} from './labels.js';
import { BOOTSTRAP_ARGS, BOOTSTRAP_COMMAND, patchPodSpec } from './patch.js';
import { parsePlugins } from './plugins.js';
import { applyResourceClass, chooseResourceClass } from './resource-class.js';
import { interposedCommand } from './shellquote.js';
import { invalidJobMessage, validateJob } from './validate.js';
import { goRoundTrip } from './smp.js';
import { withCanonicalQuantities } from './quantity.js';
import { stringify as stringifyYaml } from 'yaml';

/** A job as the Buildkite API delivers it (job details plus the scheduled job's rules and priority). */
export interface BuildkiteJob {
  readonly id: string;
  readonly command: string;
  readonly env: Readonly<Record<string, string>>;
  /** Already normalised for the controller's queue (the monitor does that). */
  readonly agentQueryRules: readonly string[];
  readonly priority: number;
}

export interface ParsedJob {
  readonly job: BuildkiteJob;
  readonly plugin: KubernetesPlugin | undefined;
  /** Set when the pod must start from this PodTemplate (plugin `podTemplate` without `podSpec`). */
  readonly podTemplateName: string | undefined;
}

/** What fetching the PodTemplate gave: its `template.spec`, or the Kubernetes error text. */
export type PodTemplateLookup =
  { readonly ok: true; readonly spec: PodSpec } | { readonly ok: false; readonly error: string };

/** `message` is exactly what the controller sends to Buildkite when it fails the job. */
export type BuildResult =
  { readonly ok: true; readonly job: Job } | { readonly ok: false; readonly message: string };

export const PARSE_PREFIX = 'agent-stack-k8s failed to parse the job: ';
export const BUILD_PREFIX = 'agent-stack-k8s failed to build a podSpec for the job: ';
/** After BUILD_PREFIX when our pre-flight validation rejects the Job (then the API server's wording). */
export const REJECTED = 'Kubernetes would reject the Job: ';

const REDACTED_VARS = [
  '*_PASSWORD',
  '*_SECRET',
  '*_TOKEN',
  '*_PRIVATE_KEY',
  '*_SSH_KEY',
  '*_ACCESS_KEY',
  '*_SECRET_KEY',
  '*_CONNECTION_STRING',
  '*_API_KEY',
];

const COPY_AGENT_SCRIPT = `
mkdir /workspace/build /workspace/plugins /workspace/sockets
chmod 777 /workspace/build /workspace/plugins /workspace/sockets
cp /usr/local/bin/buildkite-agent /workspace
# Copy tini-static from wherever it exists
# Alpine: /sbin/tini-static, Ubuntu/Debian: /usr/bin/tini-static
if [ -f /sbin/tini-static ]; then
    cp /sbin/tini-static /workspace/tini-static
elif [ -f /usr/bin/tini-static ]; then
    cp /usr/bin/tini-static /workspace/tini-static
else
    echo "Error: No tini-static binary found" >&2
    exit 1
fi
`;

export type ParseResult =
  { readonly ok: true; readonly parsed: ParsedJob } | { readonly ok: false; readonly message: string };

/** Reads the kubernetes plugin; failures carry the exact Buildkite failure message. */
export function parseJob(job: BuildkiteJob, config: Config): ParseResult {
  const plugins = parsePlugins(job.env.BUILDKITE_PLUGINS, config['prohibit-kubernetes-plugin']);
  if (!plugins.ok) return { ok: false, message: PARSE_PREFIX + plugins.error };
  const plugin = plugins.plugin;
  const podTemplateName =
    plugin !== undefined && plugin.podSpec === undefined && (plugin.podTemplate ?? '') !== ''
      ? plugin.podTemplate
      : undefined;
  return { ok: true, parsed: { job, plugin, podTemplateName } };
}

export interface BuildOptions {
  readonly parsed: ParsedJob;
  readonly config: Config;
  /** Required when `parsed.podTemplateName` is set; a missing lookup reads as "not found". */
  readonly podTemplate?: PodTemplateLookup;
}

/** Builds the Job for a parsed job and checks it the way the API server would. */
export function buildJob(options: BuildOptions): BuildResult {
  const built = assembleJob(options);
  if (!built.ok) return built;
  // Checked here so a bad Job fails with a clear message instead of a 422 after a round trip.
  const problems = validateJob(built.job);
  if (problems.length === 0) return built;
  const invalid = invalidJobMessage(built.job.metadata?.name ?? '', problems);
  const yaml = stringifyYaml(built.job, { sortMapEntries: true, aliasDuplicateObjects: false });
  return { ok: false, message: `${BUILD_PREFIX}${REJECTED}${invalid}\n\n${yaml}` };
}

/** Upstream's `Build` on its own: the Job as assembled, without the API server's checks. */
export function assembleJob(options: BuildOptions): BuildResult {
  const { parsed, config } = options;
  let base: PodSpec = { containers: [] };
  if (parsed.plugin?.podSpec !== undefined) {
    base = parsed.plugin.podSpec;
  } else if (parsed.podTemplateName !== undefined) {
    const lookup = options.podTemplate ?? {
      ok: false,
      error: `podtemplates "${parsed.podTemplateName}" not found`,
    };
    if (!lookup.ok) {
      return {
        ok: false,
        message: `Error fetching podTemplate "${parsed.podTemplateName}": ${lookup.error}`,
      };
    }
    base = lookup.spec;
  }
  // User objects as upstream's Go structs hold them: omitempty zero values gone, required fields present.
  const sidecars = (parsed.plugin?.sidecars ?? []).map(
    (c) => goRoundTrip(c, { type: 'Container' }) as Container,
  );
  const built = build(goRoundTrip(base) as PodSpec, sidecars, parsed, config);
  return built.ok ? built : { ok: false, message: BUILD_PREFIX + built.error };
}

/** Parses and builds in one go; for callers that have no PodTemplate to fetch (or fetched it already). */
export function renderJob(job: BuildkiteJob, config: Config, podTemplate?: PodTemplateLookup): BuildResult {
  const parsed = parseJob(job, config);
  if (!parsed.ok) return parsed;
  return buildJob({ parsed: parsed.parsed, config, ...(podTemplate ? { podTemplate } : {}) });
}

type StepResult = { ok: true; job: Job } | { ok: false; error: string };

function build(base: PodSpec, sidecars: Container[], parsed: ParsedJob, config: Config): StepResult {
  const { job, plugin } = parsed;
  const env = job.env;
  const skipCheckout = plugin?.checkout?.skip ?? config['default-checkout-params']?.skip ?? false;
  const agentConfig = config['agent-config'] ? resolveAgentConfig(config['agent-config']) : undefined;
  const tags = tagMap(job.agentQueryRules);

  // Labels and annotations: later writes win (podspec.md §2.10).
  const labels = new Map<string, string>();
  const annotations = new Map<string, string>([['cluster-autoscaler.kubernetes.io/safe-to-evict', 'false']]);
  const copyInto = (target: Map<string, string>, from: Record<string, string> | undefined): void => {
    for (const [k, v] of Object.entries(from ?? {})) target.set(k, v);
  };
  copyInto(labels, config['default-metadata'].labels);
  copyInto(annotations, config['default-metadata'].annotations);
  copyInto(labels, plugin?.metadata?.labels);
  copyInto(annotations, plugin?.metadata?.annotations);
  labels.set(UUID_LABEL, job.id);
  if (config.id !== '') labels.set(CONTROLLER_ID_LABEL, config.id);
  for (const [k, v] of tagLabels(tags)) labels.set(k, v);
  const buildUrl = env.BUILDKITE_BUILD_URL ?? '';
  annotations.set('buildkite.com/build-url', buildUrl);
  annotations.set('buildkite.com/build-branch', env.BUILDKITE_BRANCH ?? '');
  annotations.set('buildkite.com/build-repo', env.BUILDKITE_REPO ?? '');
  annotations.set('buildkite.com/pipeline-slug', env.BUILDKITE_PIPELINE_SLUG ?? '');
  annotations.set('buildkite.com/step-key', env.BUILDKITE_STEP_KEY ?? '');
  const url = jobUrl(buildUrl, job.id);
  if (url !== undefined) annotations.set('buildkite.com/job-url', url);
  annotations.set('buildkite.com/job-priority', String(job.priority));
  if (parsed.podTemplateName !== undefined) {
    annotations.set('buildkite.com/pod-template-name', parsed.podTemplateName);
  }

  const grace = base.terminationGracePeriodSeconds ?? config['default-termination-grace-period-seconds'];
  const workspaceVolume: Volume = config['workspace-volume'] ?? { name: 'workspace', emptyDir: {} };
  const volumes: Volume[] = [...(base.volumes ?? []), workspaceVolume];
  if (agentConfig) volumes.push(...agentConfigVolumes(agentConfig));

  const subPathExpr = config['workspace-mount-sub-path-expr'];
  const workspaceMount = (): VolumeMount => ({
    name: workspaceVolume.name,
    mountPath: '/workspace',
    ...(subPathExpr !== '' ? { subPathExpr } : {}),
  });
  const sharedMounts = (): VolumeMount[] => [workspaceMount(), ...(plugin?.extraVolumeMounts ?? [])];
  const systemContainerCount = skipCheckout ? 0 : 1;
  const gitEnvFrom = plugin?.gitEnvFrom ?? [];
  const defaultCommandParams = config['default-command-params'];
  const pluginInterposer = plugin?.commandParams?.interposer;
  const interposer =
    pluginInterposer !== undefined && pluginInterposer !== ''
      ? pluginInterposer
      : defaultCommandParams?.interposer;
  const commandExtras = (): { envFrom: EnvFromSource[]; mounts: VolumeMount[] } => ({
    envFrom: [...(defaultCommandParams?.envFrom ?? []), ...(plugin?.commandParams?.envFrom ?? [])],
    mounts: [
      ...(agentConfig ? commandMounts(agentConfig) : []),
      ...(defaultCommandParams?.extraVolumeMounts ?? []),
      ...(plugin?.commandParams?.extraVolumeMounts ?? []),
    ],
  });

  // Command containers: the user's entrypoint becomes BUILDKITE_COMMAND; tini + bootstrap run instead.
  let containers: Container[] = containersOf(base).map((c, i) => {
    const command =
      (c.command?.length ?? 0) > 0
        ? interposedCommand(interposer, c.command ?? [], c.args ?? [])
        : job.command;
    const name = nameOf(c) !== '' ? c.name : `container-${i}`;
    const extras = commandExtras();
    const { args: _args, ...rest } = c;
    return {
      ...rest,
      name,
      command: [...BOOTSTRAP_COMMAND],
      args: [...BOOTSTRAP_ARGS],
      workingDir: c.workingDir !== undefined && c.workingDir !== '' ? c.workingDir : '/workspace',
      envFrom: [...(c.envFrom ?? []), ...extras.envFrom, ...gitEnvFrom],
      env: [
        ...(c.env ?? []),
        { name: 'BUILDKITE_BOOTSTRAP_PHASES', value: 'plugin,command' },
        { name: 'BUILDKITE_COMMAND', value: command },
        { name: 'BUILDKITE_CONTAINER_ID', value: String(i + systemContainerCount) },
        { name: 'BUILDKITE_SOCKETS_PATH', value: goPathJoin('/workspace/sockets', name) },
      ],
      volumeMounts: [...(c.volumeMounts ?? []), ...extras.mounts, ...sharedMounts()],
    };
  });
  if (containers.length === 0) {
    const extras = commandExtras();
    containers.push({
      name: 'container-0',
      image: config.image,
      command: [...BOOTSTRAP_COMMAND],
      args: [...BOOTSTRAP_ARGS],
      workingDir: '/workspace',
      envFrom: [...extras.envFrom, ...gitEnvFrom],
      env: [
        { name: 'BUILDKITE_BOOTSTRAP_PHASES', value: 'plugin,command' },
        { name: 'BUILDKITE_COMMAND', value: job.command },
        { name: 'BUILDKITE_CONTAINER_ID', value: String(systemContainerCount) },
        { name: 'BUILDKITE_SOCKETS_PATH', value: '/workspace/sockets/container-0' },
      ],
      volumeMounts: [...sharedMounts(), ...extras.mounts],
    });
  }

  // Sidecars: native sidecars (init containers that keep running), after the user's init containers.
  const initContainers: Container[] = [...(base.initContainers ?? [])];
  const defaultSidecarParams = config['default-sidecar-params'];
  for (const [i, sidecar] of sidecars.entries()) {
    const name = nameOf(sidecar) !== '' ? sidecar.name : `sidecar-${i}`;
    initContainers.push({
      ...sidecar,
      name,
      envFrom: [
        ...(sidecar.envFrom ?? []),
        ...(defaultSidecarParams?.envFrom ?? []),
        ...(plugin?.sidecarParams?.envFrom ?? []),
        ...gitEnvFrom,
      ],
      volumeMounts: [
        ...(sidecar.volumeMounts ?? []),
        ...(defaultSidecarParams?.extraVolumeMounts ?? []),
        ...sharedMounts(),
        ...(plugin?.sidecarParams?.extraVolumeMounts ?? []),
      ],
      restartPolicy: 'Always',
    });
    annotations.set(`buildkite.com/sidecar-${i}`, name);
  }

  let podSpec: PodSpec = {
    ...base,
    containers,
    initContainers,
    volumes,
    terminationGracePeriodSeconds: grace,
  };

  const choice = chooseResourceClass(config['resource-classes'], config['default-resource-class-name'], tags);
  if (!choice.ok) return { ok: false, error: choice.error };
  podSpec = applyResourceClass(podSpec, choice.resourceClass);
  containers = [...podSpec.containers];

  const stackPullPolicy = firstSet(config['default-image-pull-policy'], defaultPullPolicy(config.image));
  containers.push(
    agentContainer(
      parsed,
      config,
      agentConfig,
      tags,
      containers.length + systemContainerCount,
      grace,
      stackPullPolicy,
      sharedMounts(),
    ),
  );
  const securityContext = podSpec.securityContext;
  const runAsUser = securityContext?.runAsUser ?? 0;
  const runAsGroup = securityContext?.runAsGroup ?? 0;
  if (!skipCheckout) {
    const checkout = checkoutContainer({
      image: config.image,
      imagePullPolicy: stackPullPolicy,
      sharedMounts: sharedMounts(),
      agentConfigMounts: agentConfig ? checkoutMounts(agentConfig) : [],
      defaults: config['default-checkout-params'],
      plugin: plugin?.checkout,
      gitEnvFrom,
      runAsUser,
      runAsGroup,
    });
    containers.push(checkout.container);
    volumes.push(...checkout.volumes);
  }

  const copyAgent = copyAgentContainer(
    config.image,
    stackPullPolicy,
    workspaceMount(),
    runAsUser,
    runAsGroup,
  );

  // Image checks see the image each command container will really run, the step `image:` included.
  const stepImage = env.BUILDKITE_IMAGE ?? '';
  const isCommand = (c: Container): boolean => c.env?.some((e) => e.name === 'BUILDKITE_COMMAND') ?? false;
  const selection = selectImageChecks(
    containers,
    [copyAgent, ...initContainers],
    (c) => (stepImage !== '' && isCommand(c) ? stepImage : (c.image ?? '')),
    {
      defaultPullPolicy: config['default-image-pull-policy'],
      defaultCheckPullPolicy: config['default-image-check-pull-policy'],
    },
  );
  if (selection.invalid !== null) return { ok: false, error: selection.invalid };
  const checks = config['skip-image-check-containers']
    ? []
    : imageCheckContainers(selection.checks, {
        workspaceMount: workspaceMount(),
        cpuLimit: quantityOr(config['image-check-container-cpu-limit'], '200m'),
        memoryLimit: quantityOr(config['image-check-container-memory-limit'], '128Mi'),
      });

  podSpec = {
    ...podSpec,
    containers,
    initContainers: [copyAgent, ...checks, ...initContainers],
    restartPolicy: 'Never',
  };

  const patchOptions = {
    interposer,
    allowUnsafeCommandModification: config['allow-pod-spec-patch-unsafe-command-modification'],
  };
  // The agent waits for every container it numbered (BUILDKITE_CONTAINER_COUNT); a patch that deletes one,
  // or the agent itself, would leave the job hanging until its deadline, so that is refused instead.
  const required = podSpec.containers.filter(
    (c) => c.name === 'agent' || c.env?.some((e) => e.name === 'BUILDKITE_CONTAINER_ID'),
  );
  const applyPatch = (patch: PodSpec, source: string): { ok: true } | { ok: false; error: string } => {
    const patched = patchPodSpec(podSpec, patch, patchOptions);
    const problem = patched.ok ? deletedContainerProblem(required, patched.spec) : patched.error;
    if (problem !== undefined)
      return { ok: false, error: `failed to apply podSpec patch from ${source}: ${problem}` };
    if (patched.ok) podSpec = patched.spec;
    return { ok: true };
  };
  const controllerPatch = config['pod-spec-patch'];
  if (controllerPatch !== undefined) {
    const applied = applyPatch(controllerPatch, 'controller');
    if (!applied.ok) return applied;
  }
  if (stepImage !== '') {
    podSpec = {
      ...podSpec,
      containers: podSpec.containers.map((c) => (isCommand(c) ? { ...c, image: stepImage } : c)),
    };
  }
  if (plugin?.podSpecPatch !== undefined) {
    const applied = applyPatch(plugin.podSpecPatch, 'k8s plugin');
    if (!applied.ok) return applied;
  }
  if (skipCheckout) {
    podSpec = { ...podSpec, containers: podSpec.containers.filter((c) => c.name !== 'checkout') };
  }
  podSpec = {
    ...podSpec,
    initContainers: (podSpec.initContainers ?? []).map(dedupeMounts),
    containers: podSpec.containers.map(dedupeMounts),
  };

  const metadata = { labels: sortedRecord(labels), annotations: sortedRecord(annotations) };
  const pluginDeadline = plugin?.jobActiveDeadlineSeconds ?? 0;
  return {
    ok: true,
    job: {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: config['job-prefix'] + job.id, ...metadata },
      spec: {
        activeDeadlineSeconds: pluginDeadline > 0 ? pluginDeadline : config['job-active-deadline-seconds'],
        backoffLimit: 0,
        template: {
          metadata: { labels: { ...metadata.labels }, annotations: { ...metadata.annotations } },
          // Quantities as upstream's Go structs encode them (`1000m` is sent as `1`).
          spec: omitEmptyValues(withCanonicalQuantities(podSpec)),
        },
        ttlSecondsAfterFinished: Math.trunc(config['job-ttl'] / 1000),
      },
    },
  };
}

function deletedContainerProblem(required: readonly Container[], patched: PodSpec): string | undefined {
  const deleted = required.find((c) => !patched.containers.some((kept) => kept.name === c.name));
  return deleted === undefined
    ? undefined
    : `it deletes container "${deleted.name}", which the job cannot run without (the agent waits for every command and checkout container); leave a command container out of podSpec.containers instead, or use checkout.skip`;
}

function agentContainer(
  parsed: ParsedJob,
  config: Config,
  agentConfig: ResolvedAgentConfig | undefined,
  tags: ReadonlyMap<string, string>,
  managedContainerCount: number,
  grace: number,
  pullPolicy: string,
  mounts: VolumeMount[],
): Container {
  const fieldRef = (name: string, fieldPath: string): EnvVar => ({
    name,
    valueFrom: { fieldRef: { fieldPath } },
  });
  const container: Container = {
    name: 'agent',
    image: config.image,
    args: ['start'],
    workingDir: '/workspace',
    env: [
      { name: 'BUILDKITE_KUBERNETES_EXEC', value: 'true' },
      { name: 'BUILDKITE_CONTAINER_COUNT', value: String(managedContainerCount) },
      { name: 'BUILDKITE_AGENT_TAGS', value: agentTagsEnv(tags) },
      fieldRef('BUILDKITE_K8S_NODE', 'spec.nodeName'),
      fieldRef('BUILDKITE_K8S_NAMESPACE', 'metadata.namespace'),
      fieldRef('BUILDKITE_K8S_SERVICE_ACCOUNT', 'spec.serviceAccountName'),
      { name: 'BUILDKITE_BUILD_PATH', value: '/workspace/build' },
      { name: 'BUILDKITE_HOOKS_PATH', value: '/workspace/hooks' },
      { name: 'BUILDKITE_PLUGINS_PATH', value: '/workspace/plugins' },
      { name: 'BUILDKITE_SOCKETS_PATH', value: '/workspace/sockets/agent' },
      { name: 'BUILDKITE_SHELL', value: '/bin/sh -ec' },
      {
        name: 'BUILDKITE_AGENT_TOKEN',
        valueFrom: { secretKeyRef: { name: config['agent-token-secret'], key: 'BUILDKITE_AGENT_TOKEN' } },
      },
      { name: 'BUILDKITE_AGENT_ACQUIRE_JOB', value: parsed.job.id },
      {
        name: 'BUILDKITE_REDACTED_VARS',
        value: [...REDACTED_VARS, ...config['additional-redacted-vars']].join(','),
      },
      // The agent needs cancel > signal grace; both follow the pod's own grace period.
      { name: 'BUILDKITE_CANCEL_GRACE_PERIOD', value: String(Math.max(grace, 1)) },
      { name: 'BUILDKITE_SIGNAL_GRACE_PERIOD_SECONDS', value: String(Math.max(0, grace - 10)) },
    ],
    volumeMounts: mounts,
    imagePullPolicy: pullPolicy,
  };
  if (agentConfig) applyToAgentStart(agentConfig, container);
  applyCheckoutEnv(config['default-checkout-params'], container);
  applyCheckoutEnv(parsed.plugin?.checkout, container);
  return container;
}

function copyAgentContainer(
  image: string,
  pullPolicy: string,
  workspaceMount: VolumeMount,
  user: number,
  group: number,
): Container {
  const chown =
    user === 0
      ? ''
      : group === 0
        ? `chown -R ${user} /workspace\n`
        : `chown -R ${user}:${group} /workspace\n`;
  return {
    name: 'copy-agent',
    image,
    command: ['/bin/sh'],
    args: ['-cefx', chown + COPY_AGENT_SCRIPT],
    volumeMounts: [workspaceMount],
    imagePullPolicy: pullPolicy,
    ...(user === 0 ? {} : { securityContext: ROOT_SECURITY_CONTEXT() }),
  };
}

/** Keeps the first mount for each mountPath. */
function dedupeMounts(container: Container): Container {
  const mounts = container.volumeMounts;
  if (mounts === undefined) return container;
  const seen = new Set<string>();
  const kept = mounts.filter((m) => {
    if (seen.has(m.mountPath)) return false;
    seen.add(m.mountPath);
    return true;
  });
  return kept.length === mounts.length ? container : { ...container, volumeMounts: kept };
}

function firstSet(...values: (string | undefined)[]): PullPolicy {
  for (const v of values) if (v !== undefined && v !== '') return v as PullPolicy;
  return '';
}

function quantityOr(value: string, fallback: string): string {
  return QUANTITY.test(value) ? value : fallback;
}

/**
 * Drops empty lists (Go's omitempty) and the empty `resources: {}` a patch's Go struct view adds to every
 * container it names (the API server reads both the same way as absent).
 */
function omitEmptyValues(spec: PodSpec): PodSpec {
  return {
    ...spec,
    containers: spec.containers.map(withoutEmptyValues),
    ...(spec.initContainers ? { initContainers: spec.initContainers.map(withoutEmptyValues) } : {}),
  };
}

function withoutEmptyValues(container: Container): Container {
  const emptyResources = container.resources !== undefined && Object.keys(container.resources).length === 0;
  if (
    container.envFrom?.length !== 0 &&
    container.env?.length !== 0 &&
    container.volumeMounts?.length !== 0 &&
    !emptyResources
  ) {
    return container;
  }
  const out: Container = { ...container };
  if (out.envFrom?.length === 0) delete out.envFrom;
  if (out.env?.length === 0) delete out.env;
  if (out.volumeMounts?.length === 0) delete out.volumeMounts;
  if (emptyResources) delete out.resources;
  return out;
}
