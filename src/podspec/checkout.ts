/**
 * The `checkout` container and the checkout params (upstream config/checkout_params.go and
 * createCheckoutContainer): git flags become agent env, k8s pieces go on the checkout container.
 */
import type { Container, EnvFromSource, SecretVolumeSource, Volume, VolumeMount } from './k8s.js';
import type { CheckoutParams } from './k8s.js';
import { setEnv, setEnvBool, setEnvIfDefined, setEnvList } from './env.js';

const DEFAULT_MIRRORS_PATH = '/buildkite/git-mirrors';

/** Git env on the agent container (set semantics, so the plugin's values replace the defaults'). */
export function applyCheckoutEnv(params: CheckoutParams | undefined, agent: Container): void {
  if (params === undefined) return;
  setEnvIfDefined(agent, 'BUILDKITE_GIT_CHECKOUT_FLAGS', params.checkoutFlags);
  setEnvIfDefined(agent, 'BUILDKITE_GIT_CLEAN_FLAGS', params.cleanFlags);
  setEnvIfDefined(agent, 'BUILDKITE_GIT_CLONE_FLAGS', params.cloneFlags);
  setEnvIfDefined(agent, 'BUILDKITE_GIT_FETCH_FLAGS', params.fetchFlags);
  setEnvBool(agent, 'BUILDKITE_NO_GIT_SUBMODULES', params.noSubmodules);
  setEnvList(agent, 'BUILDKITE_GIT_SUBMODULE_CLONE_CONFIG', params.submoduleCloneConfig);
  const mirrors = params.gitMirrors;
  if (mirrors === undefined) return;
  const path = mirrors.path ?? (mirrors.volume ? DEFAULT_MIRRORS_PATH : undefined);
  setEnvIfDefined(agent, 'BUILDKITE_GIT_MIRRORS_PATH', path);
  setEnvIfDefined(agent, 'BUILDKITE_GIT_CLONE_MIRROR_FLAGS', mirrors.cloneFlags);
  if ((mirrors.lockTimeout ?? 0) > 0)
    setEnv(agent, 'BUILDKITE_GIT_MIRRORS_LOCK_TIMEOUT', String(mirrors.lockTimeout));
  setEnvBool(agent, 'BUILDKITE_GIT_MIRRORS_SKIP_UPDATE', mirrors.skipUpdate);
}

export interface CheckoutContainerOptions {
  readonly image: string;
  readonly imagePullPolicy: string;
  /** Workspace mount then the plugin's extraVolumeMounts. */
  readonly sharedMounts: readonly VolumeMount[];
  /** Hooks, additional hooks and plugins mounts from agent-config. */
  readonly agentConfigMounts: readonly VolumeMount[];
  readonly defaults: CheckoutParams | undefined;
  readonly plugin: CheckoutParams | undefined;
  readonly gitEnvFrom: readonly EnvFromSource[];
  readonly runAsUser: number;
  readonly runAsGroup: number;
}

export interface CheckoutContainer {
  readonly container: Container;
  /** Pod volumes the checkout needs: git mirrors (default, then plugin), git credentials. */
  readonly volumes: Volume[];
}

export function checkoutContainer(options: CheckoutContainerOptions): CheckoutContainer {
  const volumes: Volume[] = [];
  const mounts: VolumeMount[] = [...options.sharedMounts, ...options.agentConfigMounts];
  const envFrom: EnvFromSource[] = [];
  for (const params of [options.defaults, options.plugin]) {
    if (params === undefined) continue;
    const mirrors = params.gitMirrors;
    if (mirrors?.volume) {
      volumes.push(mirrors.volume);
      mounts.push({ name: mirrors.volume.name, mountPath: mirrors.path ?? DEFAULT_MIRRORS_PATH });
    }
    envFrom.push(...(params.envFrom ?? []));
    mounts.push(...(params.extraVolumeMounts ?? []));
  }
  envFrom.push(...options.gitEnvFrom);

  const secret: SecretVolumeSource | undefined =
    options.plugin?.gitCredentialsSecret ?? options.defaults?.gitCredentialsSecret;
  let gitConfig = 'true';
  if (secret !== undefined) {
    volumes.push(
      { name: 'git-credentials-ro', secret },
      { name: 'git-credentials', emptyDir: { medium: 'Memory' } },
    );
    mounts.push(
      { name: 'git-credentials-ro', mountPath: '/buildkite/git-credentials-ro' },
      { name: 'git-credentials', mountPath: '/buildkite/git-credentials' },
    );
    gitConfig =
      'cp /buildkite/git-credentials-ro/.git-credentials /buildkite/git-credentials && ' +
      "git config --global credential.helper 'store --file /buildkite/git-credentials/.git-credentials'";
  }

  const container: Container = {
    name: 'checkout',
    image: options.image,
    command: ['/bin/sh', '-c'],
    args: [checkoutScript(options.runAsUser, options.runAsGroup, gitConfig)],
    workingDir: '/workspace',
    ...(envFrom.length > 0 ? { envFrom } : {}),
    env: [
      { name: 'BUILDKITE_BOOTSTRAP_PHASES', value: 'plugin,checkout' },
      { name: 'BUILDKITE_CONTAINER_ID', value: '0' },
      { name: 'BUILDKITE_SOCKETS_PATH', value: '/workspace/sockets/checkout' },
    ],
    volumeMounts: mounts,
    imagePullPolicy: options.imagePullPolicy,
  };
  if (options.runAsUser !== 0) container.securityContext = ROOT_SECURITY_CONTEXT();
  return { container, volumes };
}

/** Root, so the copy-agent and checkout containers can chown the workspace and create the pod's user. */
export const ROOT_SECURITY_CONTEXT = () => ({ runAsGroup: 0, runAsNonRoot: false, runAsUser: 0 });

function checkoutScript(user: number, group: number, gitConfig: string): string {
  if (user === 0)
    return ['set -exuf', gitConfig, 'buildkite-agent-entrypoint kubernetes-bootstrap'].join('\n');
  const groupName = group !== 0 ? 'buildkite-agent' : 'root';
  return [
    'set -exuf',
    createUserScript(user, group, 'buildkite-agent', groupName),
    `su buildkite-agent -c "${gitConfig} && buildkite-agent-entrypoint kubernetes-bootstrap"`,
  ].join('\n');
}

/** Creates the pod's user (and group, unless it is root) with BusyBox or shadow-utils tools. */
export function createUserScript(uid: number, gid: number, user: string, group: string): string {
  const busyboxGroup = group === 'root' ? '' : `    addgroup -g ${gid} ${group} 2>/dev/null || true\n`;
  const shadowGroup = group === 'root' ? '' : `    groupadd -g ${gid} ${group} 2>/dev/null || true\n`;
  return (
    '# Portable user/group creation\n' +
    'if command -v adduser >/dev/null 2>&1 && adduser --help 2>&1 | grep -q BusyBox; then\n' +
    busyboxGroup +
    `    adduser -D -u ${uid} -G ${group} -h /workspace ${user}\n` +
    'elif command -v useradd >/dev/null 2>&1; then\n' +
    shadowGroup +
    `    useradd -M -u ${uid} -g ${group} -d /workspace -s /bin/sh ${user}\n` +
    'else\n' +
    '    echo "Error: No supported user creation tool found" >&2\n' +
    '    exit 1\n' +
    'fi\n'
  );
}
