/**
 * The Helm chart, rendered by a real helm (HELM_BIN, built by `npm run helm:build`): lint, the objects and
 * names it renders, the config file it writes (loaded by our config loader), and its failure messages.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments, stringify } from 'yaml';
import { sleep } from '../../src/backoff.js';
import { loadConfig } from '../../src/config/load.js';
import { CONTROLLER_ROLE_RULES } from '../support/rbac.js';

const CHART = fileURLToPath(new URL('../../charts/agent-stack-k8s', import.meta.url));
const ALL_VALUES = `${CHART}/ci/all-values.yaml`;
const NAMESPACE = 'buildkite';

interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
  };
  readonly [field: string]: unknown;
}

function helmBin(): string {
  const bin = process.env.HELM_BIN;
  if (bin === undefined || bin === '') {
    throw new Error(
      'HELM_BIN is not set: the chart tests need a helm binary. Run them with `npm run test:cluster`, or set ' +
        'HELM_BIN to the path `npm run helm:build` prints.',
    );
  }
  return bin;
}

interface HelmRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function helm(args: readonly string[], env: Record<string, string> = {}): Promise<HelmRun> {
  return new Promise((resolve) => {
    const options = { maxBuffer: 16 * 1024 * 1024, env: { ...process.env, ...env } };
    execFile(helmBin(), [...args], options, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** `helm template` of the chart as release `release` in NAMESPACE; `set` values are strings (`--set-string`). */
