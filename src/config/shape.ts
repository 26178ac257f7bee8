/**
 * Structural decoding of Kubernetes-shaped (and our own struct-shaped) JSON, the way Go's
 * encoding/json decodes into typed structs: field names match case-insensitively (exact match first),
 * `null` means "absent", and a value of the wrong JSON kind is an error.
 *
 * Two modes:
 * - `strict` (config files, the pipeline linter): unknown fields are errors, every problem is reported.
 * - `go` (the `kubernetes` plugin at run time, as upstream): unknown fields are dropped silently and the
 *   first type error ends decoding with Go's own wording, which users see in Buildkite.
 *
 * The Kubernetes field tables come from @kubernetes/client-node's generated models, so every type in the
 * PodSpec subtree is covered without a hand-written copy of the API. They are extracted at build time
 * (kubernetes-models.ts) because loading the library itself costs the controller ~75 MiB of memory.
 */
import { KUBERNETES_MODELS } from './kubernetes-models.js';

export type FieldType =
  | { readonly kind: 'string' }
  | { readonly kind: 'int'; readonly goType: 'int' | 'int32' | 'int64' }
  | { readonly kind: 'bool' }
  | { readonly kind: 'quantity' }
  | { readonly kind: 'intOrString' }
  | { readonly kind: 'duration' }
  | { readonly kind: 'any' }
  | {
      readonly kind: 'enum';
      readonly goType: string;
      readonly values: readonly string[];
      readonly invalid: (v: string) => string;
      /** A Kubernetes string type: Go decodes any string (the API server judges it), so only strict mode checks. */
      readonly strictOnly?: boolean;
    }
  | { readonly kind: 'array'; readonly of: FieldType }
  | { readonly kind: 'map'; readonly of: FieldType }
  | { readonly kind: 'object'; readonly shape: string };

export interface Shape {
  /** Go type name as Go prints it in errors, e.g. `v1.PodSpec` or `config.CheckoutParams`. */
  readonly goType: string;
  /** Fields by their canonical JSON name, in declaration order. */
  readonly fields: ReadonlyMap<string, FieldType>;
  /** A one-line description, used in generated docs and JSON schemas. */
  readonly description?: string;
  /** Go's names of fields that have no JSON tag (Go reports those names in type errors). */
  readonly goNames?: ReadonlyMap<string, string>;
}

export type PathSegment = string | number;

export interface ShapeIssue {
  readonly path: readonly PathSegment[];
  readonly message: string;
}

export type DecodeResult = { ok: true; value: unknown } | { ok: false; issues: ShapeIssue[] };

// Fields whose Go type is resource.Quantity although the generated TS model says string.
const QUANTITY_FIELDS = new Set([
  'V1ResourceRequirements.limits',
  'V1ResourceRequirements.requests',
  'V1PodSpec.overhead',
  'V1EmptyDirVolumeSource.sizeLimit',
  'V1ResourceFieldSelector.divisor',
]);

// Kubernetes string enums the linter checks. "" is accepted because the API server defaults it.
const KUBERNETES_ENUMS: Readonly<Record<string, { goType: string; values: readonly string[] }>> = {
  'V1Container.imagePullPolicy': { goType: 'v1.PullPolicy', values: ['Always', 'IfNotPresent', 'Never'] },
  'V1Container.terminationMessagePolicy': {
    goType: 'v1.TerminationMessagePolicy',
    values: ['File', 'FallbackToLogsOnError'],
  },
  'V1PodSpec.restartPolicy': { goType: 'v1.RestartPolicy', values: ['Always', 'OnFailure', 'Never'] },
  'V1PodSpec.dnsPolicy': {
    goType: 'v1.DNSPolicy',
    values: ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'],
  },
  'V1ContainerPort.protocol': { goType: 'v1.Protocol', values: ['TCP', 'UDP', 'SCTP'] },
  'V1Toleration.effect': {
    goType: 'v1.TaintEffect',
    values: ['NoSchedule', 'PreferNoSchedule', 'NoExecute'],
  },
};

