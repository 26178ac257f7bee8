/** Container construction details (podspec.md §2.3, §2.10, §2.12–§2.14) in built Jobs. */
import { describe, expect, it } from 'vitest';
import { renderJob } from './build.js';
import type { Container, Job, PodSpec } from './k8s.js';
import { assemble, jobWith, zeroConfig, defaultConfig } from '../../test/podspec/support.js';
import type { Config } from '../config/schema.js';
import type { BuildkiteJob } from './build.js';
import { assembleCase, type CatalogueName } from '../../test/podspec/catalogue.js';

function render(job: BuildkiteJob, config: Config = zeroConfig()): { job: Job; pod: PodSpec } {
  const result = assemble(job, config);
  if (!result.ok) throw new Error(result.message);
  const pod = result.job.spec?.template.spec;
  if (pod === undefined) throw new Error('no pod');
  return { job: result.job, pod };
}
function renderedCase(name: CatalogueName): { job: Job; pod: PodSpec } {
  const result = assembleCase(name);
  if (!result.ok) throw new Error(result.message);
  const pod = result.job.spec?.template.spec;
  if (pod === undefined) throw new Error('no pod');
  return { job: result.job, pod };
}
const find = (pod: PodSpec, name: string): Container => {
  const c = [...pod.containers, ...(pod.initContainers ?? [])].find((x) => x.name === name);
  if (c === undefined) throw new Error(`no ${name}`);
  return c;
};
const env = (c: Container) => (c.env ?? []).map((e) => `${e.name}=${e.value ?? '<from>'}`);
const mounts = (c: Container) => (c.volumeMounts ?? []).map((m) => `${m.name}@${m.mountPath}`);

describe('command containers', () => {
  it('env, names, working dir, sockets path and mount order follow upstream', () => {
    const { pod } = render(
      jobWith({
        command: 'step command',
        plugin: {
          podSpec: {
            containers: [
              {
                image: 'alpine:3',
                env: [{ name: 'MINE', value: '1' }],
                volumeMounts: [{ name: 'v', mountPath: '/v' }],
              },
              { name: 'named', image: 'alpine:3', workingDir: '/src', command: ['make'], args: ['a b'] },
            ],
            volumes: [{ name: 'v', emptyDir: {} }],
          },
          extraVolumeMounts: [{ name: 'x', mountPath: '/x' }],
          commandParams: { extraVolumeMounts: [{ name: 'c', mountPath: '/c' }], envFrom: [{ prefix: 'P_' }] },
        },
      }),
      zeroConfig({ 'default-command-params': { extraVolumeMounts: [{ name: 'd', mountPath: '/d' }] } }),
    );
    const first = find(pod, 'container-0');
    expect(env(first)).toEqual([
      'MINE=1',
      'BUILDKITE_BOOTSTRAP_PHASES=plugin,command',
      'BUILDKITE_COMMAND=step command',
      'BUILDKITE_CONTAINER_ID=1',
      'BUILDKITE_SOCKETS_PATH=/workspace/sockets/container-0',
    ]);
    expect(first.workingDir).toBe('/workspace');
    expect(mounts(first)).toEqual(['v@/v', 'd@/d', 'c@/c', 'workspace@/workspace', 'x@/x']);
    expect(first.envFrom).toEqual([{ prefix: 'P_' }]);
    const second = find(pod, 'named');
    expect(env(second)).toContain("BUILDKITE_COMMAND=make 'a b'");
    expect(env(second)).toContain('BUILDKITE_CONTAINER_ID=2');
    expect(second.workingDir).toBe('/src');
    expect(find(pod, 'agent').env?.find((e) => e.name === 'BUILDKITE_CONTAINER_COUNT')?.value).toBe('3');
  });

  it('args without a command are discarded', () => {
    const { pod } = render(
      jobWith({ command: 'x', plugin: { podSpec: { containers: [{ image: 'a:1', args: ['ignored'] }] } } }),
    );
    expect(find(pod, 'container-0').args).toEqual([
      '--',
      '/workspace/buildkite-agent',
      'kubernetes-bootstrap',
    ]);
    expect(env(find(pod, 'container-0'))).toContain('BUILDKITE_COMMAND=x');
  });

  it('default container-0 mounts the workspace first', () => {
    const { pod } = render(
      jobWith({
        plugin: {
          extraVolumeMounts: [{ name: 'x', mountPath: '/x' }],
          commandParams: { extraVolumeMounts: [{ name: 'c', mountPath: '/c' }] },
        },
      }),
    );
    expect(mounts(find(pod, 'container-0'))).toEqual(['workspace@/workspace', 'x@/x', 'c@/c']);
    expect(mounts(find(pod, 'agent'))).toEqual(['workspace@/workspace', 'x@/x']);
    expect(mounts(find(pod, 'checkout'))).toEqual(['workspace@/workspace', 'x@/x']);
  });

  it('mounts are deduplicated by path, first wins, everywhere', () => {
    const { pod } = render(
      jobWith({
        plugin: {
          podSpec: {
            containers: [{ image: 'a:1', volumeMounts: [{ name: 'mine', mountPath: '/workspace' }] }],
          },
          extraVolumeMounts: [
            { name: 'one', mountPath: '/same' },
            { name: 'two', mountPath: '/same' },
          ],
        },
      }),
    );
    expect(mounts(find(pod, 'container-0'))).toEqual(['mine@/workspace', 'one@/same']);
    expect(mounts(find(pod, 'agent'))).toEqual(['workspace@/workspace', 'one@/same']);
  });

  it('containers do not share mount lists (upstream slice aliasing)', () => {
    const { pod } = render(jobWith({ plugin: { extraVolumeMounts: [{ name: 'x', mountPath: '/x' }] } }));
    const lists = pod.containers.map((c) => c.volumeMounts);
    expect(new Set(lists).size).toBe(lists.length);
  });
});

