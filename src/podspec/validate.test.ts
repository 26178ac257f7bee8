import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  invalidJobMessage,
  isDNS1123Label,
  isEnvVarName,
  isLabelValue,
  isQualifiedName,
  isValidPortName,
  validateJob,
} from './validate.js';

const LABEL_ERR =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

const SUBDOMAIN_ERR =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

interface Job {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown>;
  spec: Record<string, unknown> & { template: { metadata?: unknown; spec: PodSpecShape } };
}

/** A Job shaped like the builder's output for the worked example (no plugin, defaults). */
function baseJob(): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: 'buildkite-0190a7c4-2ba6-4c5f-9c9e-41d3f5f4a001',
      labels: {
        'buildkite.com/job-uuid': '0190a7c4-2ba6-4c5f-9c9e-41d3f5f4a001',
        'tag.buildkite.com/queue': 'kubernetes',
      },
      annotations: {
        'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false',
        'buildkite.com/job-url': '#abc',
      },
    },
    spec: {
      backoffLimit: 0,
      ttlSecondsAfterFinished: 600,
      activeDeadlineSeconds: 21600,
      template: {
        metadata: { labels: { 'tag.buildkite.com/queue': 'kubernetes' } },
        spec: {
          restartPolicy: 'Never',
          terminationGracePeriodSeconds: 60,
          volumes: [{ name: 'workspace', emptyDir: {} }],
          initContainers: [
            {
              name: 'copy-agent',
              image: 'buildkite/agent:latest',
              volumeMounts: [{ name: 'workspace', mountPath: '/workspace' }],
            },
          ],
          containers: [
            {
              name: 'container-0',
              image: 'buildkite/agent:latest',
              env: [{ name: 'BUILDKITE_COMMAND', value: 'echo hello world' }],
              volumeMounts: [{ name: 'workspace', mountPath: '/workspace' }],
            },
            { name: 'agent', image: 'buildkite/agent:latest' },
            { name: 'checkout', image: 'buildkite/agent:latest' },
          ],
        },
      },
    },
  };
}

type PodSpecShape = Record<string, unknown> & {
  containers: Record<string, unknown>[];
  initContainers: Record<string, unknown>[];
  volumes: Record<string, unknown>[];
};

/** Validates the base Job after `change` edits its pod spec (as plain JSON, the way a patch could). */
function problemsAfter(change: (spec: PodSpecShape) => void): string[] {
  const job = baseJob();
  change(job.spec.template.spec);
  return validateJob(job);
}

