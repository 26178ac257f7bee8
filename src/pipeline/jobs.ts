/**
 * The jobs Buildkite would hand the controller for a pipeline file: one per command step, shaped as the
 * Stacks API delivers them (`id`, `command`, `env`, `agent_query_rules`, `priority`), so `render` can build
 * pods offline. Not modelled: env interpolation at upload, `matrix` and `parallelism` expansion (each step is
 * one job), conditionals (`if:`), and build env beyond the few variables the pod builder reads. Skipped steps
 * make no job.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { formatPath, isPlainObject, type PathSegment } from '../config/shape.js';
import { parsePipelineYaml, type PipelineDocument, type PipelineError } from './document.js';
import { commandSteps, describePath, type CommandStep } from './steps.js';

/** A job in the Stacks API's wire shape (snake_case), the same JSON `render --job` reads. */
export interface JobPayload {
  readonly id: string;
  readonly command: string;
  readonly env: Readonly<Record<string, string>>;
  readonly agent_query_rules: readonly string[];
  readonly priority: number;
}

export interface PipelineJob {
  readonly key?: string;
  readonly label?: string;
  /** Line of the step in the file (1-based). */
  readonly line: number;
  readonly job: JobPayload;
}

export type PipelineJobsResult = { ok: true; jobs: PipelineJob[] } | { ok: false; errors: PipelineError[] };

export function pipelineJobs(text: string, options: { file: string }): PipelineJobsResult {
  const parsed = parsePipelineYaml(text, options);
  if (!parsed.ok) return parsed;
  const { jobs, errors } = jobsOf(parsed.document);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, jobs };
}

/** The jobs of a parsed pipeline, the command steps they come from, and every problem found on the way. */
export function jobsOf(document: PipelineDocument): {
  jobs: PipelineJob[];
  steps: CommandStep[];
  errors: PipelineError[];
} {
  const { pipeline, steps, errors } = commandSteps(document);
  const fail: Fail = (path, message) => {
    errors.push({
      file: document.file,
      ...document.positionOf(path),
      message: `${describePath(path)}${message}`,
    });
  };
  // Top-level env, agents and image are defaults every step inherits; checked once.
  const defaults: StepDefaults = {
    env: envOf(pipeline.env, ['env'], fail),
    rules: rulesOf(pipeline.agents, ['agents'], fail),
    image: imageOf(pipeline.image, ['image'], fail),
  };
  const jobs = steps.flatMap((step) => {
    const job = jobOf(step, defaults, document, fail);
    // A skipped step (`skip: true` or a reason) is shown in the build but never reaches an agent.
    const skip = step.fields.skip;
    return skip === true || (typeof skip === 'string' && skip !== '') ? [] : [job];
  });
  return { jobs, steps, errors };
}

type Fail = (path: readonly PathSegment[], message: string) => void;

interface StepDefaults {
  readonly env: Readonly<Record<string, string>>;
  readonly rules: ReadonlyMap<string, string>;
  readonly image: string | undefined;
}

