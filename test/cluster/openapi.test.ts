/**
 * Our strategic-merge-patch table (src/podspec/smp-schema.ts) against the API server's own description of
 * the same Go types at `/openapi/v3/api/v1`: the same structs reachable from PodSpec, the same fields, the
 * same shapes, and the same `x-kubernetes-patch-strategy` / `x-kubernetes-patch-merge-key`, both ways. The
 * server-side-apply list types (`x-kubernetes-list-type`, `-list-map-keys`) are not read by a strategic
 * merge patch; where they disagree with the merge keys, the difference is listed and explained below.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patchMetadataRows, POD_SPEC_ROOT, POD_SPEC_TYPES } from '../../src/podspec/smp-schema.js';
import { openOracleApi, type OracleApi } from './oracle-api.js';

interface Schema {
  readonly type?: string;
  readonly $ref?: string;
  readonly allOf?: readonly Schema[];
  readonly items?: Schema;
  readonly additionalProperties?: Schema | boolean;
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly 'x-kubernetes-patch-strategy'?: string;
  readonly 'x-kubernetes-patch-merge-key'?: string;
  readonly 'x-kubernetes-list-type'?: string;
  readonly 'x-kubernetes-list-map-keys'?: readonly string[];
}

const CORE = 'io.k8s.api.core.v1.';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';

/** OpenAPI definition name -> our struct name (`metav1.` prefix for meta/v1). */
function ourName(definition: string): string {
  if (definition.startsWith(CORE)) return definition.slice(CORE.length);
  if (definition.startsWith(META)) return `metav1.${definition.slice(META.length)}`;
  return definition;
}

function refOf(schema: Schema | undefined): string | undefined {
  if (schema === undefined) return undefined;
  const ref = schema.$ref ?? schema.allOf?.find((s) => s.$ref !== undefined)?.$ref;
  return ref?.split('/').pop();
}

/** The shape of a property in our table's terms: kind plus the struct it refers to, if any. */
function shapeOf(schemas: Readonly<Record<string, Schema>>, property: Schema): string {
  const structRef = (schema: Schema | undefined): string | undefined => {
    const ref = refOf(schema);
    // Quantity, IntOrString, Time and FieldsV1 have no properties: leaves, like strings.
    return ref !== undefined && schemas[ref]?.properties !== undefined ? ourName(ref) : undefined;
  };
  if (property.type === 'array') {
    const ref = structRef(property.items);
    return ref === undefined ? 'list' : `list of ${ref}`;
  }
  if (property.type === 'object' && typeof property.additionalProperties === 'object') return 'map';
  const ref = structRef(property);
  return ref === undefined ? 'scalar' : `object ${ref}`;
}

/**
 * Lists whose server-side-apply keys differ from their strategic-merge key. The API server merges patches
 * by the struct tags (as we do), so these are facts about Kubernetes, not gaps in our table.
 */
const LIST_TYPE_DIFFERENCES: Readonly<Record<string, string>> = {
  // A port is identified by number and protocol for apply, by number alone for a patch (kubernetes#39188):
  // a patch cannot hold the same port for TCP and UDP.
  'Container.ports': 'list-map-keys containerPort,protocol; patch merge key containerPort',
  'EphemeralContainer.ports': 'list-map-keys containerPort,protocol; patch merge key containerPort',
  // Same story: apply keys constraints by key and policy, a patch by key only.
  'PodSpec.topologySpreadConstraints':
    'list-map-keys topologyKey,whenUnsatisfiable; patch merge key topologyKey',
  // A keyed list for apply that has no patch strategy: a patch replaces the whole list.
  'ResourceRequirements.claims': 'list-map-keys name; no patch strategy',
  // A set for apply that has no patch strategy: a patch replaces the exit codes wholesale.
  'ContainerRestartRuleOnExitCodes.values': 'set; no patch strategy',
};

/** How the list types of one field relate to its patch metadata, or undefined when they agree. */
function listTypeDifference(property: Schema): string | undefined {
  const listType = property['x-kubernetes-list-type'];
  const keys = property['x-kubernetes-list-map-keys'] ?? [];
  const strategy = property['x-kubernetes-patch-strategy'];
  const mergeKey = property['x-kubernetes-patch-merge-key'];
  const merges = strategy?.split(',').includes('merge') === true;
  if (listType === 'map') {
    if (mergeKey === undefined) return `list-map-keys ${keys.join(',')}; no patch strategy`;
    if (keys.length !== 1 || keys[0] !== mergeKey) {
      return `list-map-keys ${keys.join(',')}; patch merge key ${mergeKey}`;
    }
    return merges ? undefined : `list-map-keys ${keys.join(',')}; strategy ${strategy ?? 'none'}`;
  }
  if (listType === 'set') {
    if (strategy === undefined) return 'set; no patch strategy';
    return merges && mergeKey === undefined ? undefined : `set; strategy ${strategy}`;
  }
  return merges ? `list-type ${listType ?? 'none'}; strategy merge` : undefined;
}

