/**
 * `agent-config`: the agent's settings as env on the agent container, and the hooks, plugins and JWKS
 * volumes with their mounts on the containers that need them (upstream config/agent_config.go).
 */
import type { Container, Volume, VolumeMount } from './k8s.js';
import type { AgentConfig } from './k8s.js';
import { formatGoDuration, parseGoDuration } from '../config/duration.js';
import { setEnv, setEnvBool, setEnvIfDefined, setEnvList } from './env.js';

const DEFAULT_HOOKS_PATH = '/workspace/hooks';
const DEFAULT_PLUGINS_PATH = '/workspace/plugins';
const SIGNING_DIR = '/buildkite/signing-jwks';
const VERIFICATION_DIR = '/buildkite/verification-jwks';

/**
 * The settings with upstream's defaults filled in once (upstream writes them back into the shared config
 * while building; the result is the same on every job, so we compute it without mutating the config).
 */
export interface ResolvedAgentConfig {
  readonly config: AgentConfig;
  readonly hooksPath: string | undefined;
  readonly pluginsPath: string | undefined;
  readonly signing: { file: string | undefined; dir: string | undefined };
  readonly verification: { file: string | undefined; dir: string | undefined };
  readonly verificationFailureBehavior: string | undefined;
}

export function resolveAgentConfig(config: AgentConfig): ResolvedAgentConfig {
  const signing = jwks(config['signing-jwks-file'], config.signingJWKSVolume, SIGNING_DIR);
  const verification = jwks(
    config['verification-jwks-file'],
    config.verificationJWKSVolume,
    VERIFICATION_DIR,
  );
  return {
    config,
    hooksPath: config['hooks-path'] ?? (config.hooksVolume ? DEFAULT_HOOKS_PATH : undefined),
    pluginsPath: config['plugins-path'] ?? (config.pluginsVolume ? DEFAULT_PLUGINS_PATH : undefined),
    signing,
    verification,
    verificationFailureBehavior:
      config['verification-failure-behavior'] ?? (verification.file === undefined ? 'warn' : undefined),
  };
}

// With a volume, the file defaults to `key` in the default dir and a relative file lives in that dir; the
// mount dir is the file's parent. Without a volume the setting passes through verbatim.
function jwks(
  file: string | undefined,
  volume: Volume | undefined,
  defaultDir: string,
): { file: string | undefined; dir: string | undefined } {
  if (volume === undefined) return { file, dir: undefined };
  const given = file ?? 'key';
  if (given.startsWith('/')) return { file: given, dir: goPathDir(given) };
  return { file: goPathJoin(defaultDir, given), dir: defaultDir };
}

/** Pod volumes: hooks, additional hooks, plugins, signing, verification (each only if set). */
export function agentConfigVolumes(agent: ResolvedAgentConfig): Volume[] {
  const c = agent.config;
  const volumes: Volume[] = [];
  if (c.hooksVolume) volumes.push(c.hooksVolume);
  for (const hook of c['additional-hooks'] ?? []) if (hook.volume) volumes.push(hook.volume);
  if (c.pluginsVolume) volumes.push(c.pluginsVolume);
  if (c.signingJWKSVolume) volumes.push(c.signingJWKSVolume);
  if (c.verificationJWKSVolume) volumes.push(c.verificationJWKSVolume);
  return volumes;
}

function hooksVolumeMounts(agent: ResolvedAgentConfig): VolumeMount[] {
  const volume = agent.config.hooksVolume;
  return volume && agent.hooksPath !== undefined ? [{ name: volume.name, mountPath: agent.hooksPath }] : [];
}

function additionalHookMounts(agent: ResolvedAgentConfig): VolumeMount[] {
  const mounts: VolumeMount[] = [];
  for (const hook of agent.config['additional-hooks'] ?? []) {
    if (hook.volume && hook.path) mounts.push({ name: hook.volume.name, mountPath: hook.path });
  }
  return mounts;
}

function pluginsVolumeMounts(agent: ResolvedAgentConfig): VolumeMount[] {
  const volume = agent.config.pluginsVolume;
  return volume && agent.pluginsPath !== undefined
    ? [{ name: volume.name, mountPath: agent.pluginsPath }]
    : [];
}

/** Mounts for command containers: hooks, additional hooks, plugins, signing key. */
export function commandMounts(agent: ResolvedAgentConfig): VolumeMount[] {
  const out = checkoutMounts(agent);
  const signing = agent.config.signingJWKSVolume;
  if (signing && agent.signing.dir !== undefined)
    out.push({ name: signing.name, mountPath: agent.signing.dir });
  return out;
}

/** Mounts for the checkout container: hooks, additional hooks, plugins (no keys). */
export function checkoutMounts(agent: ResolvedAgentConfig): VolumeMount[] {
  return [...hooksVolumeMounts(agent), ...additionalHookMounts(agent), ...pluginsVolumeMounts(agent)];
}

