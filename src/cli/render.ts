/**
 * `agent-stack-k8s render`: the Kubernetes Job the controller would create for a job, offline.
 * The job comes from a JSON file (`--job`) or from a command step of a pipeline file (`--pipeline`).
 * Exit status: 0 Job printed; 1 the controller would fail the job (its Buildkite message on stderr);
 * 2 usage error (bad flags or unreadable/invalid files).
 */
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { decode, isPlainObject } from '../config/shape.js';
import { buildJob, parseJob, type BuildkiteJob, type PodTemplateLookup } from '../podspec/build.js';
import type { PodSpec } from '../podspec/k8s.js';
import { pipelineJobs, type PipelineJob } from '../pipeline/jobs.js';
import type { CliIO } from './main.js';
import { normaliseRules, parseTags, resolveQueue } from '../intake/tags.js';

interface RenderFlags {
  readonly job?: string;
  readonly pipeline?: string;
  readonly step?: string;
  readonly config?: string;
  readonly podTemplate: string[];
  readonly output: 'json' | 'yaml';
}

type Loaded<T> = { ok: true; value: T } | { ok: false; error: string };

export function addRenderCommand(program: Command, io: CliIO, exit: (code: number) => void): void {
  program
    .command('render')
    .description('Print the Kubernetes Job the controller would create for a Buildkite job (offline)')
    .option('--job <file>', 'JSON job: {"id","command","env","agent_query_rules","priority"}')
    .option('--pipeline <file>', 'pipeline YAML: render the job of one command step')
    .option('--step <key>', 'with --pipeline: the key (or label) of the step; needed when there are several')
    .option('-f, --config <file>', 'controller YAML config file')
    .option(
      '--pod-template <name=file>',
      'a PodTemplate manifest (YAML or JSON) the job may name; repeatable',
      (value: string, previous: string[]) => [...previous, value],
      [],
    )
    .addOption(new Option('-o, --output <format>', 'output format').choices(['json', 'yaml']).default('json'))
    .action((flags: RenderFlags) => {
      exit(render(flags, io));
    });
}

function render(flags: RenderFlags, io: CliIO): number {
  const read = io.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const usage = (message: string): number => {
    io.stderr(`render: ${message}\n`);
    return 2;
  };
  const loaded = loadConfig({
    env: io.env,
    ...(flags.config !== undefined ? { configPath: flags.config } : {}),
    readFile: read,
  });
  if (!loaded.ok) {
    for (const error of loaded.errors) io.stderr(`${error}\n`);
    return 2;
  }
  const config = loaded.config;
  if ((flags.job === undefined) === (flags.pipeline === undefined)) {
    return usage('give exactly one of --job FILE or --pipeline FILE');
  }
  if (flags.step !== undefined && flags.pipeline === undefined) return usage('--step needs --pipeline');
  const job =
    flags.pipeline !== undefined
      ? readPipelineJob(flags.pipeline, flags.step, read, config)
      : readJob(flags.job ?? '', read, config);
  if (!job.ok) return usage(job.error);
  const templates = new Map<string, PodTemplateLookup>();
  for (const entry of flags.podTemplate) {
    const template = readPodTemplate(entry, read);
    if (!template.ok) return usage(template.error);
    templates.set(template.value.name, { ok: true, spec: template.value.spec });
  }

  const parsed = parseJob(job.value, config);
  if (!parsed.ok) return fail(parsed.message, io);
  const name = parsed.parsed.podTemplateName;
  const podTemplate = name === undefined ? undefined : templates.get(name);
  const result = buildJob({ parsed: parsed.parsed, config, ...(podTemplate ? { podTemplate } : {}) });
  if (!result.ok) return fail(result.message, io);
  io.stdout(
    flags.output === 'yaml'
      ? stringifyYaml(result.job, { aliasDuplicateObjects: false })
      : `${JSON.stringify(result.job, null, 2)}\n`,
  );
  return 0;
}

function fail(message: string, io: CliIO): number {
  io.stderr(message.endsWith('\n') ? message : `${message}\n`);
  return 1;
}

function readText(path: string, read: (path: string) => string): Loaded<string> {
  try {
    return { ok: true, value: read(path) };
  } catch (error) {
    return { ok: false, error: `cannot read ${path}: ${(error as Error).message}` };
  }
}

