import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { RequestOptions as HttpsRequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeKube, type FakeKube } from '../../sim/kube/index.js';
import { selfSigned } from '../../test/support/tls.js';
import { KubeClient } from './client.js';
import { loadKubeConfig, type KubeConfigResult, type KubeCredentials } from './kubeconfig.js';

const yaml = `apiVersion: v1
kind: Config
clusters:
  - name: one
    cluster: { server: 'https://one.example:6443' }
users:
  - name: u
    user: { token: t }
contexts:
  - name: first
    context: { cluster: one, user: u, namespace: buildkite }
current-context: first
`;

/** A kubeconfig with one context `c` of this cluster and user (file keys as kubectl writes them). */
function kubeconfig(cluster: Record<string, unknown>, user: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'k', cluster: { server: 'https://k.example:6443', ...cluster } }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }],
    'current-context': 'c',
  });
}

function loaded(result: KubeConfigResult): KubeCredentials {
  if (!result.ok) throw new Error(result.reason);
  return result.kubeConfig;
}

/** A Buffer option as text, to compare with what the file or data held. */
const text = (value: unknown): unknown => (Buffer.isBuffer(value) ? value.toString() : value);

async function httpsOptions(credentials: KubeCredentials): Promise<HttpsRequestOptions> {
  const options: HttpsRequestOptions = { headers: {} };
  await credentials.applyToHTTPSOptions(options);
  return options;
}

