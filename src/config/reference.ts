/** Renders docs/configuration.md from the option table, so the reference cannot drift from the code. */
import { formatGoDuration } from './duration.js';
import { CONFIG_KEYS, OPTIONS, envName, type OptionSpec } from './schema.js';
import { describe, shapeOf, type FieldType } from './shape.js';

const NESTED_SHAPES = [
  'AgentConfig',
  'CheckoutParams',
  'GitMirrorsParams',
  'CommandParams',
  'SidecarParams',
  'Metadata',
  'ResourceClass',
  'AdditionalHook',
];

export function configurationReference(): string {
  const lines = [
    '# Configuration reference',
    '',
    '<!-- Generated from src/config/schema.ts by `npm run docs`; a test fails when this file is stale. -->',
    '',
    'Settings come from four layers, lowest first: built-in defaults, the YAML config file (`--config`, `-f`',
    'or env `CONFIG`), environment variables, then command-line flags. A key given in a higher layer wins even',
    'when its value is `0`, `false` or empty (`--tags=` clears tags set in the file). The file is YAML 1.1, as',
    'for the Go controller (`yes`/`no` are booleans). Durations are Go duration strings (`90s`, `1m30s`,',
    '`500ms`); a bare number is an error. Unknown keys are errors. Every problem is reported on its own line as',
    '`config: <key.path>: <what is wrong>` and the process exits with status 2 before anything starts.',
    '',
    'Run `agent-stack-k8s config --explain` to see the effective value of every key and the layer it came from.',
    '',
    '| Key | Flag | Env | Type | Default | Meaning |',
    '|---|---|---|---|---|---|',
  ];
  for (const key of CONFIG_KEYS) {
    const spec: OptionSpec = OPTIONS[key];
    if (spec.hidden === true) continue;
    const flag = spec.fileOnly === true ? '(file only)' : `\`--${key}\``;
    const env = envName(key);
    lines.push(
      `| \`${key}\` | ${flag} | ${env === undefined ? '-' : `\`${env}\``} | ${spec.kind} | ${defaultText(spec)} | ${spec.description} |`,
    );
  }
  lines.push('', '## Nested objects', '');
  lines.push('Field names match case-insensitively, as in the Go controller; unknown fields are errors.', '');
  for (const name of NESTED_SHAPES) {
    const shape = shapeOf(name);
    lines.push(`### ${name}`, '');
    if (shape.description !== undefined) lines.push(shape.description, '');
    lines.push('| Field | Type |', '|---|---|');
    for (const [field, type] of shape.fields) lines.push(`| \`${field}\` | ${typeText(type)} |`);
    lines.push('');
  }
  return lines.join('\n');
}

function defaultText(spec: OptionSpec): string {
  const value = spec.default;
  if (spec.secret === true || value === undefined) return '-';
  if (spec.kind === 'duration' && typeof value === 'number') return `\`${formatGoDuration(value)}\``;
  return `\`${JSON.stringify(value)}\``;
}

function typeText(type: FieldType): string {
  if (type.kind === 'object') return `\`${type.shape.replace(/^V1/, '')}\``;
  if (type.kind === 'array' && type.of.kind === 'object')
    return `list of \`${type.of.shape.replace(/^V1/, '')}\``;
  if (type.kind === 'map' && type.of.kind === 'object')
    return `map of \`${type.of.shape.replace(/^V1/, '')}\``;
  return describe(type);
}
