/** TestPatchPodSpec and TestPatchPodSpec_ErrNoCommandModification (scheduler_test.go, §4.1), plus the guard. */
import { describe, expect, it } from 'vitest';
import type { PodSpec } from './k8s.js';
import { BOOTSTRAP_ARGS, BOOTSTRAP_COMMAND, patchPodSpec } from './patch.js';
import { renderCase } from '../../test/podspec/catalogue.js';

const options = { interposer: undefined, allowUnsafeCommandModification: false };

function patched(original: PodSpec, patch: PodSpec): PodSpec {
  const result = patchPodSpec(original, patch, options);
  if (!result.ok) throw new Error(result.error);
  return result.spec;
}

describe('TestPatchPodSpec', () => {
  it('patching in a new unmanaged container', () => {
    const original: PodSpec = {
      containers: [{ name: '', image: 'alpine:latest', command: ['echo hello world'] }],
    };
    expect(
      patched(original, { containers: [{ name: 'my-cool-container', image: 'debian:latest' }] }),
    ).toEqual({
      containers: [
        // Go's struct view of a patched container always carries its (empty) resources.
        { name: 'my-cool-container', image: 'debian:latest', resources: {} },
        { name: '', image: 'alpine:latest', command: ['echo hello world'] },
      ],
    });
  });

  it('patching a sidecar container', () => {
    const original: PodSpec = {
      containers: [{ name: 'sidecar-0', image: 'alpine:latest', command: ['echo hello world'] }],
    };
    expect(
      patched(original, { containers: [{ name: 'sidecar-0', command: ['echo goodbye world'] }] }),
    ).toEqual({
      containers: [
        { name: 'sidecar-0', image: 'alpine:latest', command: ['echo goodbye world'], resources: {} },
      ],
    });
  });

  it('patching command container commands and args should work', () => {
    const base = {
      name: 'my-cool-container',
      image: 'alpine:latest',
      command: [...BOOTSTRAP_COMMAND],
      args: [...BOOTSTRAP_ARGS],
    };
    const original: PodSpec = {
      containers: [{ ...base, env: [{ name: 'BUILDKITE_COMMAND', value: 'echo hello world' }] }],
    };
    const patch: PodSpec = {
      containers: [{ name: 'my-cool-container', command: ['this should'], args: ['work', 'as', 'expected'] }],
    };
    expect(patched(original, patch)).toEqual({
      containers: [
        {
          ...base,
          env: [{ name: 'BUILDKITE_COMMAND', value: 'this should work as expected' }],
          resources: {},
        },
      ],
    });
  });

  it('patching without overriding containers should preserve default container', () => {
    const original: PodSpec = {
      containers: [{ name: '', image: 'alpine:latest', command: ['echo hello world'] }],
    };
    const hostAliases = [{ ip: '127.0.0.1', hostnames: ['agent.buildkite.localhost'] }];
    expect(patched(original, { hostAliases } as PodSpec)).toEqual({ ...original, hostAliases });
  });

  it('can patch image', () => {
    const original: PodSpec = {
      containers: [{ name: 'container-0', image: 'alpine:a', command: ['echo hello world'] }],
    };
    expect(patched(original, { containers: [{ name: 'container-0', image: 'alpine:b' }] })).toEqual({
      containers: [{ name: 'container-0', image: 'alpine:b', command: ['echo hello world'], resources: {} }],
    });
  });

  it('uses the given interposer when converting a command container patch', () => {
    const original: PodSpec = {
      containers: [{ name: 'c', command: [...BOOTSTRAP_COMMAND], args: [...BOOTSTRAP_ARGS], env: [] }],
    };
    const result = patchPodSpec(
      original,
      { containers: [{ name: 'c', command: ['echo', 'a b'] }] },
      {
        interposer: 'vector',
        allowUnsafeCommandModification: true,
      },
    );
    expect(result.ok && result.spec.containers[0]?.env).toEqual([
      { name: 'BUILDKITE_COMMAND', value: "echo 'a b'" },
    ]);
  });

  it('does not modify its inputs', () => {
    const original: PodSpec = { containers: [{ name: 'a', image: 'x' }] };
    const patch: PodSpec = { containers: [{ name: 'a', image: 'y' }] };
    const before = structuredClone([original, patch]);
    patched(original, patch);
    expect([original, patch]).toEqual(before);
  });
});

