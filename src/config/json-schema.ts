/**
 * JSON Schema (draft 2020-12) generated from the shape registry, so the schema and the strict decoder can
 * never drift apart. Every object is closed (`additionalProperties: false`) and every value may be `null`,
 * which Go's decoder (and ours) treats as absent. Field names are the canonical spellings only; Go also
 * matches other letter cases, which the schema deliberately does not allow.
 */
import './params.js';
import { GO_DURATION, QUANTITY, shapeOf, type FieldType } from './shape.js';

export type JsonSchema = { readonly [keyword: string]: unknown };

const INT_RANGES = {
  int32: { minimum: -(2 ** 31), maximum: 2 ** 31 - 1 },
  // 2^63 is exact in a double; 2^63 - 1 is not, so bound the top exclusively.
  int64: { minimum: -(2 ** 63), exclusiveMaximum: 2 ** 63 },
  int: { minimum: -(2 ** 63), exclusiveMaximum: 2 ** 63 },
} as const;

/**
 * Schemas of field types that share one `$defs` table: `field` returns a schema that may `$ref` object
 * shapes, `defs` the table of every shape referred to so far. `rootShape` is referred to as `#`.
 */
export function fieldSchemas(rootShape?: string): {
  field: (type: FieldType) => JsonSchema;
  object: (name: string) => JsonSchema;
  defs: () => Record<string, JsonSchema>;
} {
  const defs = new Map<string, JsonSchema>();
  const pending: string[] = [];
  const ref = (name: string): JsonSchema => {
    if (name !== rootShape && !defs.has(name) && !pending.includes(name)) pending.push(name);
    return { $ref: name === rootShape ? '#' : `#/$defs/${name}` };
  };
  const field = (type: FieldType): JsonSchema => {
    switch (type.kind) {
      case 'string':
        return { type: ['string', 'null'] };
      case 'bool':
        return { type: ['boolean', 'null'] };
      case 'int':
        return { type: ['integer', 'null'], ...INT_RANGES[type.goType] };
      case 'quantity':
        return { type: ['string', 'number', 'null'], pattern: QUANTITY.source };
      case 'intOrString':
        return { type: ['string', 'integer', 'null'] };
      case 'duration':
        return { type: ['string', 'null'], pattern: GO_DURATION.source };
      case 'any':
        return {};
      case 'enum':
        return { enum: [...type.values, null] };
      case 'array':
        return { type: ['array', 'null'], items: field(type.of) };
      case 'map':
        return { type: ['object', 'null'], additionalProperties: field(type.of) };
      case 'object':
        return ref(type.shape);
    }
  };
  const object = (name: string): JsonSchema => {
    const shape = shapeOf(name);
    const properties: Record<string, JsonSchema> = {};
    for (const [key, type] of shape.fields) properties[key] = field(type);
    return {
      ...(shape.description === undefined ? {} : { description: shape.description }),
      type: ['object', 'null'],
      properties,
      additionalProperties: false,
    };
  };
  return {
    field,
    object,
    defs: () => {
      for (let name = pending.shift(); name !== undefined; name = pending.shift()) {
        if (!defs.has(name)) defs.set(name, object(name));
      }
      return Object.fromEntries([...defs].sort(([a], [b]) => (a < b ? -1 : 1)));
    },
  };
}

/**
 * The schema of a field type, e.g. `{kind: 'object', shape: 'KubernetesPlugin'}`, with every shape it uses in
 * `$defs`. A root object shape is inlined at the top (and referred to as `#` if it recurses).
 */
export function jsonSchemaOf(type: FieldType, options: { title?: string } = {}): JsonSchema {
  const rootShape = type.kind === 'object' ? type.shape : undefined;
  const schemas = fieldSchemas(rootShape);
  const root = rootShape === undefined ? schemas.field(type) : schemas.object(rootShape);
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    ...(options.title === undefined ? {} : { title: options.title }),
    ...root,
    $defs: schemas.defs(),
  };
}

/** The schema of the `kubernetes` plugin's config in a pipeline step. */
export function kubernetesPluginSchema(): JsonSchema {
  return jsonSchemaOf(
    { kind: 'object', shape: 'KubernetesPlugin' },
    { title: 'agent-stack-k8s kubernetes plugin' },
  );
}
