import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeKube, type FakeKube } from '../../sim/kube/index.js';
import { KubeClient } from './client.js';
import { retryOnConflict, updateWithRetry } from './conflict.js';
import type { KubeError, KubeResult } from './errors.js';
import type { Job, PodTemplate } from './types.js';

function job(name: string, labels: Record<string, string> = {}): Job {
  return {
    metadata: { name, labels },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { labels },
        spec: { restartPolicy: 'Never', containers: [{ name: 'agent', image: 'buildkite/agent:3' }] },
      },
    },
  };
}

function value<T>(result: KubeResult<T>): T {
  if (!result.ok) throw new Error(`expected success, got ${result.error.kind}: ${result.error.message}`);
  return result.value;
}

function error<T>(result: KubeResult<T>): KubeError {
  if (result.ok) throw new Error('expected a failure');
  return result.error;
}

describe('KubeClient against the fake API server', () => {
  let kube: FakeKube;
  let client: KubeClient;

  beforeEach(async () => {
    kube = await startFakeKube({ jobController: false });
    client = new KubeClient({ kubeConfig: kube.kubeConfig, qps: 1000, burst: 1000 });
  });
  afterEach(async () => {
    await client.close();
    await kube.close();
  });

  it('creates and reads a Job with the bearer token, timestamps as Dates', async () => {
    const created = value(await client.jobs.create('default', job('build-1', { a: 'b' })));
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.spec?.template.metadata?.labels?.['job-name']).toBe('build-1');
    const read = value(await client.jobs.get('default', 'build-1'));
    expect(read.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);
    expect(read.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(kube.requestCounts()).toMatchObject({ 'create jobs': 1, 'get jobs': 1 });
  });

  it('fails with Unauthorized when the token is wrong', async () => {
    const config = new KubeConfig();
    config.loadFromOptions({
      clusters: [{ name: 'c', server: kube.url, skipTLSVerify: true }],
      users: [{ name: 'u', token: 'wrong' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const other = new KubeClient({ kubeConfig: config, qps: 10, burst: 10 });
    const failure = error(await other.jobs.get('default', 'nope'));
    expect(failure).toMatchObject({ kind: 'Unauthorized', code: 401, reason: 'Unauthorized' });
    await other.close();
  });

  it('reports AlreadyExists, NotFound and Conflict from the Status body', async () => {
    const created = value(await client.jobs.create('default', job('dup')));
    expect(error(await client.jobs.create('default', job('dup')))).toMatchObject({
      kind: 'AlreadyExists',
      code: 409,
      reason: 'AlreadyExists',
      message: 'jobs.batch "dup" already exists',
    });
    expect(error(await client.jobs.get('default', 'missing'))).toMatchObject({ kind: 'NotFound', code: 404 });
    const fresh = value(
      await client.jobs.update('default', {
        ...created,
        spec: { ...created.spec, template: created.spec?.template ?? {}, activeDeadlineSeconds: 5 },
      }),
    );
    expect(fresh.metadata?.generation).toBe(2);
    const stale = await client.jobs.update('default', {
      ...created,
      spec: { ...created.spec, template: created.spec?.template ?? {}, activeDeadlineSeconds: 1 },
    });
    expect(error(stale)).toMatchObject({ kind: 'Conflict', code: 409, reason: 'Conflict' });
  });

  it('reports Invalid with causes for a bad name and loses nothing else', async () => {
    const failure = error(await client.jobs.create('default', job('Bad_Name')));
    expect(failure.kind).toBe('Invalid');
    if (failure.kind !== 'Invalid') return;
    expect(failure.code).toBe(422);
    expect(failure.causes).toContainEqual(
      expect.objectContaining({ field: 'metadata.name', reason: 'FieldValueInvalid' }),
    );
    expect(failure.message).toMatch(/^Job\.batch "Bad_Name" is invalid: /);
    expect(value(await client.jobs.list('default')).items).toHaveLength(0);
  });

  it('reports NotFound for a missing namespace', async () => {
    expect(error(await client.jobs.create('nowhere', job('x')))).toMatchObject({
      kind: 'NotFound',
      message: 'namespaces "nowhere" not found',
    });
  });

  it('dry-runs a create without storing it', async () => {
    const dry = value(await client.jobs.create('default', job('dry'), { dryRun: true }));
    expect(dry.metadata?.name).toBe('dry');
    expect(error(await client.jobs.get('default', 'dry')).kind).toBe('NotFound');
  });

  it('retries a 429 or 5xx carrying Retry-After, as client-go does, and not one without', async () => {
    kube.faults.inject({
      verb: 'get',
      times: 2,
      action: { kind: 'status', code: 429, retryAfterSeconds: 0 },
    });
    kube.faults.inject({ verb: 'get', action: { kind: 'status', code: 503, retryAfterSeconds: 0 } });
    expect(error(await client.secrets.get('default', 's')).kind).toBe('NotFound');
    expect(kube.requestCounts()['get secrets']).toBe(4);
    kube.faults.inject({ verb: 'get', action: { kind: 'status', code: 500 } });
    expect(error(await client.secrets.get('default', 's')).kind).toBe('ServerError');
    expect(kube.requestCounts()['get secrets']).toBe(5);
  });

  it('maps injected 429 (with Retry-After), 403, 500 and 504 to typed errors', async () => {
    await client.close();
    client = new KubeClient({ kubeConfig: kube.kubeConfig, qps: 1000, burst: 1000, maxRetries: 0 });
    kube.faults.inject({
      verb: 'get',
      resource: 'secrets',
      action: { kind: 'status', code: 429, retryAfterSeconds: 7 },
    });
    expect(error(await client.secrets.get('default', 's'))).toMatchObject({
      kind: 'TooManyRequests',
      retryAfterSeconds: 7,
    });
    kube.faults.inject({ verb: 'get', action: { kind: 'status', code: 403 } });
    expect(error(await client.secrets.get('default', 's')).kind).toBe('Forbidden');
    kube.faults.inject({ verb: 'get', action: { kind: 'status', code: 500 } });
    expect(error(await client.secrets.get('default', 's')).kind).toBe('ServerError');
    kube.faults.inject({ verb: 'get', action: { kind: 'status', code: 504 } });
    expect(error(await client.secrets.get('default', 's')).kind).toBe('Timeout');
  });

  it('reports Gone for an expired continue token', async () => {
    for (const name of ['a', 'b', 'c']) value(await client.jobs.create('default', job(name)));
    const first = value(await client.jobs.list('default', { limit: 2 }));
    expect(first.items.map((j) => j.metadata?.name)).toEqual(['a', 'b']);
    expect(first.metadata?.remainingItemCount).toBe(1);
    const token = first.metadata?.continue;
    value(await client.jobs.create('default', job('d')));
    kube.store.compact();
    expect(error(await client.jobs.list('default', { limit: 2, continue: token ?? '' }))).toMatchObject({
      kind: 'Gone',
      code: 410,
      reason: 'Expired',
    });
  });

  it('lists with label selectors', async () => {
    value(
      await client.jobs.create(
        'default',
        job('one', { 'buildkite.com/job-uuid': 'u1', 'buildkite.com/controller-id': 'x' }),
      ),
    );
    value(await client.jobs.create('default', job('two', { 'buildkite.com/job-uuid': 'u2' })));
    const names = async (labelSelector: string) =>
      value(await client.jobs.list('default', { labelSelector })).items.map((j) => j.metadata?.name);
    expect(await names('buildkite.com/job-uuid,!buildkite.com/controller-id')).toEqual(['two']);
    expect(await names('buildkite.com/job-uuid,buildkite.com/controller-id=x')).toEqual(['one']);
    expect(await names('buildkite.com/job-uuid in (u1,u2)')).toEqual(['one', 'two']);
    expect(await names('buildkite.com/job-uuid notin (u1)')).toEqual(['two']);
    expect(error(await client.jobs.list('default', { labelSelector: 'a in (b' })).kind).toBe('BadRequest');
  });

  it('deletes a Job with Background propagation, taking its pods', async () => {
    await kube.close();
    kube = await startFakeKube({ jobControllerTickMs: 10 });
    await client.close();
    client = new KubeClient({ kubeConfig: kube.kubeConfig, qps: 1000, burst: 1000 });
    value(await client.jobs.create('default', job('with-pod')));
    for (let i = 0; i < 100 && kube.pods.podsOfJob('default', 'with-pod').length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const [pod] = kube.pods.podsOfJob('default', 'with-pod');
    expect(pod?.metadata.name).toMatch(/^with-pod-[a-z0-9]{5}$/);
    value(
      await client.jobs.delete('default', 'with-pod', {
        propagationPolicy: 'Background',
        gracePeriodSeconds: 0,
      }),
    );
    expect(kube.pods.podsOfJob('default', 'with-pod')).toHaveLength(0);
    expect(error(await client.pods.get('default', pod?.metadata.name ?? '')).kind).toBe('NotFound');
    expect(error(await client.pods.delete('default', pod?.metadata.name ?? '')).kind).toBe('NotFound');
    kube.store.create('pods', { metadata: { name: 'loose', namespace: 'default' } });
    const deleted = value(await client.pods.delete('default', 'loose', { gracePeriodSeconds: 0 }));
    expect(deleted).toMatchObject({ kind: 'Pod', metadata: { name: 'loose' } });
  });

  it('merge-patches a PodTemplate and dry-runs it', async () => {
    kube.store.create('podtemplates', {
      metadata: { name: 'tpl', namespace: 'default' },
      template: { spec: { containers: [{ name: 'a', image: 'x' }] } },
    });
    const dry = value(
      await client.podTemplates.patch(
        'default',
        'tpl',
        { metadata: { labels: { l: 'v' } } },
        { type: 'merge', dryRun: true },
      ),
    );
    expect(dry.metadata?.labels).toEqual({ l: 'v' });
    expect(value(await client.podTemplates.get('default', 'tpl')).metadata?.labels).toBeUndefined();
    const patched: PodTemplate = value(
      await client.podTemplates.patch(
        'default',
        'tpl',
        { metadata: { labels: { l: 'v' } } },
        { type: 'merge' },
      ),
    );
    expect(patched.metadata?.labels).toEqual({ l: 'v' });
  });

  it('retries get-update on Conflict until it applies', async () => {
    const created = value(await client.jobs.create('default', job('racy')));
    let calls = 0;
    const updated = value(
      await updateWithRetry(client.jobs, 'default', 'racy', (current) => {
        calls++;
        // A competing writer bumps the object after our first read.
        if (calls === 1)
          kube.store.mutate('jobs', 'default', 'racy', (j) => (j.metadata.labels = { other: 'x' }));
        return {
          ...current,
          spec: { ...current.spec, template: current.spec?.template ?? {}, activeDeadlineSeconds: 1 },
        };
      }),
    );
    expect(calls).toBe(2);
    expect(updated.spec?.activeDeadlineSeconds).toBe(1);
    expect(updated.metadata?.labels).toEqual({ other: 'x' });
    expect(Number(updated.metadata?.resourceVersion)).toBeGreaterThan(
      Number(created.metadata?.resourceVersion),
    );
  });

  it('gives up on Conflict after the attempt limit', async () => {
    let attempts = 0;
    const result = await retryOnConflict(
      () => {
        attempts++;
        return Promise.resolve({
          ok: false,
          error: { kind: 'Conflict', code: 409, reason: 'Conflict', message: 'x' },
        } as const);
      },
      { attempts: 3, backoff: { baseMs: 1, maxMs: 1 } },
    );
    expect(attempts).toBe(3);
    expect(error(result).kind).toBe('Conflict');
  });

  it('times out a stalled request and reports a closed server as a network error', async () => {
    const impatient = new KubeClient({
      kubeConfig: kube.kubeConfig,
      qps: 100,
      burst: 100,
      requestTimeoutMs: 50,
    });
    kube.faults.inject({ verb: 'get', action: { kind: 'stall' } });
    expect(error(await impatient.jobs.get('default', 'x')).kind).toBe('Timeout');
    kube.faults.inject({ verb: 'get', action: { kind: 'drop' } });
    expect(error(await impatient.jobs.get('default', 'x')).kind).toBe('Network');
    await impatient.close();
  });

  it('returns Aborted when the caller aborts', async () => {
    kube.faults.inject({ verb: 'get', action: { kind: 'stall' } });
    const controller = new AbortController();
    const pending = client.jobs.get('default', 'x', { signal: controller.signal });
    setTimeout(() => {
      controller.abort();
    }, 10);
    expect(error(await pending).kind).toBe('Aborted');
  });

  it('creates, reads and updates a Lease with MicroTime renewals', async () => {
    const renewTime = new Date('2026-03-04T05:06:07.891Z');
    const created = value(
      await client.leases.create('default', {
        metadata: { name: 'agent-stack-k8s' },
        spec: { holderIdentity: 'pod-a', leaseDurationSeconds: 15, renewTime },
      }),
    );
    const stored = kube.store.get('leases', 'default', 'agent-stack-k8s');
    expect((stored?.spec as { renewTime?: string } | undefined)?.renewTime).toBe(
      '2026-03-04T05:06:07.891000Z',
    );
    expect(created.spec?.renewTime).toEqual(renewTime);
    const read = value(await client.leases.get('default', 'agent-stack-k8s'));
    const renewed = value(
      await client.leases.update('default', {
        ...read,
        spec: { ...read.spec, holderIdentity: 'pod-b' },
      }),
    );
    expect(renewed.spec?.holderIdentity).toBe('pod-b');
    expect(error(await client.leases.update('default', read)).kind).toBe('Conflict');
  });

  it('lists Events for one object with a field selector', async () => {
    kube.pods.addEvent({
      namespace: 'default',
      involvedObject: { kind: 'Job', name: 'j1' },
      type: 'Warning',
      reason: 'FailedCreate',
      message: 'quota',
    });
    kube.pods.addEvent({
      namespace: 'default',
      involvedObject: { kind: 'Job', name: 'j2' },
      type: 'Normal',
      reason: 'SuccessfulCreate',
      message: 'ok',
    });
    const events = value(
      await client.events.list('default', {
        fieldSelector: 'involvedObject.kind=Job,involvedObject.name=j1',
      }),
    );
    expect(events.items.map((e) => e.reason)).toEqual(['FailedCreate']);
    expect(events.items[0]?.lastTimestamp).toBeInstanceOf(Date);
  });

  it('sends strategic-merge patches with their content type (the fake answers 415)', async () => {
    const failure = error(
      await client.podTemplates.patch(
        'default',
        'tpl',
        { template: {} },
        { type: 'strategic-merge', dryRun: true },
      ),
    );
    expect(failure).toMatchObject({ code: 415, reason: 'UnsupportedMediaType' });
    expect(failure.message).toContain('application/strategic-merge-patch+json');
  });
});