function jobOf(
  step: CommandStep,
  defaults: StepDefaults,
  document: PipelineDocument,
  fail: Fail,
): PipelineJob {
  const field = (names: readonly string[]): [PathSegment[], unknown] => {
    const name = names.find((n) => step.fields[n] !== undefined && step.fields[n] !== null) ?? names[0] ?? '';
    return [[...step.path, name], step.fields[name]];
  };

  const [commandPath, commandValue] = field(['commands', 'command']);
  const command = commandText(commandValue);
  if (command === undefined) fail(commandPath, 'must be a string or a list of strings');

  const env = { ...defaults.env, ...envOf(step.fields.env, [...step.path, 'env'], fail) };
  // A step's agent tag replaces the pipeline's tag of the same name.
  const rules = new Map([...defaults.rules, ...rulesOf(step.fields.agents, [...step.path, 'agents'], fail)]);

  const [priorityPath, priorityValue] = field(['priority']);
  let priority = 0;
  if (typeof priorityValue === 'number' && Number.isInteger(priorityValue)) priority = priorityValue;
  else if (priorityValue !== undefined && priorityValue !== null) fail(priorityPath, 'must be an integer');

  const image = imageOf(step.fields.image, [...step.path, 'image'], fail) ?? defaults.image;
  const key = scalarText(field(['key', 'identifier', 'id'])[1]);
  const label = scalarText(field(['label', 'name'])[1]);

  const id = jobId(document.file, step.path);
  const slug = pipelineSlug(document.file);
  // What Buildkite itself sets wins over the pipeline's env, as on a real build.
  const system: Record<string, string | undefined> = {
    BUILDKITE_JOB_ID: id,
    BUILDKITE_COMMAND: command,
    BUILDKITE_LABEL: label,
    BUILDKITE_STEP_KEY: key,
    BUILDKITE_PIPELINE_SLUG: slug,
    BUILDKITE_BUILD_URL: `https://buildkite.com/local/${slug}/builds/1`,
    BUILDKITE_BRANCH: 'main',
    BUILDKITE_REPO: `https://git.invalid/${slug}.git`,
    BUILDKITE_IMAGE: image,
    BUILDKITE_PLUGINS:
      step.plugins.length > 0
        ? JSON.stringify(step.plugins.map((plugin) => ({ [plugin.source]: sortedKeys(plugin.config) })))
        : undefined,
  };
  for (const [name, value] of Object.entries(system)) if (value !== undefined) env[name] = value;

  return {
    ...(key === undefined ? {} : { key }),
    ...(label === undefined ? {} : { label }),
    line: document.positionOf(step.path).line,
    job: { id, command: command ?? '', env, agent_query_rules: [...rules.values()], priority },
  };
}

function envOf(value: unknown, path: readonly PathSegment[], fail: Fail): Record<string, string> {
  if (value === null || value === undefined) return {};
  if (!isPlainObject(value)) {
    fail(path, 'must be a mapping of variable names to values');
    return {};
  }
  const env: [string, string][] = [];
  for (const [name, item] of Object.entries(value)) {
    const text = item === null ? '' : scalarText(item);
    if (text === undefined) fail([...path, name], 'must be a string, number or boolean');
    else env.push([name, text]);
  }
  // fromEntries defines own properties, so even a variable named __proto__ is kept.
  return Object.fromEntries(env);
}

/** Agent query rules by tag name. */
function rulesOf(value: unknown, path: readonly PathSegment[], fail: Fail): Map<string, string> {
  const rules = new Map<string, string>();
  const entries = agentRules(value);
  if (entries === undefined) fail(path, 'must be a mapping of tags to values or a list of "tag=value"');
  for (const rule of entries ?? []) {
    const eq = rule.indexOf('=');
    rules.set(eq === -1 ? rule : rule.slice(0, eq), rule);
  }
  return rules;
}

function imageOf(value: unknown, path: readonly PathSegment[], fail: Fail): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  fail(path, 'must be a string');
  return undefined;
}

function commandText(value: unknown): string | undefined {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (!Array.isArray(value)) return undefined;
  const lines = value.map(scalarText);
  return lines.every((line) => line !== undefined) ? lines.join('\n') : undefined;
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** `{queue: x, os: linux}` or `["queue=x", "os=linux"]` -> `["queue=x", "os=linux"]`. */
function agentRules(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return [];
  if (isPlainObject(value)) {
    const rules: string[] = [];
    for (const [tag, item] of Object.entries(value)) {
      const text = item === null ? '' : scalarText(item);
      if (text === undefined) return undefined;
      rules.push(`${tag}=${text}`);
    }
    return rules;
  }
  if (!Array.isArray(value)) return undefined;
  const rules = value.map(scalarText);
  return rules.every((rule) => rule !== undefined) ? rules : undefined;
}

/** Go marshals maps with sorted keys, so the plugin JSON Buildkite stores has them sorted too. */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortedKeys(value[key])]),
  );
}

/** A name-based (version 5 style) UUID from the file and step path, so renders are reproducible. */
function jobId(file: string, path: readonly PathSegment[]): string {
  const hash = createHash('sha1')
    .update(`${file}\n${formatPath(path)}`)
    .digest();
  hash.writeUInt8((hash.readUInt8(6) & 0x0f) | 0x50, 6);
  hash.writeUInt8((hash.readUInt8(8) & 0x3f) | 0x80, 8);
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function pipelineSlug(file: string): string {
  const slug = basename(file)
    .replace(/\.[^.]*$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return slug === '' ? 'pipeline' : slug;
}