/** Env and mounts on the agent container, in upstream's order (set semantics for env). */
export function applyToAgentStart(agent: ResolvedAgentConfig, container: Container): void {
  const c = agent.config;
  const mounts = (container.volumeMounts ??= []);
  setEnvIfDefined(container, 'BUILDKITE_AGENT_ENDPOINT', c.endpoint);
  setEnvBool(container, 'BUILDKITE_NO_HTTP2', c['no-http2']);
  setEnvList(container, 'BUILDKITE_AGENT_EXPERIMENT', c.experiment);
  setEnvIfDefined(container, 'BUILDKITE_SHELL', c.shell);
  setEnvBool(container, 'BUILDKITE_AGENT_NO_COLOR', c['no-color']);
  setEnvBool(container, 'BUILDKITE_STRICT_SINGLE_HOOKS', c['strict-single-hooks']);
  setEnvBool(container, 'BUILDKITE_NO_MULTIPART_ARTIFACT_UPLOAD', c['no-multipart-artifact-upload']);
  setEnvIfDefined(container, 'BUILDKITE_TRACE_CONTEXT_ENCODING', c['trace-context-encoding']);
  setEnvIfDefined(container, 'BUILDKITE_TRACING_BACKEND', c['tracing-backend']);
  setEnvIfDefined(container, 'BUILDKITE_TRACING_SERVICE_NAME', c['tracing-service-name']);
  setEnvBool(container, 'BUILDKITE_TRACING_PROPAGATE_TRACEPARENT', c['tracing-propagate-traceparent']);
  setEnvList(container, 'BUILDKITE_AGENT_DISABLE_WARNINGS_FOR', c['disable-warnings-for']);
  setEnvBool(container, 'BUILDKITE_AGENT_DEBUG_SIGNING', c['debug-signing']);
  setEnvBool(container, 'BUILDKITE_GIT_SKIP_FETCH_EXISTING_COMMITS', c['git-skip-fetch-existing-commits']);
  const timeout = c['container-start-timeout'];
  if (timeout !== undefined) {
    setEnv(container, 'BUILDKITE_KUBERNETES_CONTAINER_START_TIMEOUT', goDuration(timeout));
  }

  mounts.push(...hooksVolumeMounts(agent));
  setEnvIfDefined(container, 'BUILDKITE_HOOKS_PATH', agent.hooksPath);
  mounts.push(...additionalHookMounts(agent));
  const hookPaths = [...(c['additional-hooks-paths'] ?? [])];
  for (const hook of c['additional-hooks'] ?? []) if (hook.path) hookPaths.push(hook.path);
  setEnvList(container, 'BUILDKITE_ADDITIONAL_HOOKS_PATHS', hookPaths);
  mounts.push(...pluginsVolumeMounts(agent));
  setEnvIfDefined(container, 'BUILDKITE_PLUGINS_PATH', agent.pluginsPath);

  setEnvBool(container, 'BUILDKITE_NO_PTY', c['no-pty']);
  setEnvBool(container, 'BUILDKITE_NO_COMMAND_EVAL', c['no-command-eval']);
  setEnvBool(container, 'BUILDKITE_NO_LOCAL_HOOKS', c['no-local-hooks']);
  setEnvBool(container, 'BUILDKITE_NO_PLUGINS', c['no-plugins']);
  const validation = c['plugin-validation'];
  setEnvBool(container, 'BUILDKITE_NO_PLUGIN_VALIDATION', validation === undefined ? undefined : !validation);

  if (c.signingJWKSVolume && agent.signing.dir !== undefined) {
    mounts.push({ name: c.signingJWKSVolume.name, mountPath: agent.signing.dir });
  }
  setEnvIfDefined(container, 'BUILDKITE_AGENT_SIGNING_JWKS_FILE', agent.signing.file);
  setEnvIfDefined(container, 'BUILDKITE_AGENT_SIGNING_JWKS_KEY_ID', c['signing-jwks-key-id']);
  if (c.verificationJWKSVolume && agent.verification.dir !== undefined) {
    mounts.push({ name: c.verificationJWKSVolume.name, mountPath: agent.verification.dir });
  }
  setEnvIfDefined(container, 'BUILDKITE_AGENT_VERIFICATION_JWKS_FILE', agent.verification.file);
  setEnvIfDefined(
    container,
    'BUILDKITE_AGENT_JOB_VERIFICATION_NO_SIGNATURE_BEHAVIOR',
    agent.verificationFailureBehavior,
  );
}

/** Go `Duration.String()` of a duration the config holds as text (already validated at load). */
function goDuration(text: string): string {
  const ms = parseGoDuration(text);
  return ms === undefined ? text : formatGoDuration(ms);
}

/** Go `filepath.Dir` for absolute slash paths. */
function goPathDir(path: string): string {
  const cleaned = goPathClean(path);
  const slash = cleaned.lastIndexOf('/');
  return slash <= 0 ? '/' : cleaned.slice(0, slash);
}

/** Go `filepath.Join`: join with `/` and clean. */
export function goPathJoin(...parts: string[]): string {
  const joined = parts.filter((p) => p !== '').join('/');
  return joined === '' ? '' : goPathClean(joined);
}

/** Go `path.Clean`. */
export function goPathClean(path: string): string {
  if (path === '') return '.';
  const rooted = path.startsWith('/');
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const body = out.join('/');
  if (rooted) return '/' + body;
  return body === '' ? '.' : body;
}
