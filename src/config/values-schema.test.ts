import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { validates } from '../../test/support/json-schema.js';
import type { JsonSchema } from './json-schema.js';
import { loadConfig } from './load.js';
import { CONFIG_KEYS } from './schema.js';
import { helmValuesSchema } from './values-schema.js';

const schema = helmValuesSchema();
const properties = schema.properties as Record<string, JsonSchema>;
const configSchema = properties.config ?? {};
const chart = (path: string): string =>
  readFileSync(new URL(`../../charts/agent-stack-k8s/${path}`, import.meta.url), 'utf8');

const loads = (document: unknown): boolean =>
  loadConfig({ configPath: 'config.yaml', env: {}, readFile: () => stringify(document) }).ok;

describe('the chart values schema', () => {
  it('matches the committed charts/agent-stack-k8s/values.schema.json (run `npm run docs`)', () => {
    expect(JSON.parse(chart('values.schema.json'))).toEqual(schema);
  });

  it('accepts exactly the config keys the controller accepts', () => {
    expect(Object.keys(configSchema.properties as object)).toEqual(CONFIG_KEYS);
    expect(configSchema.additionalProperties).toBe(false);
  });

  it("accepts the chart's default values", () => {
    const values = parseYaml(chart('values.yaml')) as Record<string, unknown>;
    expect(Object.keys(values).sort()).toEqual(Object.keys(properties).sort());
    expect(validates(schema, schema, values)).toBe(true);
    expect(loads(values.config)).toBe(true);
  });

  it.each([
    [{}, true],
    [{ debug: null, queue: 'k8s', tags: ['queue=k8s', 'os=linux'] }, true],
    [
      {
        'graphql-results-limit': 100,
        'job-source': 'graphql',
        'buildkite-token': 'x',
        queue: 'k8s',
        org: 'acme',
      },
      true,
    ],
    [{ 'pod-pending-timeout': '1h30m', 'job-ttl': '90s', 'max-in-flight': 0 }, true],
    [{ 'agent-config': { endpoint: 'http://127.0.0.1:1/v3', 'no-http2': true } }, true],
    [{ 'resource-classes': { small: { resource: { requests: { cpu: '500m', memory: 1 } } } } }, true],
    [{ 'pod-spec-patch': { containers: [{ name: 'container-0', imagePullPolicy: 'Always' }] } }, true],
    [
      { 'default-metadata': { labels: { team: 'ci' } }, 'workspace-volume': { name: 'w', emptyDir: {} } },
      true,
    ],
    [{ workspaceVolume: { name: 'w', emptyDir: {} } }, false],
    [{ 'max-in-flight': -1 }, false],
    [{ 'max-in-flight': 'ten' }, false],
    [{ 'max-in-flight': 2.5 }, false],
    [{ 'prometheus-port': 70_000 }, false],
    [{ 'reservation-expiry-seconds': 3601 }, false],
    [{ 'pod-pending-timeout': 900 }, false],
    [{ 'pod-pending-timeout': 'soon' }, false],
    [{ 'log-level': 'verbose' }, false],
    [{ 'default-image-pull-policy': 'Sometimes' }, false],
    [{ tags: 'queue=k8s' }, false],
    [{ debug: 'yes please' }, false],
    [{ 'pod-spec-patch': { containers: [{ name: 'x', imagePulPolicy: 'Always' }] } }, false],
    [{ 'resource-classes': { small: { resources: {} } } }, false],
    [{ 'agent-config': { endpoint: 5 } }, false],
  ])('agrees with the config loader on %j', (document, expected) => {
    expect(loads(document)).toBe(expected);
    expect(validates(schema, configSchema, document)).toBe(expected);
  });

  it('types the chart values that are Kubernetes objects', () => {
    const check = (values: unknown): boolean => validates(schema, schema, values);
    expect(check({ controllerEnv: [{ name: 'NODE_OPTIONS', value: '--max-old-space-size=512' }] })).toBe(
      true,
    );
    expect(check({ controllerEnv: [{ name: 'A', vaule: 'typo' }] })).toBe(false);
    expect(check({ tolerations: [{ key: 'ci', operator: 'Exists', effect: 'NoSchedule' }] })).toBe(true);
    expect(check({ tolerations: [{ key: 'ci', tolerationSeconds: 'long' }] })).toBe(false);
    expect(check({ resources: { limits: { cpu: 'lots' } } })).toBe(false);
    expect(check({ monitoring: { podMonitor: { deploy: 'yes' } } })).toBe(false);
    expect(check({ serviceAccountMetadata: { annotations: { 'eks.amazonaws.com/role-arn': 'r' } } })).toBe(
      true,
    );
    expect(check({ serviceAccountMetadata: { name: 'mine' } })).toBe(false);
    expect(check({ labels: { team: 'ci' } })).toBe(true);
    expect(check({ labels: { app: 'mine' } })).toBe(false);
  });
});
