/**
 * The Helm chart's values.schema.json. `config` is generated from the option table, so the chart accepts
 * exactly the keys (and value types) the controller accepts; the chart's own values are described here by
 * hand. Written by `npm run docs`; a test fails when the committed file is stale.
 */
import { z } from 'zod';
import { fieldSchemas, type JsonSchema } from './json-schema.js';
import { CONFIG_KEYS, OPTIONS, type OptionSpec } from './schema.js';
import { GO_DURATION } from './shape.js';

/** Every value may also be null: YAML `key:` with no value, which the controller treats as absent. */
function nullable(schema: JsonSchema): JsonSchema {
  const { type, enum: values, ...rest } = schema;
  return {
    ...rest,
    ...(typeof type === 'string' ? { type: [type, 'null'] } : {}),
    ...(Array.isArray(values) ? { enum: [...(values as unknown[]), null] } : {}),
  };
}

function optionSchema(spec: OptionSpec, field: (type: NonNullable<OptionSpec['type']>) => JsonSchema) {
  const described = (schema: JsonSchema): JsonSchema => ({ description: spec.description, ...schema });
  if (spec.type !== undefined) return described(field(spec.type));
  if (spec.kind === 'duration') {
    return described({ type: ['string', 'null'], pattern: GO_DURATION.source });
  }
  // Scalars and lists: zod's own JSON Schema of the input type carries enums and integer bounds.
  const { $schema: _, ...schema } = z.toJSONSchema(spec.schema, { io: 'input', target: 'draft-2020-12' });
  return described(nullable(schema));
}

const stringMap: JsonSchema = { type: 'object', additionalProperties: { type: 'string' } };

/** Labels and annotations merged into an object's metadata; the chart sets its name and namespace. */
const extraMetadata = (of: string): JsonSchema => ({
  type: 'object',
  description: `Labels and annotations added to the ${of}'s metadata (its name and namespace are the chart's)`,
  properties: { labels: stringMap, annotations: stringMap },
  additionalProperties: false,
});

export function helmValuesSchema(): JsonSchema {
  const schemas = fieldSchemas();
  const config: Record<string, JsonSchema> = {};
  for (const key of CONFIG_KEYS) config[key] = optionSchema(OPTIONS[key], schemas.field);
  const properties: Record<string, JsonSchema> = {
    agentToken: {
      type: 'string',
      description:
        'Buildkite cluster agent token, stored in the Secret <fullname>-secrets as BUILDKITE_AGENT_TOKEN; required unless agentStackSecret is set',
    },
    graphqlToken: {
      type: 'string',
      description:
        'Buildkite API token with GraphQL access, stored in the same Secret as BUILDKITE_TOKEN (config job-source: graphql)',
    },
    agentStackSecret: {
      type: 'string',
      description:
        'Name of an existing Secret holding BUILDKITE_AGENT_TOKEN; the chart then creates no Secret',
    },
    image: { type: 'string', minLength: 1, description: 'Controller image' },
    config: {
      type: 'object',
      description:
        'The controller config file (docs/configuration.md); the chart adds agent-token-secret, namespace and id',
      properties: config,
      additionalProperties: false,
    },
    nameOverride: { type: 'string', description: 'Replaces the chart name in object names' },
    fullnameOverride: { type: 'string', description: 'Replaces the full name of every object' },
    controllerEnv: {
      ...schemas.field({ kind: 'array', of: { kind: 'object', shape: 'V1EnvVar' } }),
      description: 'Extra environment variables of the controller container',
    },
    nodeSelector: { ...stringMap, description: 'nodeSelector of the controller pod' },
    tolerations: {
      ...schemas.field({ kind: 'array', of: { kind: 'object', shape: 'V1Toleration' } }),
      description: 'Tolerations of the controller pod',
    },
    labels: {
      ...stringMap,
      description: 'Extra labels of the controller pod; app is the chart selector and cannot be set',
      properties: { app: { not: {}, description: 'reserved: the selector label, always the full name' } },
    },
    annotations: { ...stringMap, description: 'Extra annotations of the controller pod' },
    secretsMetadata: extraMetadata('agent token Secret'),
    serviceAccountMetadata: extraMetadata('ServiceAccount and Role'),
    resources: {
      ...schemas.field({ kind: 'object', shape: 'V1ResourceRequirements' }),
      description: 'Resources of the controller container',
    },
    monitoring: {
      type: 'object',
      additionalProperties: false,
      properties: {
        namespace: {
          type: 'string',
          description: 'Namespace of the PodMonitor and dashboard ConfigMap (default: the release namespace)',
        },
        deployGrafanaDashboard: {
          type: 'boolean',
          description: 'Create a ConfigMap with a Grafana dashboard, labelled grafana_dashboard: "1"',
        },
        podMonitor: {
          type: 'object',
          additionalProperties: false,
          properties: {
            deploy: { type: 'boolean', description: 'Create a Prometheus Operator PodMonitor' },
            scrapeInterval: {
              type: 'string',
              description: 'Scrape interval of the PodMonitor (default: the Prometheus default)',
            },
          },
        },
      },
    },
  };
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'agent-stack-k8s Helm chart values',
    type: 'object',
    required: ['agentToken', 'image', 'config'],
    properties,
    $defs: schemas.defs(),
  };
}
