/**
 * A real Kubernetes control plane on 127.0.0.1 for the cluster test tier and benchmarks: etcd,
 * kube-apiserver, kube-controller-manager, kube-scheduler and KWOK (simulated nodes and pods), built by
 * `scripts/control-plane/build.sh` from Go modules. Every component gets random ports and its own
 * temporary directory; `stop()` (or a failed start) kills them all and removes the directory.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { Agent, request } from 'undici';
import { sleep } from '../../src/backoff.js';

const BUILD_SCRIPT_PATH = 'scripts/control-plane/build.sh';
/**
 * The repository, seen from this module's directory `from` (sim/cluster, or dist/sim/cluster when
 * benchmarks run compiled). Outside a checkout there is nothing to build or stage pods with: a setup bug.
 */
export function findRepoRoot(from: string): string {
  const candidates = [resolve(from, '../..'), resolve(from, '../../..')];
  const root = candidates.find((dir) => existsSync(join(dir, BUILD_SCRIPT_PATH)));
  if (root !== undefined) return root;
  throw new Error(
    `control plane: cannot find the repository root from ${from}: looked for ${BUILD_SCRIPT_PATH} in ${candidates.join(' and ')}`,
  );
}
const REPO_ROOT = findRepoRoot(import.meta.dirname);
const BUILD_SCRIPT = join(REPO_ROOT, BUILD_SCRIPT_PATH);
const STAGES_DIR = join(REPO_ROOT, 'sim/cluster');

/**
 * The controllers the scenarios rely on: Jobs make pods, finished Jobs expire, owners cascade, quota, and
 * every namespace gets the `default` ServiceAccount that admission requires of its pods.
 */
const CONTROLLERS = [
  'job-controller',
  'serviceaccount-controller',
  'garbage-collector-controller',
  'ttl-after-finished-controller',
  'pod-garbage-collector-controller',
  'resourcequota-controller',
  'namespace-controller',
];

// The components' default client budgets (20 and 50 QPS) would take minutes to create, bind and
// start the pods of thousands of Jobs (benchmarks); a test cluster has no one else to protect.
const UNLIMITED_QPS = ['--kube-api-qps=5000', '--kube-api-burst=10000'];

// KWOK plays pod stages with 4 workers by default, which holds thousands of pods Pending.
const KWOK_CONFIGURATION = `apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
options:
  podPlayStageParallelism: 32
  nodePlayStageParallelism: 4`;

/** The annotation-driven pod stages the cluster tier's PodLifecycle relies on. */
export const POD_STAGES = readFileSync(join(STAGES_DIR, 'pod-stages.yaml'), 'utf8');
const NODE_STAGES = readFileSync(join(STAGES_DIR, 'node-stages.yaml'), 'utf8');

/** Label that marks the nodes KWOK manages. */
export const KWOK_NODE_LABEL = 'kwok.agent-stack-k8s.test/node';

export interface ControlPlaneOptions {
  /** Directory with the five binaries; default: whatever the build script prints (building if needed). */
  readonly binDir?: string;
  /**
   * KWOK Stage documents (YAML) for pods; default `pod-stages.yaml` here (pods move only when annotated,
   * see {@link POD_STAGES}). Nodes always get `node-stages.yaml`: the kwok binary has no built-in stages.
   */
  readonly podStages?: string;
  /** Fake nodes to create (default 1; KWOK nodes take up to a million pods each). */
  readonly nodes?: number;
}

export interface ControlPlane {
  /** `https://127.0.0.1:<port>` */
  readonly url: string;
  /** Bearer token of a `system:masters` user. */
  readonly token: string;
  /** PEM of the API server's self-signed serving certificate (trusted by the kubeconfig). */
  readonly caCert: string;
  readonly kubeconfigPath: string;
  readonly kubeconfigYaml: string;
  readonly kubeConfig: KubeConfig;
  /** Working directory: logs of every component are `<dir>/<component>.log`. */
  readonly dir: string;
  /** Process ids of the components, by name. */
  readonly pids: Readonly<Record<string, number>>;
  stop(): Promise<void>;
}