function kubernetesEnum(goType: string, values: readonly string[]): FieldType {
  return {
    kind: 'enum',
    goType,
    values: ['', ...values],
    strictOnly: true,
    invalid: (value) => `must be one of ${values.join(', ')}; got ${JSON.stringify(value)}`,
  };
}

const shapes = new Map<string, Shape>();

/** Registers one of our own struct shapes (e.g. `CheckoutParams`) so it can be decoded like a k8s type. */
export function defineShape(name: string, shape: Shape): void {
  shapes.set(name, shape);
}

/**
 * Returns the shape for a client-node model name (`V1PodSpec`) or a defined shape; throws on a typo or on a
 * model missing from kubernetes-models.ts (add it to the roots in scripts/kubernetes-models.ts).
 */
export function shapeOf(name: string): Shape {
  const known = shapes.get(name);
  if (known) return known;
  const model = Object.hasOwn(KUBERNETES_MODELS, name) ? KUBERNETES_MODELS[name] : undefined;
  if (model === undefined) throw new Error(`unknown shape ${name}`);
  const fields = new Map<string, FieldType>();
  for (const [field, tsType, format = ''] of model) {
    const known = KUBERNETES_ENUMS[`${name}.${field}`];
    const type = known
      ? kubernetesEnum(known.goType, known.values)
      : QUANTITY_FIELDS.has(`${name}.${field}`)
        ? quantityOf(tsType)
        : fieldTypeOf(tsType, format);
    fields.set(field, type);
  }
  const shape: Shape = { goType: goTypeOfModel(name), fields };
  shapes.set(name, shape);
  return shape;
}

function quantityOf(tsType: string): FieldType {
  return tsType.startsWith('{') ? { kind: 'map', of: { kind: 'quantity' } } : { kind: 'quantity' };
}

function fieldTypeOf(tsType: string, format: string): FieldType {
  if (tsType.startsWith('Array<')) return { kind: 'array', of: fieldTypeOf(tsType.slice(6, -1), format) };
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(tsType);
  if (map?.[1] !== undefined) return { kind: 'map', of: fieldTypeOf(map[1], '') };
  switch (tsType) {
    case 'string':
      return { kind: 'string' };
    case 'number':
      return { kind: 'int', goType: format === 'int64' ? 'int64' : 'int32' };
    case 'boolean':
      return { kind: 'bool' };
    case 'IntOrString':
      return { kind: 'intOrString' };
    case 'any':
    case 'object':
    case 'Date':
      return { kind: 'any' };
    default:
      return { kind: 'object', shape: tsType };
  }
}

function goTypeOfModel(name: string): string {
  const match = /^(?:Core)?(V\d+(?:alpha\d+|beta\d+)?)(\w+)$/.exec(name);
  return match ? `${match[1]?.toLowerCase() ?? 'v1'}.${match[2] ?? name}` : name;
}

/** Go's spelling of a field type, as printed in `cannot unmarshal … of type <T>`. */
export function goTypeName(type: FieldType): string {
  switch (type.kind) {
    case 'string':
      return 'string';
    case 'int':
      return type.goType;
    case 'bool':
      return 'bool';
    case 'quantity':
      return 'resource.Quantity';
    case 'intOrString':
      return 'intstr.IntOrString';
    case 'duration':
      return 'time.Duration';
    case 'any':
      return 'interface {}';
    case 'enum':
      return type.goType;
    case 'array':
      return `[]${goTypeName(type.of)}`;
    case 'map':
      return `map[string]${goTypeName(type.of)}`;
    case 'object':
      return shapeOf(type.shape).goType;
  }
}

export interface DecodeOptions {
  readonly mode: 'strict' | 'go';
  /** Path of the value inside the whole document, for messages. */
  readonly path?: readonly PathSegment[];
}

