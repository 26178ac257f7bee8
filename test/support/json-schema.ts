/**
 * A validator for exactly the JSON Schema keywords our generators emit (src/config/json-schema.ts and
 * values-schema.ts), so tests can check a schema means what the decoder or config loader does.
 */
import type { JsonSchema } from '../../src/config/json-schema.js';
import { isPlainObject } from '../../src/config/shape.js';

/** Whether `value` satisfies `node`; `$ref`s resolve against `root` (`#` or `#/$defs/<name>`). */
export function validates(root: JsonSchema, node: JsonSchema, value: unknown): boolean {
  if (typeof node.$ref === 'string') {
    const target = node.$ref === '#' ? root : (root.$defs as Record<string, JsonSchema>)[node.$ref.slice(8)];
    if (target === undefined) throw new Error(`dangling ${node.$ref}`);
    return validates(root, target, value);
  }
  if (node.not !== undefined && validates(root, node.not as JsonSchema, value)) return false;
  const types = typeof node.type === 'string' ? [node.type] : (node.type as string[] | undefined);
  if (types !== undefined && !types.some((type) => hasType(type, value))) return false;
  if (Array.isArray(node.enum) && !node.enum.includes(value)) return false;
  if (typeof value === 'string' && typeof node.pattern === 'string') {
    if (!new RegExp(node.pattern, 'u').test(value)) return false;
  }
  if (typeof value === 'number') {
    if (typeof node.minimum === 'number' && value < node.minimum) return false;
    if (typeof node.maximum === 'number' && value > node.maximum) return false;
    if (typeof node.exclusiveMaximum === 'number' && value >= node.exclusiveMaximum) return false;
  }
  if (Array.isArray(value) && node.items !== undefined) {
    return value.every((item) => validates(root, node.items as JsonSchema, item));
  }
  if (isPlainObject(value)) {
    const properties = (node.properties ?? {}) as Record<string, JsonSchema>;
    return Object.entries(value).every(([key, item]) => {
      const property = properties[key];
      if (property !== undefined) return validates(root, property, item);
      const extra = node.additionalProperties as JsonSchema | false | undefined;
      return extra === false ? false : validates(root, extra ?? {}, item);
    });
  }
  return true;
}

function hasType(type: string, value: unknown): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'integer':
      return Number.isInteger(value);
    case 'object':
      return isPlainObject(value);
    case 'array':
      return Array.isArray(value);
    default:
      return typeof value === type;
  }
}