/** Builds the binaries if needed (a cached build returns in a moment) and returns their directory. */
export async function controlPlaneBinDir(): Promise<string> {
  const { stdout } = await promisify(execFile)('bash', [BUILD_SCRIPT], {
    maxBuffer: 64 * 1024 * 1024,
    timeout: 90 * 60 * 1000,
  });
  const lines = stdout.trim().split('\n');
  const dir = lines[lines.length - 1];
  if (dir === undefined || dir === '') throw new Error('control-plane build printed no directory');
  return dir;
}

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const binDir = options.binDir ?? (await controlPlaneBinDir());
  const dir = mkdtempSync(join(tmpdir(), 'control-plane-'));
  const token = randomBytes(16).toString('hex');
  const processes: { name: string; child: ChildProcess }[] = [];
  const insecure = new Agent({ connect: { rejectUnauthorized: false } });

  // If this process ends without stop() (a crash, an uncaught error), the components must not outlive it.
  const killAll = (): void => {
    for (const { child } of processes) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killAll);
  const stop = async (): Promise<void> => {
    // Reverse order: KWOK and controllers first, etcd last. The exit hook stays until all are gone, so a
    // process that ends in the middle of this still kills the rest.
    for (const { child } of [...processes].reverse()) await terminate(child);
    process.off('exit', killAll);
    processes.length = 0;
    await insecure.close();
    rmSync(dir, { recursive: true, force: true });
  };

  const start = (name: string, args: readonly string[]): ChildProcess => {
    const log = openSync(join(dir, `${name}.log`), 'a');
    const child = spawn(join(binDir, name), args, { cwd: dir, stdio: ['ignore', log, log] });
    closeSync(log);
    child.on('error', () => undefined); // surfaces as "exited" in waitUntil
    processes.push({ name, child });
    return child;
  };

  try {
    const { etcdPort, etcdPeerPort, apiPort, kcmPort, schedulerPort, kwokPort } = await freePorts([
      'etcdPort',
      'etcdPeerPort',
      'apiPort',
      'kcmPort',
      'schedulerPort',
      'kwokPort',
    ] as const);
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const etcd = start('etcd', [
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-cluster=default=http://127.0.0.1:${etcdPeerPort}`,
      '--unsafe-no-fsync',
      '--log-level=warn',
    ]);
    await waitUntil(dir, 'etcd', etcd, async () => (await status(`${etcdUrl}/health`)) === 200);

    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(dir, 'tokens.csv'), `${token},admin,admin,"system:masters"\n`);
    const url = `https://127.0.0.1:${apiPort}`;
    const apiServer = start('kube-apiserver', [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--cert-dir=${join(dir, 'certs')}`,
      `--token-auth-file=${join(dir, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc',
      `--service-account-key-file=${join(dir, 'sa.key')}`,
      `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--allow-privileged=true',
      '--endpoint-reconciler-type=none',
    ]);
    const readyz = async (): Promise<boolean> =>
      (await status(`${url}/readyz`, { dispatcher: insecure, token })) === 200;
    await waitUntil(dir, 'kube-apiserver', apiServer, readyz);

    const caCert = readFileSync(join(dir, 'certs', 'apiserver.crt'), 'utf8');
    const kubeconfigYaml = kubeconfigOf(url, token, caCert);
    const kubeconfigPath = join(dir, 'kubeconfig');
    writeFileSync(kubeconfigPath, kubeconfigYaml);
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(kubeconfigYaml);

    const common = [
      `--kubeconfig=${kubeconfigPath}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--authentication-kubeconfig=${kubeconfigPath}`,
      `--authorization-kubeconfig=${kubeconfigPath}`,
      // The client CA lookup reads a ConfigMap the API server only writes when it has a client CA.
      '--authentication-skip-lookup',
    ];
    const kcm = start('kube-controller-manager', [
      ...common,
      `--secure-port=${kcmPort}`,
      `--controllers=${CONTROLLERS.join(',')}`,
      '--concurrent-job-syncs=20',
      ...UNLIMITED_QPS,
    ]);
    const scheduler = start('kube-scheduler', [
      ...common,
      `--secure-port=${schedulerPort}`,
      ...UNLIMITED_QPS,
    ]);
    const kwokArgs = [
      `--kubeconfig=${kubeconfigPath}`,
      `--manage-nodes-with-label-selector=${KWOK_NODE_LABEL}`,
      `--server-address=127.0.0.1:${kwokPort}`,
      '--node-ip=127.0.0.1',
      // KWOK hands out pod IPs without checking the range; a wide one keeps them valid for long runs.
      '--cidr=10.128.0.1/12',
      `--config=${join(dir, 'stages.yaml')}`,
    ];
    writeFileSync(
      join(dir, 'stages.yaml'),
      [KWOK_CONFIGURATION, NODE_STAGES, options.podStages ?? POD_STAGES].join('\n---\n'),
    );
    const kwok = start('kwok', kwokArgs);
    const healthy = (port: number) => async () =>
      (await status(`https://127.0.0.1:${port}/healthz`, { dispatcher: insecure })) === 200;
    await waitUntil(dir, 'kube-controller-manager', kcm, healthy(kcmPort));
    await waitUntil(dir, 'kube-scheduler', scheduler, healthy(schedulerPort));
    await waitUntil(
      dir,
      'kwok',
      kwok,
      async () => (await status(`http://127.0.0.1:${kwokPort}/healthz`)) === 200,
    );
    for (let i = 0; i < (options.nodes ?? 1); i++) await createNode(url, token, insecure, `kwok-node-${i}`);
    await waitUntil(dir, 'kwok', kwok, () => nodesReady(url, token, insecure, options.nodes ?? 1));
    for (let i = 0; i < (options.nodes ?? 1); i++) await untaintNode(url, token, insecure, `kwok-node-${i}`);
    const pids = Object.fromEntries(processes.map(({ name, child }) => [name, child.pid ?? 0]));
    return { url, token, caCert, kubeconfigPath, kubeconfigYaml, kubeConfig, dir, pids, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function kubeconfigOf(url: string, token: string, caCert: string): string {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'control-plane',
        cluster: { server: url, 'certificate-authority-data': Buffer.from(caCert).toString('base64') },
      },
    ],
    users: [{ name: 'admin', user: { token } }],
    contexts: [
      { name: 'control-plane', context: { cluster: 'control-plane', user: 'admin', namespace: 'default' } },
    ],
    'current-context': 'control-plane',
  };
  return JSON.stringify(config, null, 2); // JSON is YAML
}

async function createNode(url: string, token: string, dispatcher: Agent, name: string): Promise<void> {
  const node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: { [KWOK_NODE_LABEL]: 'true', 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' },
      annotations: { 'kwok.x-k8s.io/node': 'fake' },
    },
  };
  const response = await request(`${url}/api/v1/nodes`, {
    method: 'POST',
    dispatcher,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(node),
  });
  const text = await response.body.text();
  if (response.statusCode !== 201) throw new Error(`creating node ${name}: ${response.statusCode} ${text}`);
}

/**
 * The API server taints every new node `node.kubernetes.io/not-ready` (admission TaintNodesByCondition);
 * the node-lifecycle controller would lift it, but it would also evict pods of nodes without kubelet
 * heartbeats, so it does not run here and the taint goes by hand once KWOK made the node Ready.
 */
async function untaintNode(url: string, token: string, dispatcher: Agent, name: string): Promise<void> {
  const response = await request(`${url}/api/v1/nodes/${name}`, {
    method: 'PATCH',
    dispatcher,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/merge-patch+json' },
    body: JSON.stringify({ spec: { taints: null } }),
  });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`untainting node ${name}: ${response.statusCode} ${text}`);
}