export const QUANTITY =
  /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:(?:[eE][+-]?\d+)|(?:Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;
export const GO_DURATION = /^[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$|^0$/;

/**
 * Decodes `value` as `type`. Returns the value with field names made canonical (and, in `go` mode,
 * unknown fields dropped), or the problems found.
 */
export function decode(type: FieldType, value: unknown, options: DecodeOptions): DecodeResult {
  const decoder = new Decoder(options.mode);
  const result = decoder.value(type, value, [...(options.path ?? [])], []);
  return decoder.issues.length > 0 ? { ok: false, issues: decoder.issues } : { ok: true, value: result };
}

/** Renders a path as `a.b[0].c`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

class Decoder {
  readonly issues: ShapeIssue[] = [];

  constructor(private readonly mode: 'strict' | 'go') {}

  private get stopped(): boolean {
    return this.mode === 'go' && this.issues.length > 0;
  }

  /**
   * `goField` is the chain of JSON field names Go reports (`EnvVar.podSpec.containers.env.value`), with the
   * innermost struct's Go name in front.
   */
  value(type: FieldType, value: unknown, path: PathSegment[], goField: string[]): unknown {
    if (value === null || value === undefined) return undefined;
    switch (type.kind) {
      case 'any':
        return value;
      case 'string':
        return typeof value === 'string' ? value : this.mismatch(type, value, path, goField);
      case 'bool':
        return typeof value === 'boolean' ? value : this.mismatch(type, value, path, goField);
      case 'int':
        return this.int(type, value, path, goField);
      case 'quantity':
        return this.quantity(value, path);
      case 'intOrString':
        return typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value))
          ? value
          : this.mismatch(type, value, path, goField);
      case 'duration':
        return this.duration(value, path, goField);
      case 'enum':
        if (typeof value !== 'string') return this.mismatch(type, value, path, goField);
        if (!type.values.includes(value) && !(type.strictOnly === true && this.mode === 'go')) {
          this.report(path, type.invalid(value));
        }
        return value;
      case 'array':
        return this.array(type, value, path, goField);
      case 'map':
        return this.map(type, value, path, goField);
      case 'object':
        return this.object(type, value, path, goField);
    }
  }

  private int(
    type: FieldType & { kind: 'int' },
    value: unknown,
    path: PathSegment[],
    goField: string[],
  ): unknown {
    if (typeof value !== 'number') return this.mismatch(type, value, path, goField);
    const limit = type.goType === 'int32' ? 2 ** 31 : 2 ** 63;
    if (!Number.isInteger(value) || value >= limit || value < -limit) {
      return this.mismatch(type, value, path, goField, `number ${String(value)}`);
    }
    return value;
  }

  private quantity(value: unknown, path: PathSegment[]): unknown {
    const text = typeof value === 'number' ? String(value) : value;
    if (typeof text !== 'string' || !QUANTITY.test(text)) {
      this.report(
        path,
        this.mode === 'go'
          ? "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
          : `invalid quantity ${JSON.stringify(value)} (expected e.g. "500m", "1", "128Mi")`,
      );
      return undefined;
    }
    return text;
  }

  private duration(value: unknown, path: PathSegment[], goField: string[]): unknown {
    if (typeof value === 'string' && GO_DURATION.test(value)) return value;
    if (typeof value === 'number' && this.mode === 'strict') {
      this.report(
        path,
        `a bare number is not a duration; write a Go duration string such as "${value}s" or "1m30s"`,
      );
      return undefined;
    }
    if (typeof value !== 'string') return this.mismatch({ kind: 'duration' }, value, path, goField);
    this.report(
      path,
      `invalid duration ${JSON.stringify(value)} (expected a Go duration such as "90s", "1m30s", "500ms")`,
    );
    return undefined;
  }

  private array(
    type: FieldType & { kind: 'array' },
    value: unknown,
    path: PathSegment[],
    goField: string[],
  ): unknown {
    if (!Array.isArray(value)) return this.mismatch(type, value, path, goField);
    const out: unknown[] = [];
    for (const [index, item] of value.entries()) {
      const decoded = this.value(type.of, item, [...path, index], goField);
      if (this.stopped) return undefined;
      // Go leaves a zero value in place of null; keep the slot so indexes stay meaningful.
      out.push(decoded ?? zeroOf(type.of));
    }
    return out;
  }

  private map(
    type: FieldType & { kind: 'map' },
    value: unknown,
    path: PathSegment[],
    goField: string[],
  ): unknown {
    if (!isPlainObject(value)) return this.mismatch(type, value, path, goField);
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const decoded = this.value(type.of, item, [...path, key], goField);
      if (this.stopped) return undefined;
      out[key] = decoded ?? zeroOf(type.of);
    }
    return out;
  }

  private object(
    type: FieldType & { kind: 'object' },
    value: unknown,
    path: PathSegment[],
    goField: string[],
  ): unknown {
    if (!isPlainObject(value)) return this.mismatch(type, value, path, goField);
    const shape = shapeOf(type.shape);
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const canonical = matchField(shape, key);
      if (canonical === undefined) {
        if (this.mode === 'strict') this.report([...path, key], 'unknown field');
        continue;
      }
      const fieldType = shape.fields.get(canonical);
      if (fieldType === undefined) continue;
      const fields = [...goField.slice(1), shape.goNames?.get(canonical) ?? canonical];
      const decoded = this.value(fieldType, item, [...path, canonical], [shape.goType, ...fields]);
      if (this.stopped) return undefined;
      if (decoded !== undefined) out[canonical] = decoded;
    }
    return out;
  }

  private mismatch(
    type: FieldType,
    value: unknown,
    path: PathSegment[],
    goField: string[],
    kind = jsonKind(value),
  ): unknown {
    if (this.mode === 'go') {
      const field = goField.length > 1 ? `Go struct field ${goStructName(goField)}` : 'Go value';
      this.report(path, `json: cannot unmarshal ${kind} into ${field} of type ${goTypeName(type)}`);
    } else {
      this.report(path, `expected ${describe(type)}, got ${jsonKind(value)}`);
    }
    return undefined;
  }

  private report(path: readonly PathSegment[], message: string): void {
    if (!this.stopped) this.issues.push({ path: [...path], message });
  }
}