async function renderChart(
  options: { release?: string; valuesFile?: string; set?: Record<string, string> } = {},
): Promise<Manifest[]> {
  const run = await helm(templateArgs(options));
  if (run.code !== 0) throw new Error(`helm template failed (${run.code}): ${run.stderr}`);
  return parseAllDocuments(run.stdout)
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

function templateArgs(options: { release?: string; valuesFile?: string; set?: Record<string, string> }) {
  const args = ['template', options.release ?? 'agent-stack-k8s', CHART, '--namespace', NAMESPACE];
  // helm template assumes Kubernetes 1.20 unless told; the chart needs 1.29+.
  args.push('--kube-version', '1.29.0');
  if (options.valuesFile !== undefined) args.push('--values', options.valuesFile);
  for (const [key, value] of Object.entries(options.set ?? {})) args.push('--set-string', `${key}=${value}`);
  return args;
}

function find(manifests: readonly Manifest[], kind: string, name?: string): Manifest {
  const found = manifests.find((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
  if (found === undefined) throw new Error(`no ${kind} ${name ?? ''} rendered`);
  return found;
}

interface Container {
  readonly name: string;
  readonly env?: { name: string; value?: string }[];
  readonly [field: string]: unknown;
}
interface PodSpec {
  readonly serviceAccountName: string;
  readonly containers: Container[];
  readonly [field: string]: unknown;
}

function podOf(manifests: readonly Manifest[]): {
  metadata: { labels: Record<string, string>; annotations: Record<string, string> };
  spec: PodSpec;
} {
  const deployment = find(manifests, 'Deployment') as unknown as {
    spec: { template: ReturnType<typeof podOf> };
  };
  return deployment.spec.template;
}

function controllerOf(manifests: readonly Manifest[]): Container {
  const [container] = podOf(manifests).spec.containers;
  if (container === undefined) throw new Error('the Deployment has no container');
  return container;
}

/** The rendered config.yaml, loaded the way the controller loads it (CONFIG=/etc/config.yaml). */
function loadRenderedConfig(manifests: readonly Manifest[]) {
  const configMap = find(manifests, 'ConfigMap', configMapName(manifests)) as unknown as {
    data: Record<string, string>;
  };
  const file = configMap.data['config.yaml'] ?? '';
  return { file, loaded: loadConfig({ env: { CONFIG: '/etc/config.yaml' }, readFile: () => file }) };
}

function configMapName(manifests: readonly Manifest[]): string {
  const volumes = (podOf(manifests).spec.volumes ?? []) as { configMap?: { name: string } }[];
  const name = volumes.find((v) => v.configMap !== undefined)?.configMap?.name;
  if (name === undefined) throw new Error('the Deployment mounts no ConfigMap');
  return name;
}

describe('helm chart', () => {
  it('passes helm lint with default values and with every value set', async () => {
    const defaults = await helm(['lint', CHART, '--strict', '--set', 'agentToken=token']);
    expect(defaults.stderr).toBe('');
    expect(defaults.code).toBe(0);
    const all = await helm(['lint', CHART, '--strict', '--values', ALL_VALUES]);
    expect(all.stderr).toBe('');
    expect(all.code).toBe(0);
  });

  it('renders the objects upstream renders, with the same names', async () => {
    const manifests = await renderChart({ set: { agentToken: 'token' } });
    expect(manifests.map((m) => `${m.kind}/${m.metadata.name}`).sort()).toEqual([
      'ConfigMap/agent-stack-k8s-config',
      'Deployment/agent-stack-k8s',
      'Role/agent-stack-k8s-controller',
      'RoleBinding/agent-stack-k8s',
      'Secret/agent-stack-k8s-secrets',
      'ServiceAccount/agent-stack-k8s-controller',
    ]);
    expect(new Set(manifests.map((m) => m.metadata.namespace))).toEqual(new Set([NAMESPACE]));
    expect(find(manifests, 'Secret').data).toEqual({
      BUILDKITE_AGENT_TOKEN: Buffer.from('token').toString('base64'),
    });
  });

  it('grants the minimal RBAC rules, bound to the controller service account', async () => {
    const manifests = await renderChart({ set: { agentToken: 'token' } });
    expect(find(manifests, 'Role').rules).toEqual(CONTROLLER_ROLE_RULES);
    expect(find(manifests, 'RoleBinding')).toMatchObject({
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'agent-stack-k8s-controller' },
      subjects: [{ kind: 'ServiceAccount', name: 'agent-stack-k8s-controller', namespace: NAMESPACE }],
    });
    expect(podOf(manifests).spec.serviceAccountName).toBe('agent-stack-k8s-controller');
    expect(manifests.some((m) => m.kind.startsWith('Cluster'))).toBe(false);
  });

  it('runs the controller restricted, with its config file, token Secret and probes', async () => {
    const manifests = await renderChart({ set: { agentToken: 'token' } });
    const deployment = find(manifests, 'Deployment');
    expect(deployment.spec).toMatchObject({
      replicas: 1,
      strategy: { type: 'Recreate' },
      selector: { matchLabels: { app: 'agent-stack-k8s' } },
    });
    expect(podOf(manifests).metadata.labels).toEqual({ app: 'agent-stack-k8s' });
    expect(controllerOf(manifests)).toEqual({
      name: 'controller',
      image: 'agent-stack-k8s:0.1.0',
      terminationMessagePolicy: 'FallbackToLogsOnError',
      env: [{ name: 'CONFIG', value: '/etc/config.yaml' }],
      envFrom: [{ secretRef: { name: 'agent-stack-k8s-secrets' } }],
      volumeMounts: [{ name: 'config', mountPath: '/etc/config.yaml', subPath: 'config.yaml' }],
      resources: { requests: { cpu: '100m', memory: '100Mi' } },
      ports: [{ name: 'metrics', containerPort: 9216 }],
      startupProbe: {
        httpGet: { path: '/healthz', port: 'metrics' },
        periodSeconds: 5,
        failureThreshold: 60,
      },
      livenessProbe: {
        httpGet: { path: '/healthz', port: 'metrics' },
        periodSeconds: 10,
        timeoutSeconds: 5,
        failureThreshold: 3,
      },
      readinessProbe: { httpGet: { path: '/readyz', port: 'metrics' }, periodSeconds: 10, timeoutSeconds: 5 },
      securityContext: {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      },
    });
    expect(podOf(manifests).spec.volumes).toEqual([
      { name: 'config', configMap: { name: 'agent-stack-k8s-config' } },
    ]);
  });

  it('writes a config file the controller loads: token Secret, namespace and id first, then config', async () => {
    const { file, loaded } = loadRenderedConfig(await renderChart({ set: { agentToken: 'token' } }));
    expect(file.split('\n').slice(0, 3)).toEqual([
      'agent-token-secret: "agent-stack-k8s-secrets"',
      `namespace: "${NAMESPACE}"`,
      'id: "agent-stack-k8s"',
    ]);
    expect(loaded).toMatchObject({ ok: true });
    if (!loaded.ok) return;
    expect(loaded.config).toMatchObject({
      'agent-token-secret': 'agent-stack-k8s-secrets',
      namespace: NAMESPACE,
      id: 'agent-stack-k8s',
      'prometheus-port': 9216,
      'reservation-expiry-seconds': 900,
      'enable-completion-watcher': true,
      'pod-pending-timeout': 15 * 60_000,
    });
    expect(loaded.sources['prometheus-port']).toBe('file');
  });

  it('fails with "agentToken must be set" when there is neither a token nor an existing Secret', async () => {
    const run = await helm(templateArgs({}));
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('agentToken must be set');
    expect(run.stdout).toBe('');
  });

  it('uses an existing Secret instead of creating one (agentStackSecret)', async () => {
    const manifests = await renderChart({ set: { agentStackSecret: 'my-token' } });
    expect(manifests.some((m) => m.kind === 'Secret')).toBe(false);
    expect(controllerOf(manifests).envFrom).toEqual([{ secretRef: { name: 'my-token' } }]);
    const { loaded } = loadRenderedConfig(manifests);
    expect(loaded.ok && loaded.config['agent-token-secret']).toBe('my-token');
  });

  it('rolls the pod when the config or the token changes, and only then', async () => {
    const checksums = async (set: Record<string, string>): Promise<Record<string, string>> =>
      podOf(await renderChart({ set: { agentToken: 'token', ...set } })).metadata.annotations;
    const base = await checksums({});
    expect(base['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
    expect(base['checksum/secrets']).toMatch(/^[0-9a-f]{64}$/);
    expect(await checksums({})).toEqual(base);
    const config = await checksums({ 'config.queue': 'other' });
    expect(config['checksum/config']).not.toBe(base['checksum/config']);
    expect(config['checksum/secrets']).toBe(base['checksum/secrets']);
    const token = await checksums({ agentToken: 'rotated' });
    expect(token['checksum/secrets']).not.toBe(base['checksum/secrets']);
    expect(token['checksum/config']).toBe(base['checksum/config']);
  });

  it('names objects like upstream: release name, chart name, overrides, 63 characters at most', async () => {
    const names = async (release: string, set: Record<string, string> = {}): Promise<string> =>
      find(await renderChart({ release, set: { agentToken: 't', ...set } }), 'Deployment').metadata.name;
    expect(await names('ci')).toBe('ci-agent-stack-k8s');
    expect(await names('my-agent-stack-k8s')).toBe('my-agent-stack-k8s');
    expect(await names('ci', { nameOverride: 'stack' })).toBe('ci-stack');
    expect(await names('ci', { fullnameOverride: 'blue' })).toBe('blue');
    expect(await names('r'.repeat(51))).toBe(`${'r'.repeat(51)}-agent-stack`);
    // Cut at 63 characters, then a trailing dash is dropped.
    expect(await names('r'.repeat(50))).toBe(`${'r'.repeat(50)}-agent-stack`);
    const manifests = await renderChart({
      release: 'ci',
      set: { agentToken: 't', fullnameOverride: 'blue' },
    });
    const { loaded } = loadRenderedConfig(manifests);
    expect(loaded.ok && loaded.config.id).toBe('blue');
  });

  it('renders every value of ci/all-values.yaml where it belongs', async () => {
    const manifests = await renderChart({ valuesFile: ALL_VALUES });
    const values = parseYaml(readFileSync(ALL_VALUES, 'utf8')) as Record<string, unknown>;
    expect(manifests.map((m) => `${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`).sort()).toEqual(
      [
        'ConfigMap/buildkite/ci-stack-config',
        'ConfigMap/monitoring/ci-stack-grafana-dashboard',
        'Deployment/buildkite/ci-stack',
        'PodMonitor/monitoring/ci-stack-podmonitor',
        'Role/buildkite/ci-stack-controller',
        'RoleBinding/buildkite/ci-stack',
        'Secret/buildkite/ci-stack-secrets',
        'ServiceAccount/buildkite/ci-stack-controller',
      ],
    );
    expect(find(manifests, 'Secret').data).toEqual({
      BUILDKITE_AGENT_TOKEN: Buffer.from('bkct_example_agent_token').toString('base64'),
      BUILDKITE_TOKEN: Buffer.from('bkua_example_api_token').toString('base64'),
    });
    expect(find(manifests, 'Secret').metadata.annotations).toEqual({ 'example.com/rotated-by': 'vault' });
    for (const kind of ['ServiceAccount', 'Role']) {
      expect(find(manifests, kind).metadata).toMatchObject({
        labels: { team: 'platform' },
        annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/ci-stack' },
      });
    }

    const pod = podOf(manifests);
    expect(pod.metadata.labels).toEqual({ app: 'ci-stack', team: 'platform' });
    expect(pod.metadata.annotations).toMatchObject({ 'example.com/owner': 'platform' });
    expect(pod.spec.nodeSelector).toEqual(values.nodeSelector);
    expect(pod.spec.tolerations).toEqual(values.tolerations);
    const controller = controllerOf(manifests);
    expect(controller.image).toBe(values.image);
    expect(controller.env).toEqual([
      { name: 'CONFIG', value: '/etc/config.yaml' },
      ...(values.controllerEnv as []),
    ]);
    expect(controller.resources).toEqual(values.resources);

    expect(find(manifests, 'PodMonitor')).toMatchObject({
      apiVersion: 'monitoring.coreos.com/v1',
      spec: {
        namespaceSelector: { matchNames: [NAMESPACE] },
        selector: { matchLabels: { app: 'ci-stack' } },
        podMetricsEndpoints: [{ port: 'metrics', interval: '15s' }],
      },
    });
    const dashboard = find(manifests, 'ConfigMap', 'ci-stack-grafana-dashboard') as unknown as {
      metadata: { labels: Record<string, string> };
      data: Record<string, string>;
    };
    expect(dashboard.metadata.labels).toEqual({
      grafana_dashboard: '1',
      'app.kubernetes.io/name': 'grafana',
    });
    expect(JSON.parse(dashboard.data['agent-stack-k8s.json'] ?? '')).toEqual(
      JSON.parse(readFileSync(`${CHART}/dashboards/agent-stack-k8s.json`, 'utf8')),
    );

    const { loaded } = loadRenderedConfig(manifests);
    expect(loaded).toMatchObject({ ok: true });
    if (!loaded.ok) return;
    const config = values.config as Record<string, unknown>;
    expect(loaded.config).toMatchObject({
      id: 'ci-stack',
      namespace: NAMESPACE,
      'agent-token-secret': 'ci-stack-secrets',
      queue: config.queue,
      'work-queue-limit': 1_000_000,
      'resource-classes': config['resource-classes'],
      'workspace-volume': config['workspace-volume'],
    });
    expect(Object.values(loaded.sources).filter((layer) => layer === 'file')).toHaveLength(
      Object.keys(config).length + 3,
    );
  });

  it('lets config set the keys the chart writes, writing each key once', async () => {
    const manifests = await renderChart({ set: { agentToken: 't', 'config.id': 'blue-stack' } });
    const { file, loaded } = loadRenderedConfig(manifests);
    expect(file.match(/^id:/gm)).toHaveLength(1);
    expect(loaded.ok && loaded.config.id).toBe('blue-stack');
  });

  it('leaves out the port and probes when prometheus-port is unset', async () => {
    const run = await helm([
      ...templateArgs({ set: { agentToken: 't' } }),
      '--set',
      'config.prometheus-port=null',
    ]);
    expect(run.stderr).toBe('');
    const controller = controllerOf(
      parseAllDocuments(run.stdout)
        .map((d) => d.toJS() as Manifest | null)
        .filter((m): m is Manifest => m !== null),
    );
    expect(Object.keys(controller)).not.toContain('ports');
    expect(Object.keys(controller)).not.toContain('livenessProbe');
    expect(Object.keys(controller)).not.toContain('readinessProbe');
  });

  it('refuses config keys and values the controller would refuse, before anything is applied', async () => {
    const bad = async (set: string): Promise<string> => {
      const run = await helm([...templateArgs({ set: { agentToken: 't' } }), '--set', set]);
      expect(run.code).not.toBe(0);
      return run.stderr;
    };
    expect(await bad('config.workspaceVolume.name=w')).toContain(
      "additional properties 'workspaceVolume' not allowed",
    );
    expect(await bad('config.max-in-flight=-1')).toContain('/config/max-in-flight');
    expect(await bad('config.pod-pending-timeout=15')).toContain('/config/pod-pending-timeout');
    expect(await bad('labels.app=mine')).toContain("at '/labels/app'");
  });

  it.each([
    [{ 'job-ttl': '1.5h', 'poll-interval': '1s500ms', 'http-timeout': '100µs' }, true],
    [{ 'resource-classes': { big: { resource: { limits: { cpu: '1.5', memory: '2Gi' } } } } }, true],
    [{ 'pod-spec-patch': { containers: [{ name: 'agent', ports: [{ containerPort: 8080 }] }] } }, true],
    [{ 'job-ttl': '10 minutes' }, false],
    [{ 'resource-classes': { big: { resource: { limits: { cpu: 'lots' } } } } }, false],
    [{ 'pod-spec-patch': { containers: [{ name: 'agent', ports: [{ containerPort: '8080' }] }] } }, false],
    [{ 'pagination-page-size': 1001 }, false],
    [{ Queue: 'k8s' }, false],
  ])("helm's own schema validation agrees with the config loader on %j", async (config, expected) => {
    const dir = mkdtempSync(join(tmpdir(), 'chart-config-'));
    try {
      const file = join(dir, 'values.yaml');
      writeFileSync(file, stringify({ agentToken: 't', config }));
      const run = await helm(templateArgs({ valuesFile: file }));
      expect(run.code === 0, run.stderr).toBe(expected);
      if (!expected) expect(run.stderr).toContain("don't meet the specifications of the schema");
      const loaded = loadConfig({ configPath: 'config.yaml', env: {}, readFile: () => stringify(config) });
      expect(loaded.ok).toBe(expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('docs/installation.md', () => {
    const page = readFileSync(new URL('../../docs/installation.md', import.meta.url), 'utf8');
    const blocks = [...page.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
    const documented = blocks
      .flatMap((block) => parseAllDocuments(block).map((doc) => doc.toJS() as Record<string, unknown> | null))
      .filter((object): object is Record<string, unknown> => object !== null);

    it('shows a values file the chart renders into a config the controller loads', async () => {
      const values = documented.find((object) => object.kind === undefined);
      expect(values).toMatchObject({
        agentToken: expect.any(String) as unknown,
        config: { queue: 'my-queue' },
      });
      const dir = mkdtempSync(join(tmpdir(), 'chart-values-'));
      try {
        writeFileSync(join(dir, 'values.yaml'), stringify(values));
        const { loaded } = loadRenderedConfig(await renderChart({ valuesFile: join(dir, 'values.yaml') }));
        expect(loaded.ok && loaded.config.queue).toBe('my-queue');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('shows the manifests the chart renders for release agent-stack-k8s', async () => {
      const rendered = await renderChart({
        set: { agentToken: 't', image: '<controller image>', 'config.queue': 'my-queue' },
      });
      const manifests = documented.filter((object) => object.kind !== undefined) as unknown as Manifest[];
      expect(manifests.map((m) => m.kind)).toEqual([
        'ServiceAccount',
        'Role',
        'RoleBinding',
        'ConfigMap',
        'Deployment',
      ]);
      for (const manifest of manifests) {
        const object = find(rendered, manifest.kind);
        if (manifest.kind === 'ConfigMap') {
          const config = (file: Manifest) =>
            parseYaml(
              (file as unknown as { data: Record<string, string> }).data['config.yaml'] ?? '',
            ) as unknown;
          expect(config(manifest)).toEqual(config(object));
          expect({ ...manifest, data: {} }).toEqual({ ...object, data: {} });
        } else if (manifest.kind === 'Deployment') {
          const withoutChecksums = structuredClone(object) as unknown as {
            spec: { template: { metadata: { annotations?: unknown } } };
          };
          delete withoutChecksums.spec.template.metadata.annotations;
          expect(manifest).toEqual(withoutChecksums);
        } else {
          expect(manifest).toEqual(object);
        }
      }
    });
  });

  describe('against a real API server', () => {
    /** The tier's control plane (test/cluster/global-setup.ts), as helm and plain requests reach it. */
    let cluster: { url: string; token: string; kubeconfigPath: string } | undefined;
    let dispatcher: Agent | undefined;
    const namespaces = [NAMESPACE, 'monitoring', 'upgrade'];

    beforeAll(async () => {
      const plane = inject('controlPlane');
      if (plane === undefined)
        throw new Error('no control plane: run the chart tests with `npm run test:cluster`');
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromString(plane.kubeconfigYaml);
      const token = kubeConfig.getCurrentUser()?.token ?? '';
      const ca = Buffer.from(kubeConfig.getCurrentCluster()?.caData ?? '', 'base64').toString();
      cluster = { url: plane.url, token, kubeconfigPath: plane.kubeconfigPath };
      dispatcher = new Agent({ connect: { ca } });
      for (const name of namespaces.slice(0, 2)) {
        expect(await call('POST', '/api/v1/namespaces', { metadata: { name } })).toMatchObject({
          status: 201,
        });
      }
      expect(
        await call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', POD_MONITOR_CRD),
      ).toMatchObject({ status: 201 });
      for (let attempt = 0; (await call('GET', '/apis/monitoring.coreos.com/v1')).status !== 200; attempt++) {
        if (attempt > 100) throw new Error('the PodMonitor CRD was never served');
        await sleep(100);
      }
    }, 300_000);

    afterAll(async () => {
      // The control plane is shared with the rest of the tier: leave nothing behind.
      for (const name of namespaces) await call('DELETE', `/api/v1/namespaces/${name}`);
      await call(
        'DELETE',
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${POD_MONITOR_CRD.metadata.name}`,
      );
      await dispatcher?.close();
    });

    async function call(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) {
      if (cluster === undefined || dispatcher === undefined) throw new Error('no control plane');
      const response = await request(`${cluster.url}${path}`, {
        method,
        dispatcher,
        headers: { authorization: `Bearer ${cluster.token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      // Paths the server does not serve yet answer 404 with plain text.
      const text = await response.body.text();
      const json = String(response.headers['content-type']).startsWith('application/json');
      return {
        status: response.statusCode,
        body: (json ? JSON.parse(text) : { text }) as Record<string, unknown>,
      };
    }

    it.each([
      ['default values', { set: { agentToken: 'token' } }],
      ['ci/all-values.yaml', { valuesFile: ALL_VALUES }],
    ])('accepts every object rendered from %s (dryRun=All, strict field validation)', async (_, options) => {
      const manifests = await renderChart(options);
      expect(manifests.length).toBeGreaterThanOrEqual(6);
      for (const manifest of manifests) {
        const resource = RESOURCES[manifest.kind];
        if (resource === undefined) throw new Error(`no API path known for ${manifest.kind}`);
        const path = `${resource.prefix}/namespaces/${manifest.metadata.namespace ?? ''}/${resource.plural}`;
        const created = await call('POST', `${path}?dryRun=All&fieldValidation=Strict`, manifest);
        expect({ kind: manifest.kind, ...created }, JSON.stringify(created.body)).toMatchObject({
          kind: manifest.kind,
          status: 201,
          body: { kind: manifest.kind, metadata: { name: manifest.metadata.name } },
        });
      }
    });

    it("upgrades in place a release installed with upstream's Deployment shape (rolling update, no probes)", async () => {
      if (cluster === undefined) throw new Error('no control plane');
      const dir = mkdtempSync(join(tmpdir(), 'chart-upgrade-'));
      try {
        // The old release: this chart with a Deployment as upstream renders it (no replicas, strategy or probes).
        const old = join(dir, 'old');
        cpSync(CHART, old, { recursive: true });
        writeFileSync(join(old, 'templates/deployment.yaml'), UPSTREAM_SHAPED_DEPLOYMENT);
        expect(await call('POST', '/api/v1/namespaces', { metadata: { name: 'upgrade' } })).toMatchObject({
          status: 201,
        });
        const kubeconfig = cluster.kubeconfigPath;
        const helmHome = { HELM_CACHE_HOME: dir, HELM_CONFIG_HOME: dir, HELM_DATA_HOME: dir };
        const inCluster = (command: 'install' | 'upgrade', chart: string) =>
          helm(
            [command, 'ci', chart, '-n', 'upgrade', '--kubeconfig', kubeconfig, '--set', 'agentToken=t'],
            helmHome,
          );
        const installed = await inCluster('install', old);
        expect(installed.stderr).toBe('');
        const deployment = '/apis/apps/v1/namespaces/upgrade/deployments/ci-agent-stack-k8s';
        expect((await call('GET', deployment)).body).toMatchObject({
          spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%' } } },
        });

        const upgraded = await inCluster('upgrade', CHART);
        expect(upgraded.stderr).toBe('');
        expect(upgraded.code).toBe(0);
        const after = (await call('GET', deployment)).body as {
          spec: { replicas: number; strategy: unknown; template: { spec: { containers: Container[] } } };
        };
        expect(after.spec.strategy).toEqual({ type: 'Recreate' });
        expect(after.spec.replicas).toBe(1);
        expect(after.spec.template.spec.containers[0]).toMatchObject({
          livenessProbe: { httpGet: { path: '/healthz' } },
          readinessProbe: { httpGet: { path: '/readyz' } },
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('would notice a misspelt field (the check above is not vacuous)', async () => {
      const deployment = structuredClone(find(await renderChart({ set: { agentToken: 't' } }), 'Deployment'));
      const [container] = podOf([deployment]).spec.containers;
      if (container === undefined) throw new Error('no container');
      (container as Record<string, unknown>).livenesProbe = {
        httpGet: { path: '/healthz', port: 'metrics' },
      };
      const created = await call(
        'POST',
        `/apis/apps/v1/namespaces/${NAMESPACE}/deployments?dryRun=All&fieldValidation=Strict`,
        deployment,
      );
      expect(created.status).toBe(400);
      expect(JSON.stringify(created.body)).toContain('unknown field');
    });
  });
});

/** A Deployment with the names, selector and fields upstream's chart renders, and nothing else. */
const UPSTREAM_SHAPED_DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "agent-stack-k8s.fullname" . }}
  namespace: {{ .Release.Namespace }}
spec:
  selector:
    matchLabels:
      app: {{ include "agent-stack-k8s.fullname" . }}
  template:
    metadata:
      labels:
        app: {{ include "agent-stack-k8s.fullname" . }}
    spec:
      serviceAccountName: {{ include "agent-stack-k8s.serviceAccount" . }}
      containers:
        - name: controller
          image: {{ .Values.image }}
          env:
            - name: CONFIG
              value: /etc/config.yaml
`;

/** Where each kind the chart renders is created. */
const RESOURCES: Record<string, { prefix: string; plural: string } | undefined> = {
  ServiceAccount: { prefix: '/api/v1', plural: 'serviceaccounts' },
  Secret: { prefix: '/api/v1', plural: 'secrets' },
  ConfigMap: { prefix: '/api/v1', plural: 'configmaps' },
  Deployment: { prefix: '/apis/apps/v1', plural: 'deployments' },
  Role: { prefix: '/apis/rbac.authorization.k8s.io/v1', plural: 'roles' },
  RoleBinding: { prefix: '/apis/rbac.authorization.k8s.io/v1', plural: 'rolebindings' },
  PodMonitor: { prefix: '/apis/monitoring.coreos.com/v1', plural: 'podmonitors' },
};

/**
 * A stand-in for the Prometheus Operator's PodMonitor CRD (not vendored here): it makes the kind exist so the
 * object's metadata and namespace are checked, and types the fields the chart sets.
 */
const POD_MONITOR_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'podmonitors.monitoring.coreos.com' },
  spec: {
    group: 'monitoring.coreos.com',
    scope: 'Namespaced',
    names: { kind: 'PodMonitor', listKind: 'PodMonitorList', plural: 'podmonitors', singular: 'podmonitor' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['selector'],
                properties: {
                  jobLabel: { type: 'string' },
                  namespaceSelector: {
                    type: 'object',
                    properties: { matchNames: { type: 'array', items: { type: 'string' } } },
                  },
                  selector: {
                    type: 'object',
                    properties: {
                      matchLabels: { type: 'object', additionalProperties: { type: 'string' } },
                    },
                  },
                  podMetricsEndpoints: {
                    type: 'array',
                    items: {
                      type: 'object',
                      properties: {
                        port: { type: 'string' },
                        interval: {
                          type: 'string',
                          pattern: '^(0|(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$',
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    ],
  },
};
