import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKube, type FakeKube } from '../sim/kube/index.js';
import { KubeClient } from '../src/kube/client.js';
import { requestKey, startCountingProxy } from './proxy.js';
import { selfSigned } from '../test/support/tls.js';

describe('requestKey', () => {
  it.each([
    ['GET', '/apis/batch/v1/namespaces/ns/jobs?labelSelector=a', 'list jobs'],
    ['GET', '/apis/batch/v1/namespaces/ns/jobs?watch=true&resourceVersion=5', 'watch jobs'],
    ['GET', '/api/v1/namespaces/ns/pods?watch=1', 'watch pods'],
    ['GET', '/api/v1/namespaces/ns/pods?watch=false', 'list pods'],
    ['GET', '/api/v1/namespaces/ns/secrets/token', 'get secrets'],
    ['GET', '/api/v1/namespaces/ns/pods/p/log', 'get pods/log'],
    ['POST', '/apis/batch/v1/namespaces/ns/jobs', 'create jobs'],
    ['PUT', '/apis/batch/v1/namespaces/ns/jobs/j', 'update jobs'],
    ['PATCH', '/api/v1/namespaces/ns/podtemplates/t', 'patch podtemplates'],
    ['DELETE', '/api/v1/namespaces/ns/pods/p', 'delete pods'],
    ['DELETE', '/api/v1/namespaces/ns/pods', 'deletecollection pods'],
    ['GET', '/api/v1/namespaces/ns', 'get namespaces'],
    ['GET', '/api/v1/nodes', 'list nodes'],
    ['GET', '/apis/batch/v1/jobs?watch=true', 'watch jobs'],
    ['GET', '/version', 'get /version'],
    ['GET', '/apis', 'get /apis'],
    ['GET', '/apis/batch/v1', 'get /apis/batch/v1'],
  ])('%s %s is %s', (method, path, key) => {
    expect(requestKey(method, path)).toBe(key);
  });
});

describe('startCountingProxy', () => {
  let dir: string;
  let kube: FakeKube;
  let tierConfig: KubeConfig;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bench-proxy-'));
    const server = selfSigned(dir, 'apiserver', 'IP:127.0.0.1');
    const client = selfSigned(dir, 'controller');
    // HTTPS with client certificates, as a real control plane serves it.
    kube = await startFakeKube({ jobController: false, tls: { ...server, clientCa: client.cert } });
    tierConfig = new KubeConfig();
    tierConfig.loadFromOptions({
      clusters: [{ name: 'c', server: kube.url, caData: Buffer.from(server.cert).toString('base64') }],
      users: [
        {
          name: 'u',
          certData: Buffer.from(client.cert).toString('base64'),
          keyData: Buffer.from(client.key).toString('base64'),
        },
      ],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
  });
  afterAll(async () => {
    await kube.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('forwards with the tier credentials, streams watches and counts each request by verb and resource', async () => {
    const proxy = await startCountingProxy({ kubeConfig: tierConfig, namespace: 'default' });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(proxy.kubeconfigYaml);
    const client = new KubeClient({ kubeConfig, qps: 100, burst: 100 });
    try {
      const watch = await client.jobs.watch('default', { resourceVersion: '0' });
      if (!watch.ok) throw new Error(watch.error.message);
      const seen: string[] = [];
      const watching = watch.value.forEach((event) => {
        if (event.type === 'ADDED') seen.push(event.object.metadata?.name ?? '');
        return seen.length < 2;
      });
      for (const name of ['a', 'b']) {
        const created = await client.jobs.create('default', {
          metadata: { name },
          spec: {
            template: { spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'Never' } },
          },
        });
        expect(created.ok).toBe(true);
      }
      expect(await watching).toEqual({ kind: 'closed' });
      expect(seen).toEqual(['a', 'b']);
      const listed = await client.jobs.list('default');
      expect(listed.ok && listed.value.items.length).toBe(2);
      const missing = await client.secrets.get('default', 'absent');
      expect(!missing.ok && missing.error.kind).toBe('NotFound');
      expect(proxy.requestCounts()).toEqual({
        'create jobs': 2,
        'get secrets': 1,
        'list jobs': 1,
        'watch jobs': 1,
      });
    } finally {
      await client.close();
      await proxy.close();
    }
  });

  it('answers 502 with the reason when the API server cannot be reached, and still counts the request', async () => {
    const gone = new KubeConfig();
    gone.loadFromOptions({
      clusters: [{ name: 'c', server: 'http://127.0.0.1:1', skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const proxy = await startCountingProxy({ kubeConfig: gone, namespace: 'default' });
    try {
      const answer = await fetch(`${proxy.url}/api/v1/namespaces/default/pods`);
      expect(answer.status).toBe(502);
      expect(await answer.text()).toMatch(/^bench proxy: connect ECONNREFUSED/);
      expect(proxy.requestCounts()).toEqual({ 'list pods': 1 });
    } finally {
      await proxy.close();
    }
  });
});