describe('sidecars', () => {
  it('become native sidecars after user init containers, with params, mounts and annotations', () => {
    const { pod, job } = render(
      jobWith({
        plugin: {
          podSpec: {
            initContainers: [{ name: 'init', image: 'alpine:3' }],
            containers: [{ image: 'curl:1' }],
          },
          sidecars: [
            { image: 'nginx:latest', restartPolicy: 'OnFailure' },
            { name: 'db', image: 'postgres:16' },
          ],
          sidecarParams: { envFrom: [{ prefix: 'S_' }], extraVolumeMounts: [{ name: 's', mountPath: '/s' }] },
          gitEnvFrom: [{ secretRef: { name: 'git' } }],
          extraVolumeMounts: [{ name: 'x', mountPath: '/x' }],
        },
      }),
      zeroConfig({ 'default-sidecar-params': { extraVolumeMounts: [{ name: 'd', mountPath: '/d' }] } }),
    );
    expect(pod.initContainers?.map((c) => c.name)).toEqual([
      'copy-agent',
      'imagecheck-0',
      'init',
      'sidecar-0',
      'db',
    ]);
    const sidecar = find(pod, 'sidecar-0');
    expect(sidecar.restartPolicy).toBe('Always');
    expect(sidecar.command).toBeUndefined();
    expect(sidecar.env).toBeUndefined();
    expect(mounts(sidecar)).toEqual(['d@/d', 'workspace@/workspace', 'x@/x', 's@/s']);
    expect(sidecar.envFrom).toEqual([{ prefix: 'S_' }, { secretRef: { name: 'git' } }]);
    expect(job.metadata?.annotations?.['buildkite.com/sidecar-0']).toBe('sidecar-0');
    expect(job.spec?.template.metadata?.annotations?.['buildkite.com/sidecar-1']).toBe('db');
    // Sidecars are not managed containers: the agent waits for container-0 and checkout only.
    expect(find(pod, 'agent').env?.find((e) => e.name === 'BUILDKITE_CONTAINER_COUNT')?.value).toBe('2');
  });
});

