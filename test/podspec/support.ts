/** Configs and jobs for podspec tests (imported by tests only). */
import type { Config } from '../../src/config/schema.js';
import { defaults } from '../../src/config/schema.js';
import { KUBERNETES_PLUGIN_KEY } from '../../src/podspec/plugins.js';
import {
  assembleJob,
  parseJob,
  type BuildkiteJob,
  type BuildResult,
  type PodTemplateLookup,
} from '../../src/podspec/build.js';

/**
 * The upstream unit tests' config: every field at Go's zero value except the image and the agent token
 * Secret (an empty Secret name makes a Job the API server rejects; the cluster tier sends these Jobs to one).
 */
export function zeroConfig(overrides: Partial<Record<keyof Config, unknown>> = {}): Config {
  const zero: Record<string, unknown> = {
    ...defaults(),
    image: 'buildkite/agent:latest',
    'agent-token-secret': 'buildkite-agent-token',
    'job-prefix': '',
    'job-ttl': 0,
    'job-active-deadline-seconds': 0,
    'default-termination-grace-period-seconds': 0,
    namespace: '',
    'image-check-container-cpu-limit': '',
    'image-check-container-memory-limit': '',
  };
  return Object.freeze({ ...zero, ...overrides }) as Config;
}

/** The shipped defaults, with overrides. */
export function defaultConfig(overrides: Partial<Record<keyof Config, unknown>> = {}): Config {
  return Object.freeze({ ...defaults(), ...overrides }) as Config;
}

/** A job whose BUILDKITE_PLUGINS holds `plugin` as the kubernetes plugin (if given). */
export function jobWith(
  fields: Partial<BuildkiteJob> & { plugin?: unknown; otherPlugins?: Record<string, unknown>[] } = {},
): BuildkiteJob {
  const { plugin, otherPlugins = [], ...rest } = fields;
  const env: Record<string, string> = { ...rest.env };
  if (plugin !== undefined || otherPlugins.length > 0) {
    const entries = [...(plugin === undefined ? [] : [{ [KUBERNETES_PLUGIN_KEY]: plugin }]), ...otherPlugins];
    env.BUILDKITE_PLUGINS = JSON.stringify(entries);
  }
  return {
    id: rest.id ?? 'abc',
    command: rest.command ?? '',
    agentQueryRules: rest.agentQueryRules ?? [],
    priority: rest.priority ?? 0,
    env,
  };
}

/**
 * Parse and assemble without the API-server checks, like upstream's unit tests call `Build` directly
 * (several of their inputs, e.g. volumes without a source, would not pass those checks).
 */
export function assemble(job: BuildkiteJob, config: Config, podTemplate?: PodTemplateLookup): BuildResult {
  const parsed = parseJob(job, config);
  if (!parsed.ok) return parsed;
  return assembleJob({ parsed: parsed.parsed, config, ...(podTemplate ? { podTemplate } : {}) });
}
