/** resource_test.go TestApplyResourceClass and resource_class_test.go TestResourceClass_Apply (§4.2, §4.5). */
import { describe, expect, it } from 'vitest';
import { renderJob } from './build.js';
import type { PodSpec, ResourceClass } from './k8s.js';
import { applyResourceClass, chooseResourceClass } from './resource-class.js';
import { tagMap } from './labels.js';
import { jobWith, zeroConfig } from '../../test/podspec/support.js';

const small: ResourceClass = {
  resource: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '200m', memory: '256Mi' } },
};
const large: ResourceClass = {
  resource: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' } },
};

describe('TestApplyResourceClass', () => {
  const pod: PodSpec = {
    containers: [
      {
        name: 'container-0',
        env: [
          { name: 'BUILDKITE_BOOTSTRAP_PHASES', value: 'plugin,command' },
          { name: 'BUILDKITE_COMMAND', value: 'echo hello' },
        ],
      },
    ],
  };
  type Row = [
    string,
    Record<string, ResourceClass> | undefined,
    string,
    Record<string, string>,
    ResourceClass | string | null,
  ];
  const rows: Row[] = [
    ['no tag and no default - no resources applied', { small }, '', { queue: 'test' }, null],
    [
      'tag specified - applies tagged resource class',
      { small, large },
      '',
      { queue: 'test', resource_class: 'large' },
      large,
    ],
    [
      'no tag but default set - applies default resource class',
      { small, large },
      'small',
      { queue: 'test' },
      small,
    ],
    [
      'tag overrides default - applies tagged resource class',
      { small, large },
      'small',
      { queue: 'test', resource_class: 'large' },
      large,
    ],
    [
      'tag specified but resource classes not configured',
      undefined,
      '',
      { queue: 'test', resource_class: 'small' },
      'resource classes not configured but resource_class tag specified',
    ],
    [
      'default set but resource classes not configured',
      undefined,
      'small',
      { queue: 'test' },
      'resource classes not configured but default-resource-class-name is set',
    ],
    [
      'tag references non-existent resource class',
      { small },
      '',
      { queue: 'test', resource_class: 'nonexistent' },
      'resource class not found: nonexistent',
    ],
    [
      'default references non-existent resource class',
      { small },
      'nonexistent',
      { queue: 'test' },
      'default resource class not found: nonexistent',
    ],
  ];
  it.each(rows)('%s', (_name, classes, defaultName, tags, expected) => {
    const choice = chooseResourceClass(classes, defaultName, new Map(Object.entries(tags)));
    if (typeof expected === 'string') {
      expect(choice).toEqual({ ok: false, error: expected });
      return;
    }
    if (!choice.ok) throw new Error(choice.error);
    const resources = applyResourceClass(pod, choice.resourceClass).containers[0]?.resources;
    if (expected === null) expect(resources).toBeUndefined();
    else expect(resources).toEqual(expected.resource);
  });

  it('an empty class map counts as not configured', () => {
    expect(chooseResourceClass({}, '', tagMap(['resource_class=x']))).toEqual({
      ok: false,
      error: 'resource classes not configured but resource_class tag specified',
    });
  });

  it('a class named like an Object prototype member is not found by accident', () => {
    expect(chooseResourceClass({ small }, '', tagMap(['resource_class=constructor']))).toEqual({
      ok: false,
      error: 'resource class not found: constructor',
    });
  });
});