describe('non-root pods', () => {
  it('copy-agent chowns the workspace and checkout creates the user (uid and gid)', () => {
    const { pod } = render(
      jobWith({
        plugin: {
          podSpec: { securityContext: { runAsUser: 1000, runAsGroup: 1001 }, containers: [{ image: 'a:1' }] },
        },
      }),
    );
    const copy = find(pod, 'copy-agent');
    expect(copy.args?.[1]?.startsWith('chown -R 1000:1001 /workspace\n\nmkdir')).toBe(true);
    expect(copy.securityContext).toEqual({ runAsGroup: 0, runAsNonRoot: false, runAsUser: 0 });
    const checkout = find(pod, 'checkout');
    expect(checkout.securityContext).toEqual({ runAsGroup: 0, runAsNonRoot: false, runAsUser: 0 });
    expect(checkout.args?.[0]).toBe(
      'set -exuf\n' +
        '# Portable user/group creation\n' +
        'if command -v adduser >/dev/null 2>&1 && adduser --help 2>&1 | grep -q BusyBox; then\n' +
        '    addgroup -g 1001 buildkite-agent 2>/dev/null || true\n' +
        '    adduser -D -u 1000 -G buildkite-agent -h /workspace buildkite-agent\n' +
        'elif command -v useradd >/dev/null 2>&1; then\n' +
        '    groupadd -g 1001 buildkite-agent 2>/dev/null || true\n' +
        '    useradd -M -u 1000 -g buildkite-agent -d /workspace -s /bin/sh buildkite-agent\n' +
        'else\n' +
        '    echo "Error: No supported user creation tool found" >&2\n' +
        '    exit 1\n' +
        'fi\n' +
        '\n' +
        'su buildkite-agent -c "true && buildkite-agent-entrypoint kubernetes-bootstrap"',
    );
    expect(find(pod, 'container-0').securityContext).toBeUndefined();
  });

  it('uid only: group root, no group creation', () => {
    const { pod } = render(
      jobWith({
        plugin: { podSpec: { securityContext: { runAsUser: 1000 }, containers: [{ image: 'a:1' }] } },
      }),
    );
    expect(find(pod, 'copy-agent').args?.[1]?.startsWith('chown -R 1000 /workspace\n')).toBe(true);
    const script = find(pod, 'checkout').args?.[0] ?? '';
    expect(script).toContain('adduser -D -u 1000 -G root -h /workspace buildkite-agent');
    expect(script).toContain('useradd -M -u 1000 -g root -d /workspace -s /bin/sh buildkite-agent');
    expect(script).not.toContain('addgroup');
    expect(script).not.toContain('groupadd');
  });

  it('group only: root user, nothing changes', () => {
    const { pod } = render(
      jobWith({
        plugin: { podSpec: { securityContext: { runAsGroup: 5 }, containers: [{ image: 'a:1' }] } },
      }),
    );
    expect(find(pod, 'copy-agent').securityContext).toBeUndefined();
    expect(find(pod, 'checkout').securityContext).toBeUndefined();
  });
});

describe('checkout params', () => {
  it('git flags land on the agent; plugin replaces default; mirrors volume and mount on checkout', () => {
    const { pod } = render(
      jobWith({
        plugin: {
          checkout: {
            cloneFlags: '--plugin',
            submoduleCloneConfig: ['a=b', 'c=d'],
            gitMirrors: {
              volume: { name: 'mirrors', hostPath: { path: '/m' } },
              lockTimeout: 30,
              skipUpdate: true,
            },
          },
        },
      }),
      zeroConfig({
        'default-checkout-params': { cloneFlags: '--default', fetchFlags: '-v', noSubmodules: true },
      }),
    );
    const agentEnv = env(find(pod, 'agent'));
    expect(agentEnv.slice(-7)).toEqual([
      'BUILDKITE_GIT_CLONE_FLAGS=--plugin',
      'BUILDKITE_GIT_FETCH_FLAGS=-v',
      'BUILDKITE_NO_GIT_SUBMODULES=true',
      'BUILDKITE_GIT_SUBMODULE_CLONE_CONFIG=a=b,c=d',
      'BUILDKITE_GIT_MIRRORS_PATH=/buildkite/git-mirrors',
      'BUILDKITE_GIT_MIRRORS_LOCK_TIMEOUT=30',
      'BUILDKITE_GIT_MIRRORS_SKIP_UPDATE=true',
    ]);
    expect(mounts(find(pod, 'checkout'))).toEqual(['workspace@/workspace', 'mirrors@/buildkite/git-mirrors']);
    expect(pod.volumes?.map((v) => v.name)).toEqual(['workspace', 'mirrors']);
  });

  it('mirrors path without a volume: env only (TestExtraVolumeMounts fixture)', () => {
    const { pod } = render(
      jobWith({ plugin: { checkout: { gitMirrors: { path: '/tmp/buildkite-git-mirrors' } } } }),
    );
    expect(env(find(pod, 'agent'))).toContain('BUILDKITE_GIT_MIRRORS_PATH=/tmp/buildkite-git-mirrors');
    expect(mounts(find(pod, 'checkout'))).toEqual(['workspace@/workspace']);
  });

  it('skip: no checkout volumes, but the flag env still reaches the agent', () => {
    const { pod } = render(
      jobWith({
        plugin: { checkout: { skip: true, cloneFlags: '-q', gitCredentialsSecret: { secretName: 's' } } },
      }),
    );
    expect(pod.volumes?.map((v) => v.name)).toEqual(['workspace']);
    expect(env(find(pod, 'agent'))).toContain('BUILDKITE_GIT_CLONE_FLAGS=-q');
  });

  it('default skip can be overridden by the plugin', () => {
    const config = zeroConfig({ 'default-checkout-params': { skip: true } });
    expect(render(jobWith(), config).pod.containers.map((c) => c.name)).toEqual(['container-0', 'agent']);
    const withCheckout = render(jobWith({ plugin: { checkout: { skip: false } } }), config);
    expect(withCheckout.pod.containers.map((c) => c.name)).toEqual(['container-0', 'agent', 'checkout']);
  });
});