function readJob(path: string, read: (path: string) => string, config: Config): Loaded<BuildkiteJob> {
  const text = readText(path, read);
  if (!text.ok) return text;
  let raw: unknown;
  try {
    raw = JSON.parse(text.value);
  } catch (error) {
    return { ok: false, error: `${path}: not valid JSON: ${(error as Error).message}` };
  }
  return jobFromJson(raw, path, config);
}

/** A job in the Stacks API's JSON shape, checked field by field. */
function jobFromJson(raw: unknown, path: string, config: Config): Loaded<BuildkiteJob> {
  const bad = (what: string): Loaded<BuildkiteJob> => ({ ok: false, error: `${path}: ${what}` });
  if (!isPlainObject(raw)) return bad('expected a JSON object with "id", "command", "env", ...');
  const { id, command = '', env = {}, agent_query_rules: rules = [], priority = 0 } = raw;
  if (typeof id !== 'string' || id === '') return bad('"id" must be a non-empty string');
  if (typeof command !== 'string') return bad('"command" must be a string');
  if (!isPlainObject(env) || !Object.values(env).every((v) => typeof v === 'string')) {
    return bad('"env" must be an object of strings');
  }
  if (!Array.isArray(rules) || !rules.every((r) => typeof r === 'string')) {
    return bad('"agent_query_rules" must be a list of strings');
  }
  if (typeof priority !== 'number' || !Number.isInteger(priority))
    return bad('"priority" must be an integer');
  return {
    ok: true,
    value: {
      id,
      command,
      env: env as Record<string, string>,
      // The controller's view of the rules, as the monitor hands them to the scheduler.
      agentQueryRules: normaliseRules(rules, resolveQueue(config.queue, parseTags(config.tags))),
      priority,
    },
  };
}

function readPipelineJob(
  path: string,
  step: string | undefined,
  read: (path: string) => string,
  config: Config,
): Loaded<BuildkiteJob> {
  const text = readText(path, read);
  if (!text.ok) return text;
  const result = pipelineJobs(text.value, { file: path });
  if (!result.ok) {
    const first = result.errors[0];
    const more = result.errors.length > 1 ? ` (and ${result.errors.length - 1} more; run lint)` : '';
    return {
      ok: false,
      error: first ? `${first.file}:${first.line}:${first.col}: ${first.message}${more}` : path,
    };
  }
  const describe = (j: PipelineJob): string => j.key ?? j.label ?? `line ${j.line}`;
  const candidates =
    step === undefined ? result.jobs : result.jobs.filter((j) => j.key === step || j.label === step);
  const [only] = candidates;
  if (only === undefined) {
    return {
      ok: false,
      error:
        step === undefined
          ? `${path}: no command steps`
          : `${path}: no command step with key or label ${JSON.stringify(step)}`,
    };
  }
  if (candidates.length > 1) {
    const names = candidates.map(describe).join(', ');
    return {
      ok: false,
      error: `${path}: ${candidates.length} command steps (${names}); choose one with --step`,
    };
  }
  return jobFromJson(only.job, `${path}:${only.line}`, config);
}

function readPodTemplate(
  entry: string,
  read: (path: string) => string,
): Loaded<{ name: string; spec: PodSpec }> {
  const eq = entry.indexOf('=');
  if (eq <= 0 || eq === entry.length - 1) {
    return { ok: false, error: `--pod-template ${entry}: expected NAME=FILE` };
  }
  const name = entry.slice(0, eq);
  const path = entry.slice(eq + 1);
  const text = readText(path, read);
  if (!text.ok) return text;
  let manifest: unknown;
  try {
    manifest = parseYaml(text.value, { version: '1.1' });
  } catch (error) {
    return { ok: false, error: `${path}: not valid YAML: ${(error as Error).message}` };
  }
  const template = isPlainObject(manifest) ? manifest.template : undefined;
  const spec = isPlainObject(template) ? template.spec : undefined;
  if (!isPlainObject(spec)) return { ok: false, error: `${path}: expected a PodTemplate with template.spec` };
  // The API server hands back what a Go client decodes: unknown fields dropped, wrong types an error.
  const decoded = decode({ kind: 'object', shape: 'V1PodSpec' }, spec, { mode: 'go' });
  if (!decoded.ok)
    return { ok: false, error: `${path}: ${decoded.issues[0]?.message ?? 'invalid pod spec'}` };
  return { ok: true, value: { name, spec: decoded.value as PodSpec } };
}