let api: OracleApi;
let schemas: Readonly<Record<string, Schema>>;
/** Every definition reachable from PodSpec that has properties (a struct), by our name. */
const reachable = new Map<string, Schema>();

beforeAll(async () => {
  api = await openOracleApi();
  const served = await api.client.request<{ components: { schemas: Record<string, Schema> } }>({
    method: 'GET',
    path: '/openapi/v3/api/v1',
  });
  if (!served.ok) throw new Error(`GET /openapi/v3/api/v1: ${served.error.message}`);
  schemas = served.value.components.schemas;
  const pending = [`${CORE}${POD_SPEC_ROOT}`];
  for (let definition = pending.pop(); definition !== undefined; definition = pending.pop()) {
    const schema = schemas[definition];
    if (schema?.properties === undefined || reachable.has(ourName(definition))) continue;
    reachable.set(ourName(definition), schema);
    for (const property of Object.values(schema.properties)) {
      for (const inner of [property, property.items, property.additionalProperties]) {
        const ref = typeof inner === 'object' ? refOf(inner) : undefined;
        if (ref !== undefined) pending.push(ref);
      }
    }
  }
});

afterAll(async () => {
  await api.close();
});

describe('merge-key table vs /openapi/v3/api/v1', () => {
  it('covers exactly the structs reachable from PodSpec', () => {
    expect([...reachable.keys()].sort()).toEqual(Object.keys(POD_SPEC_TYPES).sort());
  });

  it('has the same fields with the same shapes in every struct', () => {
    const ours: string[] = [];
    const theirs: string[] = [];
    for (const [type, fields] of Object.entries(POD_SPEC_TYPES)) {
      for (const [field, schema] of Object.entries(fields)) {
        const ref = schema.ref;
        const shape =
          schema.kind === 'list'
            ? ref === undefined
              ? 'list'
              : `list of ${ref}`
            : schema.kind === 'object' && ref !== undefined
              ? `object ${ref}`
              : schema.kind === 'object'
                ? 'scalar' // an opaque object (FieldsV1), a leaf for the merge
                : schema.kind;
        ours.push(`${type}.${field}: ${shape}`);
      }
    }
    for (const [type, schema] of reachable) {
      for (const [field, property] of Object.entries(schema.properties ?? {})) {
        theirs.push(`${type}.${field}: ${shapeOf(schemas, property)}`);
      }
    }
    expect(ours.sort()).toEqual(theirs.sort());
  });

  it('has the same patch strategies and merge keys', () => {
    const theirs: string[] = [];
    for (const [type, schema] of reachable) {
      for (const [field, property] of Object.entries(schema.properties ?? {})) {
        const strategy = property['x-kubernetes-patch-strategy'];
        if (strategy === undefined) continue;
        const key = property['x-kubernetes-patch-merge-key'];
        theirs.push(`${type}.${field} ${strategy}${key === undefined ? '' : ` by ${key}`}`);
      }
    }
    const ours = patchMetadataRows().map((row) => {
      const type = ourName(row.definition);
      return `${type}.${row.field} ${row.strategy}${row.mergeKey === undefined ? '' : ` by ${row.mergeKey}`}`;
    });
    expect(ours.sort()).toEqual(theirs.sort());
    // The table is not trivially empty: the lists the pod builder merges are all there.
    expect(ours).toEqual(
      expect.arrayContaining([
        'PodSpec.containers merge by name',
        'PodSpec.volumes merge,retainKeys by name',
        'Container.env merge by name',
        'Container.volumeMounts merge by mountPath',
      ]),
    );
  });

  it('differs from the server-side-apply list types only where explained', () => {
    const found: Record<string, string> = {};
    for (const [type, schema] of reachable) {
      for (const [field, property] of Object.entries(schema.properties ?? {})) {
        const difference = listTypeDifference(property);
        if (difference !== undefined) found[`${type}.${field}`] = difference;
      }
    }
    expect(found).toEqual(LIST_TYPE_DIFFERENCES);
  });
});