describe('job wrapper, labels and annotations', () => {
  it('uses config prefix, ttl, deadline; plugin deadline overrides when positive', () => {
    const config = defaultConfig({
      'job-prefix': 'bk-',
      'job-ttl': 90_500,
      'job-active-deadline-seconds': 100,
    });
    const plain = render(jobWith({ id: 'u1' }), config).job;
    expect(plain.metadata?.name).toBe('bk-u1');
    expect(plain.spec?.ttlSecondsAfterFinished).toBe(90);
    expect(plain.spec?.activeDeadlineSeconds).toBe(100);
    expect(plain.spec?.backoffLimit).toBe(0);
    expect(
      render(jobWith({ plugin: { jobActiveDeadlineSeconds: 60 } }), config).job.spec?.activeDeadlineSeconds,
    ).toBe(60);
    expect(
      render(jobWith({ plugin: { jobActiveDeadlineSeconds: -1 } }), config).job.spec?.activeDeadlineSeconds,
    ).toBe(100);
  });

  it('metadata precedence: defaults < plugin < system keys; invalid tag labels skipped', () => {
    const { job } = render(
      jobWith({
        id: 'u1',
        priority: 7,
        agentQueryRules: ['queue=q', 'bad key=x', 'long=' + 'v'.repeat(64), 'noequals', 'os=linux'],
        env: { BUILDKITE_BUILD_URL: 'https://buildkite.com/o/p/builds/1#old', BUILDKITE_BRANCH: 'main' },
        plugin: { metadata: { labels: { team: 'plugin', 'buildkite.com/job-uuid': 'forged' } } },
      }),
      zeroConfig({ id: 'ctl', 'default-metadata': { labels: { team: 'default', env: 'ci' } } }),
    );
    expect(job.metadata?.labels).toEqual({
      'buildkite.com/controller-id': 'ctl',
      'buildkite.com/job-uuid': 'u1',
      env: 'ci',
      'tag.buildkite.com/os': 'linux',
      'tag.buildkite.com/queue': 'q',
      team: 'plugin',
    });
    expect(job.metadata?.annotations?.['buildkite.com/job-url']).toBe(
      'https://buildkite.com/o/p/builds/1#u1',
    );
    expect(job.metadata?.annotations?.['buildkite.com/job-priority']).toBe('7');
    expect(job.metadata?.annotations?.['buildkite.com/build-branch']).toBe('main');
    expect(job.spec?.template.metadata).toEqual({
      labels: job.metadata?.labels,
      annotations: job.metadata?.annotations,
    });
  });

  it('BUILDKITE_AGENT_TAGS: stack version first, then the job tags in rule order', () => {
    const { pod } = render(jobWith({ agentQueryRules: ['queue=q', 'b=2', 'a=1', 'b=3'] }));
    const tags = find(pod, 'agent').env?.find((e) => e.name === 'BUILDKITE_AGENT_TAGS')?.value;
    expect(tags).toMatch(/^k8s:agent-stack-version=[^,]+,queue=q,b=3,a=1$/);
  });

  it('grace periods follow the base spec value (pre-patch), with the config default otherwise', () => {
    const own = render(
      jobWith({ plugin: { podSpec: { terminationGracePeriodSeconds: 5, containers: [{ image: 'a:1' }] } } }),
    );
    expect(own.pod.terminationGracePeriodSeconds).toBe(5);
    const agentEnv = env(find(own.pod, 'agent'));
    expect(agentEnv).toContain('BUILDKITE_CANCEL_GRACE_PERIOD=5');
    expect(agentEnv).toContain('BUILDKITE_SIGNAL_GRACE_PERIOD_SECONDS=0');
    const zero = render(jobWith());
    expect(env(find(zero.pod, 'agent'))).toContain('BUILDKITE_CANCEL_GRACE_PERIOD=1');
    const patchedGrace = render(
      jobWith({ plugin: { podSpecPatch: { terminationGracePeriodSeconds: 120 } } }),
      defaultConfig(),
    );
    expect(patchedGrace.pod.terminationGracePeriodSeconds).toBe(120);
    expect(env(find(patchedGrace.pod, 'agent'))).toContain('BUILDKITE_CANCEL_GRACE_PERIOD=60');
  });

  it('additional-redacted-vars are appended', () => {
    const { pod } = render(
      jobWith(),
      zeroConfig({ 'additional-redacted-vars': ['ELEVEN_HERBS_AND_SPICES'] }),
    );
    expect(env(find(pod, 'agent'))).toContain(
      'BUILDKITE_REDACTED_VARS=*_PASSWORD,*_SECRET,*_TOKEN,*_PRIVATE_KEY,*_SSH_KEY,*_ACCESS_KEY,*_SECRET_KEY,*_CONNECTION_STRING,*_API_KEY,ELEVEN_HERBS_AND_SPICES',
    );
  });

  it('workspace-volume replaces the default and names every workspace mount', () => {
    const { pod } = render(jobWith(), zeroConfig({ 'workspace-volume': { name: 'ws', ephemeral: {} } }));
    expect(pod.volumes).toEqual([{ name: 'ws', ephemeral: {} }]);
    for (const c of [...pod.containers, ...(pod.initContainers ?? [])])
      expect(mounts(c)).toContain('ws@/workspace');
  });
});