/** `["v1.EnvVar", "podSpec", "containers", "env", "value"]` -> `EnvVar.podSpec.containers.env.value`. */
function goStructName(goField: string[]): string {
  const [struct = '', ...fields] = goField;
  return [struct.replace(/^.*\./, ''), ...fields].join('.');
}

function matchField(shape: Shape, key: string): string | undefined {
  if (shape.fields.has(key)) return key;
  const folded = key.toLowerCase();
  for (const name of shape.fields.keys()) if (name.toLowerCase() === folded) return name;
  return undefined;
}

function zeroOf(type: FieldType): unknown {
  switch (type.kind) {
    case 'string':
    case 'enum':
      return '';
    case 'int':
      return 0;
    case 'bool':
      return false;
    case 'object':
    case 'map':
      return {};
    default:
      return null;
  }
}

function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'object') return 'object';
  return typeof value;
}

/** Human wording of a type for strict-mode messages. */
export function describe(type: FieldType): string {
  switch (type.kind) {
    case 'int':
      return 'an integer';
    case 'bool':
      return 'a boolean';
    case 'string':
      return 'a string';
    case 'quantity':
      return 'a quantity';
    case 'intOrString':
      return 'an integer or a string';
    case 'duration':
      return 'a duration string';
    case 'enum':
      // "" means "not set" for every enum we have, so it is not worth listing.
      return `one of ${type.values
        .filter((v) => v !== '')
        .map((v) => JSON.stringify(v))
        .join(', ')}`;
    case 'array':
      return 'a list';
    case 'map':
    case 'object':
      return 'a mapping';
    case 'any':
      return 'any value';
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
