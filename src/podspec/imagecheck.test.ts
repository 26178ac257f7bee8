/** TestImagePullPolicies (scheduler_test.go, podspec.md §4.1) and the image checks around it. */
import { describe, expect, it } from 'vitest';
import { renderJob, type BuildResult } from './build.js';
import type { PodSpec } from './k8s.js';
import { assemble, jobWith, zeroConfig } from '../../test/podspec/support.js';

function podOf(result: BuildResult): PodSpec {
  if (!result.ok) throw new Error(result.message);
  const spec = result.job.spec?.template.spec;
  if (spec === undefined) throw new Error('no pod');
  return spec;
}

const G = 'golang:1.23.5';
const GD = 'golang:1.23.5@sha256:8c10f21bec412f08f73aa7b97ca5ac5f28a39d8a88030ad8a339fd0a781d72b4';
const A = 'Always';
const I = 'IfNotPresent';
const N = 'Never';

type Row = [
  name: string,
  dp: string,
  cp: string,
  image: string | null,
  own: string,
  checks: Record<string, string>,
  c0: string,
  agent: string,
  checkout: string,
  copy: string,
];

const rows: Row[] = [
  ['empty defaults, empty podspec', '', '', null, '', {}, I, I, I, A],
  ['empty defaults, image without digest', '', '', G, '', { [G]: A }, I, I, I, A],
  ['empty defaults, image with digest', '', '', GD, '', { [GD]: I }, I, I, I, A],
  ['empty defaults, container pull Always', '', '', G, A, { [G]: A }, I, I, I, A],
  ['default pull Always, empty podspec', A, '', null, '', {}, I, I, I, A],
  ['default check pull Always, empty podspec', '', A, null, '', {}, I, I, I, A],
  ['default pull Always, image without digest', A, '', G, '', { [G]: A }, I, I, I, A],
  ['default check pull Always, image without digest', '', A, G, '', { [G]: A }, I, I, I, A],
  ['default pull Always, image with digest', A, '', GD, '', { [GD]: A }, I, I, I, A],
  ['default check pull Always, image with digest', '', A, GD, '', { [GD]: A }, I, I, I, A],
  ['empty defaults, container pull IfNotPresent', '', '', G, I, { [G]: I }, I, I, I, A],
  ['default pull IfNotPresent, empty podspec', I, '', null, '', {}, I, I, I, I],
  ['default check pull IfNotPresent, empty podspec', '', I, null, '', {}, A, I, I, A],
  ['default pull IfNotPresent, image without digest', I, '', G, '', { [G]: I }, I, I, I, I],
  ['default check pull IfNotPresent, image without digest', '', I, G, '', { [G]: I }, A, I, I, A],
  ['default pull IfNotPresent, image with digest', I, '', GD, '', { [GD]: I }, I, I, I, I],
  ['default check pull IfNotPresent, image with digest', '', I, GD, '', { [GD]: I }, I, I, I, A],
  ['empty defaults, container pull Never', '', '', G, N, { [G]: N }, N, I, I, A],
  ['default pull Never, empty podspec', N, '', null, '', {}, N, N, N, N],
  ['default check pull Never, empty podspec', '', N, null, '', {}, A, I, I, A],
  ['default pull Never, image without digest', N, '', G, '', { [G]: N }, N, N, N, N],
  ['default check pull Never, image without digest', '', N, G, '', { [G]: N }, A, I, I, A],
  ['default pull Never, image with digest', N, '', GD, '', { [GD]: N }, N, N, N, N],
  ['default check pull Never, image with digest', '', N, GD, '', { [GD]: N }, I, I, I, A],
];

describe('TestImagePullPolicies', () => {
  it.each(rows)('%s', (_name, dp, cp, image, own, checks, c0, agent, checkout, copy) => {
    const config = zeroConfig({
      namespace: 'buildkite',
      image: 'buildkite/agent:3.92.1',
      'agent-token-secret': 'bkcq_1234567890',
      'default-image-pull-policy': dp,
      'default-image-check-pull-policy': cp,
    });
    const containers =
      image === null ? [] : [{ name: 'container-0', image, ...(own !== '' ? { imagePullPolicy: own } : {}) }];
    const job = jobWith({
      id: '1234',
      command: 'echo shell',
      agentQueryRules: ['queue=bernetes'],
      ...(containers.length > 0 ? { plugin: { podSpec: { containers } } } : {}),
    });
    // Upstream's test calls Build directly; its token Secret name is not one the API server accepts.
    const pod = podOf(assemble(job, config));
    const all = [...pod.containers, ...(pod.initContainers ?? [])];
    const imageChecks = all.filter((c) => c.name.startsWith('imagecheck-'));
    const checkMap: Record<string, string | undefined> = Object.fromEntries(
      imageChecks.map((c) => [c.image ?? '', c.imagePullPolicy]),
    );
    expect(Object.keys(checkMap)).toHaveLength(imageChecks.length);
    expect(checkMap).toEqual(checks);
    const others = Object.fromEntries(
      all.filter((c) => !c.name.startsWith('imagecheck-')).map((c) => [c.name, c.imagePullPolicy]),
    );
    expect(others).toEqual({ 'copy-agent': copy, 'container-0': c0, agent, checkout });
  });
});