describe('pod templates', () => {
  it('a template spec is the base when podSpec is absent', () => {
    const job = jobWith({ plugin: { podTemplate: 'tpl' } });
    const result = renderJob(job, zeroConfig(), {
      ok: true,
      spec: {
        containers: [
          { name: 'templated', image: 'alpine:3', env: [{ name: 'TEST_POD_TEMPLATE', value: 'kunanyi' }] },
        ],
        terminationGracePeriodSeconds: 30,
      },
    });
    if (!result.ok) throw new Error(result.message);
    const pod = result.job.spec?.template.spec;
    expect(pod?.containers.map((c) => c.name)).toEqual(['templated', 'agent', 'checkout']);
    expect(pod?.terminationGracePeriodSeconds).toBe(30);
  });

  it('podSpec wins over podTemplate and no lookup is needed', () => {
    const job = jobWith({ plugin: { podTemplate: 'tpl', podSpec: { containers: [{ image: 'a:1' }] } } });
    const result = renderJob(job, zeroConfig());
    expect(
      result.ok && result.job.metadata?.annotations?.['buildkite.com/pod-template-name'],
    ).toBeUndefined();
  });

  it('a failed lookup fails the job with upstream text (no prefix)', () => {
    const job = jobWith({ plugin: { podTemplate: 'tpl' } });
    expect(renderJob(job, zeroConfig(), { ok: false, error: 'podtemplates "tpl" is forbidden' })).toEqual({
      ok: false,
      message: 'Error fetching podTemplate "tpl": podtemplates "tpl" is forbidden',
    });
    expect(renderJob(job, zeroConfig())).toEqual({
      ok: false,
      message: 'Error fetching podTemplate "tpl": podtemplates "tpl" not found',
    });
  });

  it('does not modify the template it was given', () => {
    const spec: PodSpec = { containers: [{ name: 't', image: 'alpine:3' }] };
    const before = structuredClone(spec);
    renderJob(jobWith({ plugin: { podTemplate: 'tpl' } }), zeroConfig(), { ok: true, spec });
    expect(spec).toEqual(before);
  });
});

describe('omitted empty lists', () => {
  it('no container carries an empty envFrom, env or volumeMounts list', () => {
    const { pod } = render(
      jobWith({
        plugin: { sidecars: [{ image: 'nginx:1' }], podSpec: { containers: [{ image: 'a:1', env: [] }] } },
      }),
    );
    for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
      for (const list of [c.envFrom, c.env, c.volumeMounts]) expect(list?.length).not.toBe(0);
    }
  });
});

