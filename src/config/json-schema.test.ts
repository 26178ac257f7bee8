import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonSchemaOf, kubernetesPluginSchema, type JsonSchema } from './json-schema.js';
import { validates } from '../../test/support/json-schema.js';
import { decode } from './shape.js';

const schema = kubernetesPluginSchema();

const valid = (node: JsonSchema, value: unknown): boolean => validates(schema, node, value);

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