describe('TestPatchPodSpec_ErrNoCommandModification', () => {
  const agent: PodSpec = {
    containers: [{ name: 'agent', image: 'alpine:latest', command: ['echo hello world'] }],
  };
  const checkout: PodSpec = {
    containers: [{ name: 'checkout', image: 'alpine:latest', command: ['echo hello world'] }],
  };
  const upper: PodSpec = {
    containers: [{ name: 'checkout', image: 'ALPINE:latest', command: ['echo hello world'] }],
  };
  const cases: [string, PodSpec, PodSpec][] = [
    ['agent command', agent, { containers: [{ name: 'agent', command: ["this shouldn't work"] }] }],
    ['agent args', agent, { containers: [{ name: 'agent', args: ['this', "shouldn't", 'work'] }] }],
    ['checkout command', checkout, { containers: [{ name: 'checkout', command: ["this shouldn't work"] }] }],
    ['checkout args', checkout, { containers: [{ name: 'checkout', args: ['this', "shouldn't", 'work'] }] }],
    [
      'uppercase image name should fail',
      upper,
      { containers: [{ name: 'checkout', args: ['this', "shouldn't", 'work'] }] },
    ],
  ];
  it.each(cases)('%s', (_name, original, patch) => {
    const result = patchPodSpec(original, patch, options);
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.error).toContain(
        'modifying container commands or args via podSpecPatch is not supported',
      );
  });

  it('the checkout message suggests a hook', () => {
    const result = patchPodSpec(checkout, { containers: [{ name: 'checkout', args: ['x'] }] }, options);
    expect(result).toEqual({
      ok: false,
      error:
        'for the checkout container, modifying container commands or args via podSpecPatch is not supported; instead consider configuring a checkout hook or skipping the checkout container entirely',
    });
  });

  it('copy-agent and imagecheck init containers are guarded; user init containers are not', () => {
    const original: PodSpec = {
      containers: [],
      initContainers: [
        { name: 'copy-agent', command: ['/bin/sh'] },
        { name: 'imagecheck-0', command: ['/workspace/tini-static'] },
        { name: 'mine', command: ['true'] },
      ],
    };
    expect(
      patchPodSpec(
        original,
        { containers: [], initContainers: [{ name: 'copy-agent', command: ['x'] }] },
        options,
      ),
    ).toEqual({
      ok: false,
      error:
        'for the copy-agent container, modifying container commands or args via podSpecPatch is not supported',
    });
    expect(
      patchPodSpec(
        original,
        { containers: [], initContainers: [{ name: 'imagecheck-0', args: ['x'] }] },
        options,
      ),
    ).toEqual({
      ok: false,
      error:
        'for the imagecheck-0 container, modifying container commands or args via podSpecPatch is not supported',
    });
    expect(
      patchPodSpec(
        original,
        { containers: [], initContainers: [{ name: 'mine', command: ['false'] }] },
        options,
      ).ok,
    ).toBe(true);
  });

  it('an identical command is not a modification', () => {
    const result = patchPodSpec(
      agent,
      { containers: [{ name: 'agent', command: ['echo hello world'], image: 'b' }] },
      options,
    );
    expect(result.ok).toBe(true);
  });

  it('allow-pod-spec-patch-unsafe-command-modification lifts the guard', () => {
    const result = patchPodSpec(
      agent,
      { containers: [{ name: 'agent', command: ['sh'] }] },
      {
        interposer: undefined,
        allowUnsafeCommandModification: true,
      },
    );
    expect(result.ok && result.spec.containers[0]?.command).toEqual(['sh']);
  });
});