describe('image checks', () => {
  const config = zeroConfig({
    'image-check-container-cpu-limit': '200m',
    'image-check-container-memory-limit': '128Mi',
  });

  it('numbers checks by first appearance and sizes them from the config', () => {
    const job = jobWith({
      plugin: {
        podSpec: {
          containers: [
            { name: 'b', image: 'zeta:1' },
            { name: 'a', image: 'alpha:1' },
            { name: 'c', image: 'zeta:1' },
          ],
        },
      },
    });
    const init = podOf(renderJob(job, config)).initContainers ?? [];
    expect(init.map((c) => [c.name, c.image])).toEqual([
      ['copy-agent', 'buildkite/agent:latest'],
      ['imagecheck-0', 'zeta:1'],
      ['imagecheck-1', 'alpha:1'],
    ]);
    expect(init[1]).toEqual({
      name: 'imagecheck-0',
      image: 'zeta:1',
      command: ['/workspace/tini-static'],
      args: ['--version'],
      resources: { limits: { cpu: '200m', memory: '128Mi' }, requests: { cpu: '100m', memory: '64Mi' } },
      volumeMounts: [{ name: 'workspace', mountPath: '/workspace' }],
      imagePullPolicy: 'Always',
    });
  });

  it('falls back to the default limits when the configured ones are not quantities', () => {
    const job = jobWith({ plugin: { podSpec: { containers: [{ image: 'alpine:3' }] } } });
    const init = podOf(
      renderJob(job, zeroConfig({ 'image-check-container-cpu-limit': 'lots' })),
    ).initContainers;
    expect(init?.[1]?.resources?.limits).toEqual({ cpu: '200m', memory: '128Mi' });
  });

  it('skips the check when a user init container already pulls the image as strongly', () => {
    const job = jobWith({
      plugin: {
        podSpec: {
          initContainers: [{ name: 'warm', image: 'alpine:3', imagePullPolicy: 'Always' }],
          containers: [{ image: 'alpine:3' }],
        },
      },
    });
    const names = (podOf(renderJob(job, config)).initContainers ?? []).map((c) => c.name);
    expect(names).toEqual(['copy-agent', 'warm']);
  });

  it('keeps the check when the init container sets no pull policy', () => {
    const job = jobWith({
      plugin: {
        podSpec: {
          initContainers: [{ name: 'warm', image: 'alpine:3' }],
          containers: [{ image: 'alpine:3' }],
        },
      },
    });
    const names = (podOf(renderJob(job, config)).initContainers ?? []).map((c) => c.name);
    expect(names).toEqual(['copy-agent', 'imagecheck-0', 'warm']);
  });

  it('adds no checks with skip-image-check-containers', () => {
    const job = jobWith({ plugin: { podSpec: { containers: [{ image: 'alpine:3' }] } } });
    const names = (
      podOf(renderJob(job, zeroConfig({ 'skip-image-check-containers': true }))).initContainers ?? []
    ).map((c) => c.name);
    expect(names).toEqual(['copy-agent']);
  });

  it('checks the step image: attribute (upstream never checked it)', () => {
    const job = jobWith({ env: { BUILDKITE_IMAGE: 'node:22-alpine' } });
    const pod = podOf(renderJob(job, config));
    expect(pod.initContainers?.map((c) => [c.name, c.image])).toEqual([
      ['copy-agent', 'buildkite/agent:latest'],
      ['imagecheck-0', 'node:22-alpine'],
    ]);
    expect(pod.containers[0]?.image).toBe('node:22-alpine');
    expect(pod.containers[0]?.imagePullPolicy).toBe('IfNotPresent');
  });

  it('fails on an invalid step image: attribute (upstream let Kubernetes fail the pod)', () => {
    const job = jobWith({ env: { BUILDKITE_IMAGE: 'Node:22' } });
    expect(renderJob(job, config)).toEqual({
      ok: false,
      message:
        'agent-stack-k8s failed to build a podSpec for the job: repository name must be lowercase "Node:22" for container "container-0"',
    });
  });

  it('TestInvalidImageRefFormat: one bad image', () => {
    const job = jobWith({
      plugin: { podSpec: { containers: [{ image: 'buildkite/agent:latest plus some extra junk' }] } },
    });
    expect(renderJob(job, config)).toEqual({
      ok: false,
      message:
        'agent-stack-k8s failed to build a podSpec for the job: invalid reference format "buildkite/agent:latest plus some extra junk" for container "container-0"',
    });
  });

  it('an empty image in podSpec fails even with an image: attribute absent', () => {
    const job = jobWith({ plugin: { podSpec: { containers: [{ name: 'main' }] } } });
    expect(renderJob(job, config)).toEqual({
      ok: false,
      message:
        'agent-stack-k8s failed to build a podSpec for the job: repository name must have at least one component "" for container "main"',
    });
  });

  it('several bad images are reported in one table sorted by container', () => {
    const job = jobWith({
      plugin: {
        podSpec: {
          containers: [
            { name: 'zed', image: 'UPPER' },
            { name: 'abe', image: 'a b' },
          ],
        },
        sidecars: [{ name: 'side', image: '' }],
      },
    });
    const result = renderJob(job, config);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toMatch(
      /^agent-stack-k8s failed to build a podSpec for the job: invalid image references\n\n╭/,
    );
    const rowsInOrder = result.message.split('\n').filter((l) => l.startsWith('│ "'));
    expect(rowsInOrder.map((l) => /"([^"]*)"/.exec(l)?.[1])).toEqual(['abe', 'side', 'zed']);
  });
});
