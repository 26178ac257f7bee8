/** Properties of the builder over generated jobs: total, deterministic, and valid for well-formed input. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderJob, type BuildResult } from './build.js';
import { assemble, defaultConfig, jobWith } from '../../test/podspec/support.js';
import { validateJob } from './validate.js';

const config = defaultConfig();
const PREFIXES = [
  'agent-stack-k8s failed to parse the job: ',
  'agent-stack-k8s failed to build a podSpec for the job: ',
  'Error fetching podTemplate ',
];

function expectOutcome(result: BuildResult): void {
  if (result.ok) {
    expect(result.job.kind).toBe('Job');
    expect(validateJob(result.job)).toEqual([]);
  } else {
    expect(PREFIXES.some((p) => result.message.startsWith(p))).toBe(true);
  }
}

// Plugin-shaped values whose leaves are arbitrary JSON, so decoding meets every kind of wrong type.
const anyJson = fc.jsonValue({ maxDepth: 3 });
const looseContainer = fc.dictionary(
  fc.constantFrom(
    'name',
    'image',
    'command',
    'args',
    'env',
    'envFrom',
    'volumeMounts',
    'imagePullPolicy',
    'workingDir',
  ),
  anyJson,
);
const loosePlugin = fc.dictionary(
  fc.constantFrom(
    'podSpec',
    'podSpecPatch',
    'podTemplate',
    'sidecars',
    'gitEnvFrom',
    'metadata',
    'extraVolumeMounts',
    'checkout',
    'commandParams',
    'sidecarParams',
    'jobActiveDeadlineSeconds',
    'PODSPEC',
  ),
  fc.oneof(anyJson, fc.record({ containers: fc.array(looseContainer, { maxLength: 3 }) })),
);

describe('builder properties', () => {
  it('never throws on arbitrary BUILDKITE_PLUGINS text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        expectOutcome(renderJob(jobWith({ env: { BUILDKITE_PLUGINS: text } }), config));
      }),
    );
  });

  it('never throws on arbitrary plugin-shaped JSON, and fails only with a Buildkite message', () => {
    fc.assert(
      fc.property(fc.oneof(anyJson, loosePlugin), (plugin) => {
        expectOutcome(renderJob(jobWith({ plugin }), config));
      }),
      { numRuns: 300 },
    );
  });

  it('is deterministic: the same job renders to the same bytes', () => {
    fc.assert(
      fc.property(
        loosePlugin,
        fc.array(fc.stringMatching(/^[a-z_]{1,8}=[a-z0-9]{0,8}$/), { maxLength: 5 }),
        (plugin, rules) => {
          const job = jobWith({ plugin, agentQueryRules: rules });
          expect(JSON.stringify(renderJob(job, config))).toBe(JSON.stringify(renderJob(job, config)));
        },
      ),
      { numRuns: 100 },
    );
  });

  // Well-formed input: valid names and images, mounts of declared volumes.
  // Never a stack container name (agent, checkout) nor a sidecar's.
  const dnsName = fc
    .stringMatching(/^[a-z][a-z0-9]{0,10}$/)
    .filter((n) => n !== 'agent' && n !== 'checkout' && !n.startsWith('side'));
  const image = fc.constantFrom(
    'alpine:3',
    'golang:1.23.5',
    'busybox@sha256:' + 'a'.repeat(64),
    'node:22-alpine',
  );
  const volumeMount = fc.record({
    name: fc.constant('data'),
    mountPath: fc.stringMatching(/^\/[a-z]{1,6}$/),
  });
  const container = fc.record(
    {
      name: dnsName,
      image,
      command: fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }),
      args: fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }),
      env: fc.array(
        fc.record({ name: fc.stringMatching(/^[A-Z][A-Z_]{0,8}$/), value: fc.string({ maxLength: 8 }) }),
        { maxLength: 3 },
      ),
      volumeMounts: fc.array(volumeMount, { maxLength: 2 }),
      imagePullPolicy: fc.constantFrom('Always', 'IfNotPresent', 'Never'),
    },
    { requiredKeys: ['name', 'image'] },
  );
  const wellFormedPlugin = fc.record(
    {
      podSpec: fc.record({
        containers: fc.uniqueArray(container, { maxLength: 3, selector: (c) => c.name }),
        volumes: fc.constant([{ name: 'data', emptyDir: {} }]),
      }),
      sidecars: fc.uniqueArray(fc.record({ name: fc.stringMatching(/^side[a-z]{0,4}$/), image }), {
        maxLength: 2,
        selector: (c) => c.name,
      }),
      extraVolumeMounts: fc.array(volumeMount, { maxLength: 2 }),
      checkout: fc.record(
        { skip: fc.boolean(), cloneFlags: fc.string({ maxLength: 8 }) },
        { requiredKeys: [] },
      ),
      commandParams: fc.record({ interposer: fc.constantFrom('', 'buildkite', 'vector', 'legacy') }),
      metadata: fc.record({ labels: fc.dictionary(dnsName, dnsName, { maxKeys: 2 }) }),
      jobActiveDeadlineSeconds: fc.integer({ min: 0, max: 10_000 }),
    },
    { requiredKeys: ['podSpec'] },
  );

  it('every Job assembled from well-formed input passes the API-server checks', () => {
    fc.assert(
      fc.property(wellFormedPlugin, (plugin) => {
        const result = assemble(
          jobWith({ plugin, command: 'echo hi', agentQueryRules: ['queue=q'] }),
          config,
        );
        if (!result.ok) throw new Error(result.message);
        expect(validateJob(result.job)).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});
