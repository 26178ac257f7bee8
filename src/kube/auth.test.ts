import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeKube, type FakeKube } from '../../sim/kube/index.js';
import { KubeClient } from './client.js';

describe('KubeClient credentials from the kubeconfig', () => {
  let kube: FakeKube;
  let dir: string;

  beforeEach(async () => {
    kube = await startFakeKube({ token: 'rotating-secret', jobController: false });
    dir = await mkdtemp(join(tmpdir(), 'kube-auth-'));
  });
  afterEach(async () => {
    await kube.close();
    await rm(dir, { recursive: true, force: true });
  });

  function configWithUser(user: Record<string, unknown>): KubeConfig {
    const config = new KubeConfig();
    config.loadFromOptions({
      clusters: [{ name: 'fake', server: kube.url, skipTLSVerify: true }],
      users: [{ name: 'u', ...user }],
      contexts: [{ name: 'c', cluster: 'fake', user: 'u' }],
      currentContext: 'c',
    });
    return config;
  }

  it('reads the service-account token file, as in-cluster config does', async () => {
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, 'rotating-secret');
    const client = new KubeClient({
      kubeConfig: configWithUser({ authProvider: { name: 'tokenFile', config: { tokenFile } } }),
      qps: 10,
      burst: 10,
    });
    const result = await client.secrets.get('default', 'missing');
    expect(result.ok ? 'ok' : result.error.kind).toBe('NotFound');
    await client.close();
  });

  it('runs an exec credential plugin for the token', async () => {
    const credential = JSON.stringify({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: { token: 'rotating-secret' },
    });
    const client = new KubeClient({
      kubeConfig: configWithUser({
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1',
          command: process.execPath,
          args: ['-e', `process.stdout.write(${JSON.stringify(credential)})`],
          interactiveMode: 'Never',
        },
      }),
      qps: 10,
      burst: 10,
    });
    const result = await client.secrets.get('default', 'missing');
    expect(result.ok ? 'ok' : result.error.kind).toBe('NotFound');
    await client.close();
  });

  it('reports a failing exec plugin as Unauthorized without throwing', async () => {
    const client = new KubeClient({
      kubeConfig: configWithUser({
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1',
          command: process.execPath,
          args: ['-e', 'process.exit(3)'],
          interactiveMode: 'Never',
        },
      }),
      qps: 10,
      burst: 10,
    });
    const result = await client.secrets.get('default', 'missing');
    expect(result.ok ? 'ok' : result.error).toMatchObject({ kind: 'Unauthorized', code: 0 });
    await client.close();
  });

  it('refuses a kubeconfig without a current cluster', () => {
    expect(() => new KubeClient({ kubeConfig: new KubeConfig(), qps: 1, burst: 1 })).toThrow(
      /no current cluster/,
    );
  });
});