describe('integration fixtures (podspec.md §5), as rendered', () => {
  it('interposer-buildkite.yaml: command lines become one script, in order', () => {
    const { pod } = renderedCase('interposer-buildkite.yaml');
    expect(env(find(pod, 'container-0'))).toContain(
      'BUILDKITE_COMMAND=set -euo pipefail\necho Hello World!\necho Goodbye World!',
    );
  });

  it('chown.yaml: the vector interposer quotes every word', () => {
    const { pod } = renderedCase('chown.yaml');
    expect(pod.containers.map((c) => c.env?.find((e) => e.name === 'BUILDKITE_COMMAND')?.value)).toEqual([
      'pwd',
      'ls -halt',
      "sh -c 'echo '\\''some contents'\\'' > some-file'",
      undefined,
      undefined,
    ]);
  });

  it('container-start-timeout.yaml: a patch may set agent env (only command/args are guarded)', () => {
    const { pod } = renderedCase('container-start-timeout.yaml');
    expect(env(find(pod, 'agent')).filter((e) => e.startsWith('BUILDKITE_CONTAINER_COUNT='))).toEqual([
      'BUILDKITE_CONTAINER_COUNT=999',
    ]);
  });

  it('a patch that deletes a container the agent waits for fails the job instead of hanging it', () => {
    const twoCommands = { podSpec: { containers: [{ image: 'a:1' }, { image: 'b:1' }] } };
    const deleting = (name: string) => ({ containers: [{ name, $patch: 'delete' }] }) as unknown as PodSpec;
    expect(
      assemble(jobWith({ plugin: { ...twoCommands, podSpecPatch: deleting('container-1') } }), zeroConfig()),
    ).toMatchObject({
      ok: false,
      message: expect.stringMatching(
        /failed to apply podSpec patch from k8s plugin: it deletes container "container-1", which the job cannot run without/,
      ) as unknown,
    });
    const config = { ...zeroConfig(), 'pod-spec-patch': deleting('checkout') };
    expect(assemble(jobWith({ plugin: twoCommands }), config)).toMatchObject({
      ok: false,
      message: expect.stringContaining('from controller: it deletes container "checkout"') as unknown,
    });
    expect(assemble(jobWith({ plugin: { podSpecPatch: deleting('agent') } }), zeroConfig())).toMatchObject({
      ok: false,
      message: expect.stringContaining(
        'it deletes container "agent", which the job cannot run without',
      ) as unknown,
    });
  });

  it('never-pull.yaml: the image check uses the container policy Never', () => {
    const { pod } = renderedCase('never-pull.yaml');
    expect(find(pod, 'imagecheck-0').imagePullPolicy).toBe('Never');
    expect(find(pod, 'container-0').imagePullPolicy).toBe('Never');
  });

  it('skip-checkout.yaml: empty podSpec and skip gives container-0 and agent only', () => {
    const { pod } = renderedCase('skip-checkout.yaml');
    expect(pod.containers.map((c) => c.name)).toEqual(['container-0', 'agent']);
    expect(env(find(pod, 'container-0'))).toContain('BUILDKITE_COMMAND=echo hello-skip-checkout');
  });
});

describe('user objects as upstream Go structs hold them', () => {
  it('omitempty zero values are dropped, pointer zero values kept', () => {
    const { pod } = render(
      jobWith({
        plugin: {
          podSpec: {
            hostNetwork: false,
            automountServiceAccountToken: false,
            containers: [{ image: 'a:1', env: [{ name: 'EMPTY', value: '' }], ports: [], stdin: false }],
          },
          sidecars: [{ image: 'b:1', tty: false, securityContext: { privileged: false } }],
        },
      }),
    );
    expect(pod.hostNetwork).toBeUndefined();
    expect(pod.automountServiceAccountToken).toBe(false);
    const c0 = find(pod, 'container-0');
    expect(c0.env?.[0]).toEqual({ name: 'EMPTY' });
    expect(c0.ports).toBeUndefined();
    expect(c0.stdin).toBeUndefined();
    const sidecar = find(pod, 'sidecar-0');
    expect(sidecar.tty).toBeUndefined();
    expect(sidecar.securityContext).toEqual({ privileged: false });
  });
});