describe('validateJob', () => {
  it('accepts what the builder produces', () => {
    expect(validateJob(baseJob())).toEqual([]);
  });

  it('checks container names are DNS-1123 labels', () => {
    expect(
      problemsAfter((s) => {
        s.containers[0] = { ...s.containers[0], name: 'Foo' };
      }),
    ).toEqual([`spec.template.spec.containers[0].name: Invalid value: "Foo": ${LABEL_ERR}`]);
    expect(
      problemsAfter((s) => {
        s.initContainers[0] = { ...s.initContainers[0], name: 'a.b' };
      }),
    ).toEqual(['spec.template.spec.initContainers[0].name: Invalid value: "a.b": must not contain dots']);
    expect(
      problemsAfter((s) => {
        s.containers[1] = { ...s.containers[1], name: 'a'.repeat(64) };
      }),
    ).toEqual([
      `spec.template.spec.containers[1].name: Invalid value: "${'a'.repeat(64)}": must be no more than 63 characters`,
    ]);
    expect(
      problemsAfter((s) => {
        s.containers[1] = { image: 'x' };
      }),
    ).toEqual(['spec.template.spec.containers[1].name: Required value']);
  });

  it('finds duplicate container names across containers and init containers', () => {
    expect(
      problemsAfter((s) => {
        s.containers.push({ name: 'agent', image: 'x' });
        s.initContainers.push({ name: 'checkout', image: 'x' });
      }),
    ).toEqual([
      'spec.template.spec.containers[3].name: Duplicate value: "agent"',
      'spec.template.spec.initContainers[1].name: Duplicate value: "checkout"',
    ]);
  });

  it('requires at least one container', () => {
    expect(
      problemsAfter((s) => {
        s.containers = [];
      }),
    ).toEqual(['spec.template.spec.containers: Required value']);
  });

  it('checks volume names, duplicates and sources', () => {
    expect(
      problemsAfter((s) => {
        s.volumes.push({ name: 'workspace', emptyDir: {} }, { name: 'Bad_Name', emptyDir: {} });
        s.volumes.push({
          name: 'two',
          emptyDir: {},
          hostPath: { path: '/tmp' },
          cephfs: { monitors: ['m'] },
        });
      }),
    ).toEqual([
      'spec.template.spec.volumes[1].name: Duplicate value: "workspace"',
      `spec.template.spec.volumes[2].name: Invalid value: "Bad_Name": ${LABEL_ERR}`,
      'spec.template.spec.volumes[3].hostPath: Forbidden: may not specify more than 1 volume type',
      'spec.template.spec.volumes[3].cephFS: Forbidden: may not specify more than 1 volume type',
    ]);
  });

  it('accepts a volume without a source, which the API server defaults to emptyDir', () => {
    expect(
      problemsAfter((s) => {
        s.volumes[0] = { name: 'workspace' };
      }),
    ).toEqual([]);
  });

  it('finds mounts of missing volumes, like the invalid.yaml fixture', () => {
    const problems = problemsAfter((s) => {
      s.containers[0] = {
        ...s.containers[0],
        volumeMounts: [{ name: 'this-doesnt-exist', mountPath: '/x' }],
      };
    });
    expect(problems).toEqual([
      'spec.template.spec.containers[0].volumeMounts[0].name: Not found: "this-doesnt-exist"',
    ]);
  });

  it('treats a mount of an invalid volume as not found, as the server does', () => {
    expect(
      problemsAfter((s) => {
        s.volumes[0] = { name: 'workspace', emptyDir: {}, hostPath: { path: '/tmp' } };
      }),
    ).toEqual([
      'spec.template.spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type',
      'spec.template.spec.containers[0].volumeMounts[0].name: Not found: "workspace"',
      'spec.template.spec.initContainers[0].volumeMounts[0].name: Not found: "workspace"',
    ]);
  });

  it('finds duplicate mount paths within a container only', () => {
    expect(
      problemsAfter((s) => {
        s.containers[0] = {
          ...s.containers[0],
          volumeMounts: [
            { name: 'workspace', mountPath: '/workspace' },
            { name: 'workspace', mountPath: '/workspace', subPath: 'x' },
            { name: 'workspace', mountPath: '' },
          ],
        };
      }),
    ).toEqual([
      'spec.template.spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/workspace": must be unique',
      'spec.template.spec.containers[0].volumeMounts[2].mountPath: Required value',
    ]);
  });

  it('rejects subPath together with subPathExpr, and non-descending sub paths', () => {
    expect(
      problemsAfter((s) => {
        s.containers[0] = {
          ...s.containers[0],
          volumeMounts: [
            { name: 'workspace', mountPath: '/a', subPath: 'x', subPathExpr: '$(POD_NAME)' },
            { name: 'workspace', mountPath: '/b', subPath: '/abs' },
            { name: 'workspace', mountPath: '/c', subPathExpr: 'a/../b' },
          ],
        };
      }),
    ).toEqual([
      'spec.template.spec.containers[0].volumeMounts[0].subPathExpr: Invalid value: "$(POD_NAME)": subPathExpr and subPath are mutually exclusive',
      'spec.template.spec.containers[0].volumeMounts.subPath: Invalid value: "/abs": must be a relative path',
      'spec.template.spec.containers[0].volumeMounts.subPathExpr: Invalid value: "a/../b": must not contain \'..\'',
    ]);
  });

  it('checks env var names with the relaxed rule', () => {
    expect(
      problemsAfter((s) => {
        s.containers[0] = {
          ...s.containers[0],
          env: [{ name: '1-ok.too:yes' }, { name: 'A=B' }, { name: '' }, { name: 'é' }],
        };
      }),
    ).toEqual([
      `spec.template.spec.containers[0].env[1].name: Invalid value: "A=B": a valid environment variable name must consist only of printable ASCII characters other than '='`,
      'spec.template.spec.containers[0].env[2].name: Required value',
      `spec.template.spec.containers[0].env[3].name: Invalid value: "é": a valid environment variable name must consist only of printable ASCII characters other than '='`,
    ]);
  });

  it('requires an image, as a patch-added container or a sidecar may lack one', () => {
    expect(
      problemsAfter((s) => {
        s.containers.push({ name: 'added' });
      }),
    ).toEqual(['spec.template.spec.containers[3].image: Required value']);
  });

  it('checks Secret and ConfigMap key selectors in env (texts from kube-apiserver 1.36)', () => {
    expect(
      problemsAfter((s) => {
        s.containers[1] = {
          ...s.containers[1],
          env: [
            { name: 'T', valueFrom: { secretKeyRef: { name: '', key: 'BUILDKITE_AGENT_TOKEN' } } },
            { name: 'S', valueFrom: { secretKeyRef: { name: 'Bad_Name', key: '' } } },
            { name: 'C', valueFrom: { configMapKeyRef: { name: 'ok', key: '..x' } } },
            { name: 'D', valueFrom: { configMapKeyRef: { name: 'ok', key: 'a b' } } },
            { name: 'F', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
          ],
        };
      }),
    ).toEqual([
      `spec.template.spec.containers[1].env[0].valueFrom.secretKeyRef.name: Invalid value: "": ${SUBDOMAIN_ERR}`,
      `spec.template.spec.containers[1].env[1].valueFrom.secretKeyRef.name: Invalid value: "Bad_Name": ${SUBDOMAIN_ERR}`,
      'spec.template.spec.containers[1].env[1].valueFrom.secretKeyRef.key: Required value',
      `spec.template.spec.containers[1].env[2].valueFrom.configMapKeyRef.key: Invalid value: "..x": must not start with '..'`,
      "spec.template.spec.containers[1].env[3].valueFrom.configMapKeyRef.key: Invalid value: \"a b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    ]);
  });

  it('checks envFrom sources and prefixes (texts from kube-apiserver 1.36)', () => {
    expect(
      problemsAfter((s) => {
        s.containers[0] = {
          ...s.containers[0],
          envFrom: [
            { prefix: 'P_' },
            { secretRef: { name: 'ends-with-dash-' } },
            { configMapRef: { name: '' } },
            { configMapRef: { name: 'x' }, secretRef: { name: 'y' } },
            { prefix: 'a=b', secretRef: { name: '-x' } },
          ],
        };
      }),
    ).toEqual([
      'spec.template.spec.containers[0].envFrom: Invalid value: "": must specify one of: `configMapRef` or `secretRef`',
      'spec.template.spec.containers[0].envFrom[2].configMapRef.name: Required value',
      'spec.template.spec.containers[0].envFrom: Invalid value: "": may not have more than one field specified at a time',
      `spec.template.spec.containers[0].envFrom[4].prefix: Invalid value: "a=b": a valid environment variable name must consist only of printable ASCII characters other than '='`,
      `spec.template.spec.containers[0].envFrom[4].secretRef.name: Invalid value: "-x": ${SUBDOMAIN_ERR}`,
    ]);
  });

  it('checks port names and numbers', () => {
    expect(
      problemsAfter((s) => {
        s.containers[2] = {
          ...s.containers[2],
          ports: [
            { name: 'http', containerPort: 80 },
            { name: 'http', containerPort: 81 },
            { name: '8080', containerPort: 70000 },
            { containerPort: 0 },
          ],
        };
      }),
    ).toEqual([
      'spec.template.spec.containers[2].ports[1].name: Duplicate value: "http"',
      'spec.template.spec.containers[2].ports[2].name: Invalid value: "8080": must contain at least one letter (a-z)',
      'spec.template.spec.containers[2].ports[2].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
      'spec.template.spec.containers[2].ports[3].containerPort: Required value',
    ]);
  });

  it('requires restartPolicy Never or OnFailure, as batch validation words it', () => {
    const withPolicy = (policy: string | undefined): string[] =>
      problemsAfter((s) => {
        if (policy === undefined) delete s.restartPolicy;
        else s.restartPolicy = policy;
      });
    expect(withPolicy('OnFailure')).toEqual([]);
    const required = 'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"';
    expect(withPolicy('Always')).toEqual([required]);
    expect(withPolicy(undefined)).toEqual([required]);
    expect(withPolicy('Sometimes')).toEqual([
      'spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
      'spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "OnFailure", "Never"',
    ]);
  });

  it('forbids ephemeral containers, and accepts a negative grace period as the API server does', () => {
    expect(
      problemsAfter((s) => {
        s.ephemeralContainers = [{ name: 'debug' }];
        s.terminationGracePeriodSeconds = -1;
      }),
    ).toEqual([
      'spec.template.spec.ephemeralContainers: Forbidden: ephemeral containers not allowed in pod template',
    ]);
  });

  it('checks the Job name as a subdomain and as a label value', () => {
    const job = baseJob();
    job.metadata = { ...job.metadata, name: `buildkite-${'a'.repeat(60)}` };
    expect(validateJob(job)).toEqual([
      `spec.template.labels: Invalid value: "buildkite-${'a'.repeat(60)}": must be no more than 63 characters`,
    ]);
    job.metadata = { ...job.metadata, name: 'Buildkite_1' };
    expect(validateJob(job)).toEqual([
      `metadata.name: Invalid value: "Buildkite_1": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    ]);
    job.metadata = { ...job.metadata, name: undefined };
    expect(validateJob(job)).toEqual(['metadata.name: Required value: name or generateName is required']);
  });

  it('checks label keys and values and annotation keys', () => {
    const job = baseJob();
    job.metadata = {
      ...job.metadata,
      labels: { 'tag.buildkite.com/queue': 'has spaces', 'a/b/c': 'x' },
      annotations: { 'Example.com/Fine': 'x', '/empty-prefix': 'y' },
    };
    expect(validateJob(job)).toEqual([
      `metadata.labels: Invalid value: "has spaces": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
      `metadata.labels: Invalid value: "a/b/c": a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
      'metadata.annotations: Invalid value: "/empty-prefix": prefix part must be non-empty',
    ]);
  });

  it('reports template labels under spec.template.labels, as the server does', () => {
    const job = baseJob();
    job.spec = {
      ...job.spec,
      template: { ...job.spec.template, metadata: { labels: { 'tag.buildkite.com/queue': 'a b' } } },
    };
    expect(validateJob(job)[0]).toMatch(/^spec\.template\.labels: Invalid value: "a b": a valid label must/);
  });

  it('checks non-negative backoffLimit and ttlSecondsAfterFinished', () => {
    const job = baseJob();
    job.spec = { ...job.spec, backoffLimit: -1, ttlSecondsAfterFinished: -5 };
    expect(validateJob(job)).toEqual([
      'spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0',
      'spec.ttlSecondsAfterFinished: Invalid value: -5: must be greater than or equal to 0',
    ]);
  });

  it('never throws, whatever a patch put into the Job', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (spec) => {
        expect(Array.isArray(validateJob({ metadata: { name: 'x' }, spec: { template: { spec } } }))).toBe(
          true,
        );
      }),
    );
    expect(validateJob(null)).toContain('metadata.name: Required value: name or generateName is required');
  });
});

describe('name rules', () => {
  it.each([
    ['my-name', []],
    ['123-abc', []],
    ['-a', [LABEL_ERR]],
    ['', [LABEL_ERR]],
  ])('isDNS1123Label(%j)', (value, errors) => {
    expect(isDNS1123Label(value)).toEqual(errors);
  });

  it.each([
    ['http', []],
    ['a'.repeat(16), ['must be no more than 15 characters']],
    [
      '-a--b_',
      [
        'must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
        'must not contain consecutive hyphens',
        'must not begin or end with a hyphen',
      ],
    ],
  ])('isValidPortName(%j)', (value, errors) => {
    expect(isValidPortName(value)).toEqual(errors);
  });

  it('isEnvVarName follows the relaxed rule', () => {
    for (const ok of ['-', ':', '_', '+a', 'a ', '#a', '0a', '0 a', '@a', 'a.b'])
      expect(isEnvVarName(ok)).toEqual([]);
    for (const bad of ['=', 'a=b', '\x01abc', '\x82abc', 'Ç ç']) expect(isEnvVarName(bad)).toHaveLength(1);
    expect(isEnvVarName('')).toEqual(['environment variable name must be non-empty']);
  });

  it('isQualifiedName checks prefix and name parts', () => {
    expect(isQualifiedName('example.com/MyName')).toEqual([]);
    expect(isQualifiedName('Example.com/x')[0]).toMatch(/^prefix part a lowercase RFC 1123 subdomain/);
    expect(isQualifiedName(`x/${'a'.repeat(64)}`)).toEqual(['name part must be no more than 63 characters']);
    expect(isQualifiedName('x/')).toEqual([
      'name part must be non-empty',
      expect.stringMatching(/^name part must consist/),
    ]);
  });

  it('isLabelValue allows empty values', () => {
    expect(isLabelValue('')).toEqual([]);
    expect(isLabelValue('a'.repeat(64))).toEqual(['must be no more than 63 characters']);
  });

  it('formats a rejected Job like the API server', () => {
    expect(invalidJobMessage('j', ['a: Required value'])).toBe('Job.batch "j" is invalid: a: Required value');
    expect(invalidJobMessage('j', ['a', 'b'])).toBe('Job.batch "j" is invalid: [a, b]');
  });
});