async function nodesReady(url: string, token: string, dispatcher: Agent, want: number): Promise<boolean> {
  const response = await request(`${url}/api/v1/nodes?labelSelector=${encodeURIComponent(KWOK_NODE_LABEL)}`, {
    dispatcher,
    headers: { authorization: `Bearer ${token}` },
  });
  const list = (await response.body.json()) as {
    items?: { status?: { conditions?: { type: string; status: string }[] } }[];
  };
  const ready = (list.items ?? []).filter((node) =>
    (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
  );
  return ready.length >= want;
}

/** HTTP status of a GET, or 0 when nothing answers. */
async function status(target: string, options: { dispatcher?: Agent; token?: string } = {}): Promise<number> {
  try {
    const response = await request(target, {
      ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
      headers: options.token === undefined ? {} : { authorization: `Bearer ${options.token}` },
      headersTimeout: 2000,
      bodyTimeout: 2000,
    });
    await response.body.dump();
    return response.statusCode;
  } catch {
    return 0;
  }
}

/** Polls `ready` (bounded); fails with the tail of the component's log if it exits or never gets ready. */
async function waitUntil(
  dir: string,
  name: string,
  child: ChildProcess,
  ready: () => Promise<boolean>,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `${name} exited (${child.exitCode ?? child.signalCode}) during start:\n${logTail(dir, name)}`,
      );
    }
    if (await ready()) return;
    await sleep(200);
  }
  throw new Error(`${name} was not ready after ${timeoutMs / 1000} s:\n${logTail(dir, name)}`);
}

function logTail(dir: string, name: string): string {
  try {
    return readFileSync(join(dir, `${name}.log`), 'utf8')
      .split('\n')
      .slice(-30)
      .join('\n');
  } catch {
    return '(no log)';
  }
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. */
async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      resolve();
    }),
  );
  child.kill('SIGTERM');
  const killed = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(killed);
}

/** Distinct free TCP ports on 127.0.0.1, one per name (held together while choosing, so they differ). */
async function freePorts<Name extends string>(names: readonly Name[]): Promise<Record<Name, number>> {
  const servers = await Promise.all(
    names.map(
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => {
            resolve(server);
          });
        }),
    ),
  );
  const ports = {} as Record<Name, number>;
  servers.forEach((server, i) => {
    const address = server.address();
    const name = names[i];
    if (address === null || typeof address === 'string' || name === undefined) throw new Error('no port');
    ports[name] = address.port;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** Whether a process with this pid exists (signal 0 checks without signalling). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
