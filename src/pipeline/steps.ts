/**
 * The command steps of a pipeline (group steps flattened) and their plugins, each with its path in the file.
 * Step types follow the agent's pipeline parser: an explicit `type`, else `command`/`commands`/`plugins`
 * make a command step and `group` a group; wait, block, input and trigger steps make no job and are skipped.
 */
import { formatPath, isPlainObject, type PathSegment } from '../config/shape.js';
import type { PipelineDocument, PipelineError } from './document.js';
import { fullPluginSource } from './plugins.js';

export interface PluginEntry {
  /** Where the plugin's config is written (where its name is written when it has no config). */
  readonly path: readonly PathSegment[];
  /** The name as written, e.g. `kubernetes` or `docker#v5.0.0`. */
  readonly name: string;
  /** The normalised source Buildkite puts in `BUILDKITE_PLUGINS`. */
  readonly source: string;
  /** `null` when the plugin has no config. */
  readonly config: unknown;
}

export interface CommandStep {
  readonly path: readonly PathSegment[];
  readonly fields: Readonly<Record<string, unknown>>;
  readonly plugins: readonly PluginEntry[];
}

export interface PipelineSteps {
  /** Top-level settings every step inherits (`env`, `agents`, `image`). */
  readonly pipeline: Readonly<Record<string, unknown>>;
  readonly steps: CommandStep[];
  readonly errors: PipelineError[];
}

const COMMAND_TYPES = new Set(['command', 'script']);
const OTHER_TYPES = new Set(['wait', 'waiter', 'block', 'input', 'manual', 'trigger']);

export function commandSteps(document: PipelineDocument): PipelineSteps {
  const errors: PipelineError[] = [];
  const fail = (path: readonly PathSegment[], message: string): void => {
    errors.push({
      file: document.file,
      ...document.positionOf(path),
      message: `${describePath(path)}${message}`,
    });
  };
  const steps: CommandStep[] = [];

  const walk = (list: unknown, path: readonly PathSegment[]): void => {
    if (list === null || list === undefined) return;
    if (!Array.isArray(list)) {
      fail(path, 'steps must be a list');
      return;
    }
    for (const [index, step] of list.entries()) {
      const stepPath = [...path, index];
      // Scalar steps are `wait`, `block` and friends: no job.
      if (typeof step === 'string') continue;
      if (!isPlainObject(step)) {
        fail(stepPath, 'a step must be a mapping or one of "wait", "block", "input"');
        continue;
      }
      const kind = stepKind(step);
      if (kind.kind === 'invalid') fail([...stepPath, 'type'], kind.message);
      else if (kind.kind === 'group') walk(step.steps, [...stepPath, 'steps']);
      else if (kind.kind === 'command') {
        const plugins = pluginEntries(step.plugins, [...stepPath, 'plugins'], fail);
        steps.push({ path: stepPath, fields: step, plugins });
      }
    }
  };

  const root = document.value;
  if (Array.isArray(root)) {
    walk(root, []);
    return { pipeline: {}, steps, errors };
  }
  if (root === null || root === undefined) return { pipeline: {}, steps, errors };
  if (!isPlainObject(root)) {
    fail([], 'a pipeline must be a mapping with `steps`, or a list of steps');
    return { pipeline: {}, steps, errors };
  }
  walk(root.steps, ['steps']);
  return { pipeline: root, steps, errors };
}

type StepKind = { kind: 'command' | 'group' | 'other' } | { kind: 'invalid'; message: string };

function stepKind(step: Record<string, unknown>): StepKind {
  if ('type' in step) {
    const type = step.type;
    if (typeof type !== 'string') return { kind: 'invalid', message: 'the step type must be a string' };
    if (COMMAND_TYPES.has(type)) return { kind: 'command' };
    if (type === 'group') return { kind: 'group' };
    if (OTHER_TYPES.has(type)) return { kind: 'other' };
    return { kind: 'invalid', message: `unknown step type ${JSON.stringify(type)}` };
  }
  if ('command' in step || 'commands' in step || 'plugins' in step) return { kind: 'command' };
  return { kind: 'group' in step ? 'group' : 'other' };
}

function pluginEntries(
  plugins: unknown,
  path: readonly PathSegment[],
  fail: (path: readonly PathSegment[], message: string) => void,
): PluginEntry[] {
  const entries: PluginEntry[] = [];
  const add = (name: string, config: unknown, at: readonly PathSegment[]): void => {
    entries.push({ path: at, name, source: fullPluginSource(name), config: config ?? null });
  };
  if (plugins === null || plugins === undefined) return entries;
  if (isPlainObject(plugins)) {
    // The older map form: order of keys is the order plugins run in.
    for (const [name, config] of Object.entries(plugins)) add(name, config, [...path, name]);
    return entries;
  }
  if (!Array.isArray(plugins)) {
    fail(path, 'plugins must be a list of plugins (or a mapping of plugin name to config)');
    return entries;
  }
  for (const [index, item] of plugins.entries()) {
    if (typeof item === 'string') add(item, null, [...path, index]);
    else if (isPlainObject(item)) {
      for (const [name, config] of Object.entries(item)) add(name, config, [...path, index, name]);
    } else fail([...path, index], 'a plugin must be a name, or a mapping of its name to its config');
  }
  return entries;
}

/** `steps[0].plugins: ` in front of a message, or nothing at the top. */
export function describePath(path: readonly PathSegment[]): string {
  return path.length === 0 ? '' : `${formatPath(path)}: `;
}