describe('patches in a built Job', () => {
  it('TestPodSpecPatchRejectsPatchingAgentContainerCommand: failure message', () => {
    expect(renderCase('podspecpatch-agent.yaml')).toEqual({
      ok: false,
      message:
        'agent-stack-k8s failed to build a podSpec for the job: failed to apply podSpec patch from k8s plugin: for the agent container, modifying container commands or args via podSpecPatch is not supported',
    });
  });

  it('controller patch failures say so', () => {
    expect(renderCase('controller patch changing the checkout command')).toEqual({
      ok: false,
      message:
        'agent-stack-k8s failed to build a podSpec for the job: failed to apply podSpec patch from controller: for the checkout container, modifying container commands or args via podSpecPatch is not supported; instead consider configuring a checkout hook or skipping the checkout container entirely',
    });
  });

  it('TestPodSpecPatchAllowsPatchingCommandContainerCommands', () => {
    const result = renderCase('podspecpatch-command-step.yaml');
    if (!result.ok) throw new Error(result.message);
    const c = result.job.spec?.template.spec?.containers[0];
    expect(c?.command).toEqual([...BOOTSTRAP_COMMAND]);
    expect(c?.env?.filter((e) => e.name === 'BUILDKITE_COMMAND')).toEqual([
      { name: 'BUILDKITE_COMMAND', value: 'echo "i love quito"' },
    ]);
  });

  it('a patch that adds an init container puts it before copy-agent', () => {
    const result = renderCase('patch adding an init container');
    if (!result.ok) throw new Error(result.message);
    expect(result.job.spec?.template.spec?.initContainers?.map((c) => c.name)).toEqual([
      'early',
      'copy-agent',
    ]);
  });

  it('skip checkout removes a checkout container a patch adds', () => {
    const result = renderCase('patch adding a checkout container with skip');
    if (!result.ok) throw new Error(result.message);
    expect(result.job.spec?.template.spec?.containers.map((c) => c.name)).toEqual(['container-0', 'agent']);
  });

  it('TestPodSpecPatchWithoutContainers: host aliases only', () => {
    const hostAliases = [{ ip: '127.0.0.1', hostnames: ['agent.buildkite.localhost'] }];
    const result = renderCase('mountain.yaml without containers (TestPodSpecPatchWithoutContainers)');
    if (!result.ok) throw new Error(result.message);
    expect(result.job.spec?.template.spec?.hostAliases).toEqual(hostAliases);
    expect(result.job.spec?.template.spec?.containers).toHaveLength(3);
  });
});

describe('SMP directives in the plugin podSpecPatch', () => {
  it('$patch: delete removes an init container (upstream silently ignores the directive)', () => {
    const result = renderCase('patch deleting an init container');
    if (!result.ok) throw new Error(result.message);
    expect(result.job.spec?.template.spec?.initContainers?.map((c) => c.name)).toEqual([
      'copy-agent',
      'imagecheck-0',
    ]);
  });
});

describe('the patch as the Go struct upstream uses sees it', () => {
  it('zero values a Go struct cannot hold are not applied (hostNetwork: false, empty strings)', () => {
    const original: PodSpec = {
      hostNetwork: true,
      containers: [{ name: 'c', image: 'a', workingDir: '/src' }],
    };
    const patch: PodSpec = { hostNetwork: false, containers: [{ name: 'c', workingDir: '' }] };
    expect(patched(original, patch)).toEqual({
      hostNetwork: true,
      containers: [{ name: 'c', image: 'a', workingDir: '/src', resources: {} }],
    });
  });

  it('pointer fields can be set to false or 0', () => {
    const original: PodSpec = {
      automountServiceAccountToken: true,
      terminationGracePeriodSeconds: 60,
      containers: [],
    };
    const patch: PodSpec = {
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 0,
      containers: [],
    };
    expect(patched(original, patch)).toEqual({
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 0,
      containers: [],
    });
  });
});