describe('loadKubeConfig', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
    file = join(dir, 'config');
    writeFileSync(file, yaml);
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const server = (result: ReturnType<typeof loadKubeConfig>) =>
    result.ok ? result.kubeConfig.getCurrentCluster()?.server : result.reason;
  const load = (text: string, now?: () => number): KubeConfigResult => {
    writeFileSync(file, text);
    return loadKubeConfig({ KUBECONFIG: file, HOME: dir }, now === undefined ? {} : { now });
  };

  it('loads the first existing file of KUBECONFIG', () => {
    expect(server(loadKubeConfig({ KUBECONFIG: `${join(dir, 'nope')}:${file}`, HOME: dir }))).toBe(
      'https://one.example:6443',
    );
  });

  it('falls back to ~/.kube/config', () => {
    mkdirSync(join(dir, '.kube'));
    writeFileSync(join(dir, '.kube', 'config'), yaml);
    expect(server(loadKubeConfig({ HOME: dir }))).toBe('https://one.example:6443');
  });

  it('says so when nothing is found instead of falling back to localhost:8080', () => {
    expect(loadKubeConfig({ HOME: dir })).toEqual({
      ok: false,
      reason:
        'no Kubernetes configuration found: set KUBECONFIG, create ~/.kube/config, or run inside a cluster',
    });
    expect(loadKubeConfig({ KUBECONFIG: join(dir, 'nope'), HOME: dir })).toEqual({
      ok: false,
      reason: `KUBECONFIG names no existing file: ${join(dir, 'nope')}`,
    });
  });

  it('reports a malformed file', () => {
    writeFileSync(file, 'clusters: [');
    const result = loadKubeConfig({ KUBECONFIG: file, HOME: dir });
    expect(result.ok ? '' : result.reason).toMatch(/^cannot load the Kubernetes configuration: /);
  });

  it('names the entry that does not fit the kubeconfig format', () => {
    const result = load(JSON.stringify({ clusters: [{ name: 'k', cluster: { server: 6443 } }] }));
    expect(result.ok ? '' : result.reason).toMatch(
      /^cannot load the Kubernetes configuration: .*config: clusters\[0\]\.cluster\.server: /,
    );
  });

  it('requires a current cluster', () => {
    writeFileSync(file, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
    expect(loadKubeConfig({ KUBECONFIG: file, HOME: dir })).toEqual({
      ok: false,
      reason: 'the Kubernetes configuration has no current cluster; set current-context',
    });
  });

  it('uses the context that current-context names, among several', async () => {
    const config = {
      clusters: [
        { name: 'a', cluster: { server: 'https://a.example/' } },
        { name: 'b', cluster: { server: 'https://b.example:8443' } },
      ],
      users: [
        { name: 'ua', user: { token: 'token-a' } },
        { name: 'ub', user: { token: 'token-b' } },
      ],
      contexts: [
        { name: 'ctx-a', context: { cluster: 'a', user: 'ua' } },
        { name: 'ctx-b', context: { cluster: 'b', user: 'ub' } },
      ],
      'current-context': 'ctx-b',
    };
    const credentials = loaded(load(JSON.stringify(config)));
    expect(credentials.getCurrentCluster()?.server).toBe('https://b.example:8443');
    expect((await httpsOptions(credentials)).headers).toEqual({ Authorization: 'Bearer token-b' });
    // A trailing slash on the server is dropped, as client-node did.
    const a = loaded(load(JSON.stringify({ ...config, 'current-context': 'ctx-a' })));
    expect(a.getCurrentCluster()?.server).toBe('https://a.example');
  });

  it('names an unknown context, cluster or user', () => {
    const config = JSON.parse(kubeconfig({}, {})) as Record<string, unknown>;
    expect(load(JSON.stringify({ ...config, 'current-context': 'prod' }))).toEqual({
      ok: false,
      reason: `${file}: current-context "prod" is not among its contexts (c)`,
    });
    const contexts = (cluster: string, user: string) => ({
      ...config,
      contexts: [{ name: 'c', context: { cluster, user } }],
    });
    expect(load(JSON.stringify(contexts('nope', 'u')))).toEqual({
      ok: false,
      reason: `${file}: context "c" names cluster "nope", which is not defined`,
    });
    expect(load(JSON.stringify(contexts('k', 'nobody')))).toEqual({
      ok: false,
      reason: `${file}: context "c" names user "nobody", which is not defined`,
    });
  });

  it('applies the cluster TLS settings and proxy-url', async () => {
    writeFileSync(join(dir, 'ca.crt'), 'CA FROM FILE');
    const credentials = loaded(
      load(
        kubeconfig(
          {
            'certificate-authority': 'ca.crt',
            'tls-server-name': 'kubernetes.default',
            'proxy-url': 'http://proxy.example:3128',
          },
          { token: 't' },
        ),
      ),
    );
    expect(credentials.getCurrentCluster()).toEqual({
      server: 'https://k.example:6443',
      proxyUrl: 'http://proxy.example:3128',
    });
    const options = await httpsOptions(credentials);
    expect(text(options.ca)).toBe('CA FROM FILE');
    expect(options.servername).toBe('kubernetes.default');
    expect(options.rejectUnauthorized).toBeUndefined();

    const insecure = loaded(
      load(kubeconfig({ 'insecure-skip-tls-verify': true, 'certificate-authority-data': 'Q0E=' }, {})),
    );
    const insecureOptions = await httpsOptions(insecure);
    expect(insecureOptions.rejectUnauthorized).toBe(false);
    expect(text(insecureOptions.ca)).toBe('CA');
  });

  it('reads client certificates and keys from files (relative to the kubeconfig) or data', async () => {
    writeFileSync(join(dir, 'client.crt'), 'CERT FROM FILE');
    writeFileSync(join(dir, 'client.key'), 'KEY FROM FILE');
    const fromFiles = await httpsOptions(
      loaded(
        load(kubeconfig({}, { 'client-certificate': 'client.crt', 'client-key': join(dir, 'client.key') })),
      ),
    );
    expect([text(fromFiles.cert), text(fromFiles.key)]).toEqual(['CERT FROM FILE', 'KEY FROM FILE']);
    const fromData = await httpsOptions(
      loaded(
        load(
          kubeconfig(
            {},
            {
              'client-certificate-data': Buffer.from('CERT').toString('base64'),
              'client-key-data': Buffer.from('KEY').toString('base64'),
            },
          ),
        ),
      ),
    );
    expect([text(fromData.cert), text(fromData.key)]).toEqual(['CERT', 'KEY']);
  });

  it('reads the CA, certificate and key files once, when loading, not on every request', async () => {
    for (const name of ['ca.crt', 'client.crt', 'client.key']) writeFileSync(join(dir, name), name);
    const credentials = loaded(
      load(
        kubeconfig(
          { 'certificate-authority': 'ca.crt' },
          { 'client-certificate': 'client.crt', 'client-key': 'client.key' },
        ),
      ),
    );
    for (const name of ['ca.crt', 'client.crt', 'client.key']) rmSync(join(dir, name));
    const options = await httpsOptions(credentials);
    expect([text(options.ca), text(options.cert), text(options.key)]).toEqual([
      'ca.crt',
      'client.crt',
      'client.key',
    ]);
  });

  it('reports a missing CA file when loading, with its path', () => {
    const result = load(kubeconfig({ 'certificate-authority': 'missing-ca.crt' }, { token: 't' }));
    expect(result.ok ? '' : result.reason).toMatch(
      /^cannot load the Kubernetes configuration: .*missing-ca\.crt/,
    );
  });

  it('sends basic auth and impersonation as the kubeconfig says', async () => {
    const options = await httpsOptions(
      loaded(
        load(kubeconfig({}, { username: 'admin', password: 'secret', as: 'system:serviceaccount:ci:bk' })),
      ),
    );
    expect(options.auth).toBe('admin:secret');
    expect(options.headers).toEqual({ 'Impersonate-User': 'system:serviceaccount:ci:bk' });
  });

  it('re-reads a token-file once a minute, so a rotated token is used', async () => {
    let now = 0;
    writeFileSync(join(dir, 'token'), 'first\n');
    const credentials = loaded(load(kubeconfig({}, { 'token-file': 'token' }), () => now));
    writeFileSync(join(dir, 'token'), 'second');
    expect((await httpsOptions(credentials)).headers).toEqual({ Authorization: 'Bearer first' });
    now = 60_000;
    expect((await httpsOptions(credentials)).headers).toEqual({ Authorization: 'Bearer second' });
    // A 401 makes the next request read it again at once.
    writeFileSync(join(dir, 'token'), 'third');
    credentials.credentialsRejected?.();
    expect((await httpsOptions(credentials)).headers).toEqual({ Authorization: 'Bearer third' });
  });

  it('reports a missing token-file when loading, with its path', () => {
    const result = load(kubeconfig({}, { 'token-file': 'missing-token' }));
    expect(result.ok ? '' : result.reason).toMatch(
      /^cannot load the Kubernetes configuration: .*missing-token/,
    );
  });

  it('tells an exec plugin the cluster only when the kubeconfig sets provideClusterInfo', async () => {
    const script = `printf '{"kind":"ExecCredential","status":{"token":"%s"}}' "$(printf %s "$KUBERNETES_EXEC_INFO" | base64 -w0)"`;
    const execInfo = async (provideClusterInfo: boolean): Promise<unknown> => {
      const exec = { command: '/bin/sh', args: ['-c', script], provideClusterInfo };
      const credentials = loaded(
        load(kubeconfig({ 'certificate-authority-data': 'Q0E=', 'tls-server-name': 'api' }, { exec })),
      );
      const { headers } = await httpsOptions(credentials);
      const header = headers instanceof Array ? '' : String(headers?.Authorization);
      return JSON.parse(Buffer.from(header.replace('Bearer ', ''), 'base64').toString());
    };
    expect(await execInfo(true)).toEqual({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      spec: {
        interactive: false,
        cluster: {
          server: 'https://k.example:6443',
          'tls-server-name': 'api',
          'certificate-authority-data': 'Q0E=',
        },
      },
    });
    expect(await execInfo(false)).toMatchObject({ spec: { interactive: false } });
    expect(await execInfo(false)).not.toHaveProperty('spec.cluster');
  });

  it('leaves auth-provider users to client-node, loaded only for them', async () => {
    writeFileSync(join(dir, 'provider-token'), 'from-provider');
    const credentials = loaded(
      load(
        kubeconfig(
          {},
          { 'auth-provider': { name: 'custom', config: { tokenFile: join(dir, 'provider-token') } } },
        ),
      ),
    );
    expect((await httpsOptions(credentials)).headers).toMatchObject({
      Authorization: 'Bearer from-provider',
    });
  });

  describe('in a cluster', () => {
    let serviceAccountDir: string;
    beforeEach(() => {
      serviceAccountDir = join(dir, 'serviceaccount');
      mkdirSync(serviceAccountDir);
      writeFileSync(join(serviceAccountDir, 'token'), 'sa-token-1');
      writeFileSync(join(serviceAccountDir, 'ca.crt'), 'CLUSTER CA');
    });
    const inCluster = (env: Record<string, string>, now?: () => number) =>
      loadKubeConfig({ HOME: dir, ...env }, { serviceAccountDir, ...(now === undefined ? {} : { now }) });

    it('uses the service host and port, the CA and the rotating service account token', async () => {
      let now = 0;
      const credentials = loaded(
        inCluster({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, () => now),
      );
      expect(credentials.getCurrentCluster()?.server).toBe('https://10.96.0.1:443');
      const options = await httpsOptions(credentials);
      expect(text(options.ca)).toBe('CLUSTER CA');
      expect(options.headers).toEqual({ Authorization: 'Bearer sa-token-1' });
      writeFileSync(join(serviceAccountDir, 'token'), 'sa-token-2');
      now = 61_000;
      expect((await httpsOptions(credentials)).headers).toEqual({ Authorization: 'Bearer sa-token-2' });
    });

    it('brackets an IPv6 service host', () => {
      const credentials = loaded(
        inCluster({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }),
      );
      expect(credentials.getCurrentCluster()?.server).toBe('https://[fd00::1]:443');
    });

    it('explains what is missing', () => {
      expect(inCluster({ KUBERNETES_SERVICE_HOST: '10.96.0.1' })).toEqual({
        ok: false,
        reason: 'in-cluster configuration needs both KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT',
      });
      rmSync(join(serviceAccountDir, 'token'));
      const result = inCluster({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' });
      expect(result.ok ? '' : result.reason).toMatch(
        /^cannot load the Kubernetes configuration: .*serviceaccount\/token/,
      );
    });
  });
});

describe('KubeClient with a loaded kubeconfig', () => {
  let dir: string;
  let tlsKube: FakeKube;
  let serverCert: { key: string; cert: string };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubeconfig-client-'));
    serverCert = selfSigned(dir, 'fake-apiserver', 'IP:127.0.0.1');
    const clientCert = selfSigned(dir, 'controller');
    tlsKube = await startFakeKube({
      jobController: false,
      tls: { ...serverCert, clientCa: clientCert.cert },
    });
  });
  afterAll(async () => {
    await tlsKube.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function getSecret(config: string): Promise<string> {
    const file = join(dir, 'config');
    writeFileSync(file, config);
    const client = new KubeClient({
      kubeConfig: loaded(loadKubeConfig({ KUBECONFIG: file })),
      qps: 10,
      burst: 10,
    });
    const result = await client.secrets.get('default', 'missing');
    await client.close();
    return result.ok ? 'ok' : result.error.kind;
  }

  it('authenticates with a client certificate and trusts the CA, from files', async () => {
    // selfSigned wrote controller.crt/.key and fake-apiserver.crt next to the kubeconfig.
    const config = kubeconfig(
      { server: tlsKube.url, 'certificate-authority': 'fake-apiserver.crt' },
      { 'client-certificate': 'controller.crt', 'client-key': 'controller.key' },
    );
    expect(await getSecret(config)).toBe('NotFound');
  });

  it('authenticates with a token, trusting the CA from data, and fails closed on an untrusted server', async () => {
    const caData = Buffer.from(serverCert.cert).toString('base64');
    expect(
      await getSecret(
        kubeconfig({ server: tlsKube.url, 'certificate-authority-data': caData }, { token: tlsKube.token }),
      ),
    ).toBe('NotFound');
    expect(await getSecret(kubeconfig({ server: tlsKube.url }, { token: tlsKube.token }))).toBe('Network');
    expect(
      await getSecret(
        kubeconfig({ server: tlsKube.url, 'insecure-skip-tls-verify': true }, { token: tlsKube.token }),
      ),
    ).toBe('NotFound');
  });

  it('runs the exec plugin again after a 401, for a credential without expiry', async () => {
    const marker = join(dir, 'exec-ran');
    const script = `if [ -f '${marker}' ]; then t='${tlsKube.token}'; else t=stale; fi; touch '${marker}'; printf '{"kind":"ExecCredential","status":{"token":"%s"}}' "$t"`;
    const file = join(dir, 'config');
    writeFileSync(
      file,
      kubeconfig(
        { server: tlsKube.url, 'insecure-skip-tls-verify': true },
        { exec: { command: '/bin/sh', args: ['-c', script] } },
      ),
    );
    const client = new KubeClient({
      kubeConfig: loaded(loadKubeConfig({ KUBECONFIG: file })),
      qps: 10,
      burst: 10,
    });
    const first = await client.secrets.get('default', 'missing');
    const second = await client.secrets.get('default', 'missing');
    await client.close();
    expect([first, second].map((r) => (r.ok ? 'ok' : r.error.kind))).toEqual(['Unauthorized', 'NotFound']);
  });

  it('talks plain HTTP to an http:// server without insecure-skip-tls-verify, as kubectl does', async () => {
    const plain = await startFakeKube({ jobController: false });
    try {
      expect(await getSecret(kubeconfig({ server: plain.url }, { token: plain.token }))).toBe('NotFound');
    } finally {
      await plain.close();
    }
  });

  it('runs an exec command given relative to the kubeconfig', async () => {
    mkdirSync(join(dir, 'bin'), { recursive: true });
    const plugin = join(dir, 'bin', 'token-plugin');
    writeFileSync(
      plugin,
      `#!/bin/sh\nprintf '{"kind":"ExecCredential","status":{"token":"${tlsKube.token}"}}'\n`,
    );
    chmodSync(plugin, 0o755);
    const exec = { command: './bin/token-plugin' };
    expect(
      await getSecret(kubeconfig({ server: tlsKube.url, 'insecure-skip-tls-verify': true }, { exec })),
    ).toBe('NotFound');
  });

  it('gets the token from an exec plugin', async () => {
    const credential = JSON.stringify({
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      kind: 'ExecCredential',
      status: { token: tlsKube.token },
    });
    const exec = {
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      command: '/bin/sh',
      args: ['-c', `printf '%s' '${credential}'`],
    };
    expect(
      await getSecret(kubeconfig({ server: tlsKube.url, 'insecure-skip-tls-verify': true }, { exec })),
    ).toBe('NotFound');
  });
});
