import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKube, type FakeKube } from '../../sim/kube/index.js';
import { KubeClient } from './client.js';
import { selfSigned } from '../../test/support/tls.js';

describe('KubeClient over TLS', () => {
  let dir: string;
  let server: { key: string; cert: string };
  let client: { key: string; cert: string };
  let kube: FakeKube;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kube-tls-'));
    server = selfSigned(dir, 'fake-apiserver', 'IP:127.0.0.1');
    client = selfSigned(dir, 'controller');
    kube = await startFakeKube({ jobController: false, tls: { ...server, clientCa: client.cert } });
  });
  afterAll(async () => {
    await kube.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function config(user: Record<string, unknown>, caData = server.cert): KubeConfig {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: 'c', server: kube.url, caData: Buffer.from(caData).toString('base64') }],
      users: [{ name: 'u', ...user }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    return kubeConfig;
  }

  async function getSecret(kubeConfig: KubeConfig): Promise<string> {
    const kubeClient = new KubeClient({ kubeConfig, qps: 10, burst: 10 });
    const result = await kubeClient.secrets.get('default', 'missing');
    await kubeClient.close();
    return result.ok ? 'ok' : result.error.kind;
  }

  it('authenticates with a client certificate from the kubeconfig', async () => {
    const user = {
      certData: Buffer.from(client.cert).toString('base64'),
      keyData: Buffer.from(client.key).toString('base64'),
    };
    expect(await getSecret(config(user))).toBe('NotFound');
  });

  it('authenticates with a bearer token and the kubeconfig CA', async () => {
    expect(await getSecret(kube.kubeConfig)).toBe('NotFound');
  });

  it('is refused without credentials, and fails closed on an untrusted server certificate', async () => {
    expect(await getSecret(config({}))).toBe('Unauthorized');
    expect(await getSecret(config({ token: kube.token }, client.cert))).toBe('Network');
  });
});
