/**
 * Builds the effective configuration from four layers, lowest first: defaults < YAML file < env vars <
 * flags. A key present in a higher layer wins even when its value is 0, false or empty. Every problem in
 * every layer is reported together as `config: <key.path>: <what is wrong>`.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { formatGoDuration } from './duration.js';
import {
  CONFIG_KEYS,
  OPTIONS,
  defaults,
  envName,
  type Config,
  type ConfigKey,
  type OptionSpec,
} from './schema.js';
import { validateConfig } from './validate.js';
import { formatPath, isPlainObject, type PathSegment } from './shape.js';
import { editDistance } from './edit-distance.js';

export type Layer = 'default' | 'file' | 'env' | 'flag';

export interface ConfigInput {
  /** Flag values as typed on the command line (text, or `true` for a bare boolean flag), by config key. */
  readonly flags?: Partial<Record<ConfigKey, string | boolean>>;
  /** `--config`/`-f`; falls back to env `CONFIG`. */
  readonly configPath?: string;
  /** The process environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Reads the config file; injected so tests need no files. */
  readonly readFile?: (path: string) => string;
}

export type LoadResult =
  | { readonly ok: true; readonly config: Config; readonly sources: Readonly<Record<ConfigKey, Layer>> }
  | { readonly ok: false; readonly errors: readonly string[] };

export function loadConfig(input: ConfigInput): LoadResult {
  const errors: string[] = [];
  const values = defaults();
  const sources = Object.fromEntries(CONFIG_KEYS.map((key) => [key, 'default'])) as Record<ConfigKey, Layer>;
  const set = (key: ConfigKey, value: unknown, layer: Layer): void => {
    values[key] = value;
    sources[key] = layer;
  };

  const env = input.env ?? {};
  const configPath = input.configPath ?? nonEmpty(env.CONFIG);
  if (configPath !== undefined) {
    const file = readConfigFile(configPath, input.readFile);
    if (file.ok) {
      for (const [key, raw] of Object.entries(file.values)) {
        if (!isKey(key)) {
          errors.push(line([key], unknownKeyMessage(key)));
          continue;
        }
        // YAML `key:` with no value is null: Go leaves the default in place.
        if (raw === null) continue;
        const parsed = parseValue(key, raw);
        if (parsed.ok) set(key, parsed.value, 'file');
        else errors.push(...parsed.errors);
      }
    } else {
      errors.push(`config: ${configPath}: ${file.error}`);
    }
  }

  for (const key of CONFIG_KEYS) {
    const name = envName(key);
    const text = name === undefined ? undefined : env[name];
    if (text === undefined) continue;
    const parsed = parseText(key, text, `env ${name ?? ''}`);
    if (parsed.ok) set(key, parsed.value, 'env');
    else errors.push(...parsed.errors);
  }

  for (const [key, given] of Object.entries(input.flags ?? {})) {
    if (!isKey(key)) continue;
    const parsed =
      typeof given === 'boolean' ? parseValue(key, given) : parseText(key, given, `flag --${key}`);
    if (parsed.ok) set(key, parsed.value, 'flag');
    else errors.push(...parsed.errors);
  }

  if (errors.length > 0) return { ok: false, errors };
  const config = normalise(values as Config);
  const problems = validateConfig(config);
  if (problems.length > 0) return { ok: false, errors: problems.map((p) => line(p.path, p.message)) };
  return { ok: true, config: deepFreeze(config), sources };
}

function normalise(config: Config): Config {
  // Upstream treats a non-positive creation concurrency as its default, and an empty buildkite-token
  // falls back to the integration-test token it used to read.
  return {
    ...config,
    'job-creation-concurrency':
      config['job-creation-concurrency'] > 0 ? config['job-creation-concurrency'] : 25,
    'buildkite-token': config['buildkite-token'] || config['integration-test-buildkite-token'],
  };
}

type Parsed = { ok: true; value: unknown } | { ok: false; errors: string[] };

function parseValue(key: ConfigKey, raw: unknown, origin?: string): Parsed {
  const spec: OptionSpec = OPTIONS[key];
  const result = spec.schema.safeParse(raw);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    errors: result.error.issues.map((issue) => {
      const path = issue.path.filter((p): p is PathSegment => typeof p !== 'symbol');
      return line([key, ...path], issue.message, origin);
    }),
  };
}

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Reads a value given as text (env var or flag) the way Go's flag parser would. */
function parseText(key: ConfigKey, text: string, origin: string): Parsed {
  const spec: OptionSpec = OPTIONS[key];
  switch (spec.kind) {
    case 'bool':
      if (TRUE.has(text)) return { ok: true, value: true };
      if (FALSE.has(text)) return { ok: true, value: false };
      return {
        ok: false,
        errors: [line([key], `expected true or false, got ${JSON.stringify(text)}`, origin)],
      };
    case 'int':
      if (!/^[+-]?\d+$/.test(text.trim())) {
        return {
          ok: false,
          errors: [line([key], `expected an integer, got ${JSON.stringify(text)}`, origin)],
        };
      }
      return parseValue(key, Number(text), origin);
    case 'list':
      // `--tags=` (empty) is an explicit empty list: it clears tags set in the file.
      return parseValue(key, text === '' ? [] : text.split(',').map((item) => item.trim()), origin);
    case 'duration':
    case 'string':
    case 'object':
      return parseValue(key, text, origin);
  }
}

function readConfigFile(
  path: string,
  readFile: ((path: string) => string) | undefined,
): { ok: true; values: Record<string, unknown> } | { ok: false; error: string } {
  let text: string;
  try {
    text = (readFile ?? defaultReadFile)(path);
  } catch (error) {
    return { ok: false, error: `cannot read config file: ${(error as Error).message}` };
  }
  let document: unknown;
  try {
    // YAML 1.1 like Go's sigs.k8s.io/yaml: unquoted yes/no/on/off are booleans.
    document = parseYaml(text, { version: '1.1', merge: true, uniqueKeys: false });
  } catch (error) {
    const message = error instanceof YAMLParseError ? error.message.split('\n')[0] : String(error);
    return { ok: false, error: `invalid YAML: ${message ?? ''}` };
  }
  if (document === null || document === undefined) return { ok: true, values: {} };
  if (!isPlainObject(document))
    return { ok: false, error: 'the config file must be a YAML mapping of keys to values' };
  return { ok: true, values: document };
}

function defaultReadFile(path: string): string {
  return readFileSync(path, 'utf8');
}

function isKey(key: string): key is ConfigKey {
  return Object.hasOwn(OPTIONS, key);
}

function unknownKeyMessage(key: string): string {
  const near = CONFIG_KEYS.filter((candidate) => editDistance(candidate, key.toLowerCase()) <= 2);
  return near.length > 0
    ? `unknown key (did you mean ${near.map((k) => `"${k}"`).join(' or ')}?)`
    : 'unknown key';
}

function line(path: readonly PathSegment[], message: string, origin?: string): string {
  return `config: ${formatPath(path)}: ${message}${origin === undefined ? '' : ` (from ${origin})`}`;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** The config as the `config` command prints it: file keys, Go durations, secrets redacted. */
export function printableConfig(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    const spec: OptionSpec = OPTIONS[key];
    const value: unknown = config[key];
    if (spec.secret === true) out[key] = value === '' ? '' : '<redacted>';
    else if (spec.kind === 'duration' && typeof value === 'number') out[key] = formatGoDuration(value);
    else out[key] = value ?? null;
  }
  return out;
}