describe('TestResourceClass_Apply', () => {
  const CE = [
    { name: 'BUILDKITE_BOOTSTRAP_PHASES', value: 'plugin,command' },
    { name: 'BUILDKITE_COMMAND', value: 'buildkite-agent foo' },
  ];
  it('applies resource requirements to command container', () => {
    const rc: ResourceClass = {
      resource: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '200m', memory: '256Mi' } },
    };
    expect(applyResourceClass({ containers: [{ name: '', env: CE }] }, rc)).toEqual({
      containers: [{ name: '', env: CE, resources: rc.resource }],
    });
  });

  it('applies node selector', () => {
    const rc: ResourceClass = { nodeSelector: { 'instance-type': 'large', zone: 'us-west-2a' } };
    expect(applyResourceClass({ containers: [{ name: '', env: CE }] }, rc)).toEqual({
      containers: [{ name: '', env: CE }],
      nodeSelector: { 'instance-type': 'large', zone: 'us-west-2a' },
    });
  });

  it('applies both resource requirements and node selector', () => {
    const rc: ResourceClass = {
      resource: { requests: { cpu: '500m' } },
      nodeSelector: { 'instance-type': 'xlarge' },
    };
    expect(applyResourceClass({ containers: [{ name: '', env: CE }] }, rc)).toEqual({
      containers: [{ name: '', env: CE, resources: { requests: { cpu: '500m' }, limits: {} } }],
      nodeSelector: { 'instance-type': 'xlarge' },
    });
  });

  it('applies resource requirements when BUILDKITE_COMMAND is empty', () => {
    const env = [{ name: 'BUILDKITE_COMMAND', value: '' }];
    const rc: ResourceClass = { resource: { requests: { cpu: '100m' } } };
    expect(applyResourceClass({ containers: [{ name: '', env }] }, rc)).toEqual({
      containers: [{ name: '', env, resources: { requests: { cpu: '100m' }, limits: {} } }],
    });
  });

  it('applies podResource to pod-level resources', () => {
    const podResource = { requests: { cpu: '1', memory: '256Mi' }, limits: { cpu: '2', memory: '512Mi' } };
    const containers = [{ name: 'agent' }, { name: 'command', env: CE }, { name: 'sidecar' }];
    expect(applyResourceClass({ containers }, { podResource })).toEqual({
      containers,
      resources: podResource,
    });
  });

  it('podResource and resource can be combined', () => {
    const rc: ResourceClass = {
      resource: { requests: { cpu: '500m' } },
      podResource: { requests: { cpu: '2' } },
    };
    expect(applyResourceClass({ containers: [{ name: 'agent' }, { name: 'command', env: CE }] }, rc)).toEqual(
      {
        containers: [
          { name: 'agent' },
          { name: 'command', env: CE, resources: { requests: { cpu: '500m' }, limits: {} } },
        ],
        resources: { requests: { cpu: '2' }, limits: {} },
      },
    );
  });

  it('handles nil resource class', () => {
    const pod: PodSpec = { containers: [{ name: 'command', env: CE }] };
    expect(applyResourceClass(pod, undefined)).toBe(pod);
  });

  it('class keys win over container keys; other container keys stay', () => {
    const pod: PodSpec = {
      containers: [{ name: 'c', env: CE, resources: { requests: { cpu: '1', 'ephemeral-storage': '1Gi' } } }],
    };
    const out = applyResourceClass(pod, { resource: { requests: { cpu: '2' } } });
    expect(out.containers[0]?.resources).toEqual({
      requests: { cpu: '2', 'ephemeral-storage': '1Gi' },
      limits: {},
    });
    expect(pod.containers[0]?.resources).toEqual({ requests: { cpu: '1', 'ephemeral-storage': '1Gi' } });
  });
});

describe('resource classes in a built Job', () => {
  it('applies to command containers only, before the agent and checkout exist', () => {
    const config = zeroConfig({ 'resource-classes': { large }, 'default-resource-class-name': '' });
    const result = renderJob(jobWith({ agentQueryRules: ['queue=q', 'resource_class=large'] }), config);
    if (!result.ok) throw new Error(result.message);
    const containers = result.job.spec?.template.spec?.containers ?? [];
    expect(containers.map((c) => [c.name, c.resources])).toEqual([
      ['container-0', large.resource],
      ['agent', undefined],
      ['checkout', undefined],
    ]);
    expect(result.job.metadata?.labels?.['tag.buildkite.com/resource_class']).toBe('large');
  });

  it('an unknown class fails the build with upstream text', () => {
    const result = renderJob(
      jobWith({ agentQueryRules: ['resource_class=huge'] }),
      zeroConfig({ 'resource-classes': { large } }),
    );
    expect(result).toEqual({
      ok: false,
      message: 'agent-stack-k8s failed to build a podSpec for the job: resource class not found: huge',
    });
  });
});
