import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonSchemaOf, kubernetesPluginSchema, type JsonSchema } from './json-schema.js';
import { decode, isPlainObject } from './shape.js';

const schema = kubernetesPluginSchema();

/** A validator for exactly the keywords the generator emits, to check the schema means what decode does. */
function valid(node: JsonSchema, value: unknown): boolean {
  if (typeof node.$ref === 'string') {
    const target =
      node.$ref === '#' ? schema : (schema.$defs as Record<string, JsonSchema>)[node.$ref.slice(8)];
    if (target === undefined) throw new Error(`dangling ${node.$ref}`);
    return valid(target, value);
  }
  const types = node.type as string[] | undefined;
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
    return value.every((item) => valid(node.items as JsonSchema, item));
  }
  if (isPlainObject(value)) {
    const properties = (node.properties ?? {}) as Record<string, JsonSchema>;
    return Object.entries(value).every(([key, item]) => {
      const property = properties[key];
      if (property !== undefined) return valid(property, item);
      const extra = node.additionalProperties as JsonSchema | false | undefined;
      return extra === false ? false : valid(extra ?? {}, item);
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

const decodes = (value: unknown): boolean =>
  decode({ kind: 'object', shape: 'KubernetesPlugin' }, value, { mode: 'strict' }).ok;

describe('jsonSchemaOf', () => {
  const defs = schema.$defs as Record<string, JsonSchema & { properties: Record<string, JsonSchema> }>;

  it('closes every object and refers to nested shapes through $defs', () => {
    expect(schema).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: ['object', 'null'],
      additionalProperties: false,
      properties: { podSpec: { $ref: '#/$defs/V1PodSpec' }, podTemplate: { type: ['string', 'null'] } },
    });
    for (const def of Object.values(defs)) expect(def.additionalProperties).toBe(false);
  });

  it('types Kubernetes values as the API decodes them', () => {
    expect(defs.V1ResourceRequirements?.properties.limits).toMatchObject({
      type: ['object', 'null'],
      additionalProperties: { type: ['string', 'number', 'null'] },
    });
    expect(defs.V1ContainerPort?.properties.containerPort).toEqual({
      type: ['integer', 'null'],
      minimum: -(2 ** 31),
      maximum: 2 ** 31 - 1,
    });
    expect(defs.V1HTTPGetAction?.properties.port).toEqual({ type: ['string', 'integer', 'null'] });
    expect(defs.V1Container?.properties.imagePullPolicy).toEqual({
      enum: ['', 'Always', 'IfNotPresent', 'Never', null],
    });
    expect(defs.CommandParams?.properties.interposer).toEqual({
      enum: ['', 'buildkite', 'vector', 'legacy', null],
    });
  });

  it('works for any field type, collecting the shapes it uses', () => {
    expect(jsonSchemaOf({ kind: 'object', shape: 'AgentConfig' }).properties).toMatchObject({
      'container-start-timeout': { type: ['string', 'null'] },
      hooksVolume: { $ref: '#/$defs/V1Volume' },
    });
    const classes = jsonSchemaOf({ kind: 'map', of: { kind: 'object', shape: 'ResourceClass' } });
    expect(classes).toMatchObject({
      type: ['object', 'null'],
      additionalProperties: { $ref: '#/$defs/ResourceClass' },
      $defs: {
        ResourceClass: { additionalProperties: false },
        V1ResourceRequirements: { type: ['object', 'null'] },
      },
    });
  });

  it('matches the committed docs/kubernetes-plugin.schema.json (run scripts/gen-plugin-schema.ts)', () => {
    const committed: unknown = JSON.parse(
      readFileSync(new URL('../../docs/kubernetes-plugin.schema.json', import.meta.url), 'utf8'),
    );
    expect(committed).toEqual(schema);
  });

  it.each([
    [{}, true],
    [null, true],
    [
      { podSpec: { containers: [{ image: 'alpine', resources: { limits: { cpu: 1, memory: '1Gi' } } }] } },
      true,
    ],
    [
      {
        podSpec: {
          containers: [{ image: 'alpine', imagePullPolicy: 'Never', ports: [{ containerPort: 80 }] }],
        },
      },
      true,
    ],
    [{ podSpec: null, checkout: { skip: true, gitMirrors: { lockTimeout: 30 } } }, true],
    [{ commandParams: { interposer: 'vector' }, metadata: { labels: { a: 'b' } } }, true],
    [{ podSpecPatch: { containers: [{ name: 'x', livenessProbe: { httpGet: { port: 'http' } } }] } }, true],
    [{ jobActiveDeadlineSeconds: 600, sidecars: [{ image: 'nginx' }] }, true],
    [{ podspec2: {} }, false],
    [{ podSpec: { containers: [{ image: 'a', imagePulPolicy: 'Always' }] } }, false],
    [{ podSpec: { containers: [{ image: 5 }] } }, false],
    [{ podSpec: { containers: [{ resources: { limits: { cpu: 'lots' } } }] } }, false],
    [{ podSpec: { containers: [{ ports: [{ containerPort: 2 ** 31 }] }] } }, false],
    [{ podSpecPatch: { containers: [{ livenessProbe: { httpGet: { port: 1.5 } } }] } }, false],
    [{ commandParams: { interposer: 'bash' } }, false],
    [{ podSpec: { restartPolicy: 'Sometimes', containers: [] } }, false],
    [{ checkout: { skip: 'yes' } }, false],
    [{ metadata: { labels: { a: 1 } } }, false],
    [{ gitEnvFrom: {} }, false],
    ['podSpec', false],
  ])('agrees with the strict decoder on %j', (document, expected) => {
    expect(decodes(document)).toBe(expected);
    expect(valid(schema, document)).toBe(expected);
  });

  it('agrees with the strict decoder on arbitrary values in typed positions', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), fc.jsonValue(), (name, cpu, port) => {
        const document = {
          podSpec: {
            containers: [{ name, resources: { requests: { cpu } }, ports: [{ containerPort: port }] }],
          },
        };
        expect(valid(schema, document)).toBe(decodes(document));
      }),
      { numRuns: 300 },
    );
  });
});
