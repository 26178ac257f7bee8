import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeKube, type FakeKube } from './index.js';

interface Line {
  type: string;
  object: { kind?: string; apiVersion?: string; metadata: Record<string, unknown>; [key: string]: unknown };
}

describe('fake API server over HTTP', () => {
  let kube: FakeKube;

  beforeEach(async () => {
    kube = await startFakeKube({ jobController: false, bookmarkIntervalMs: 20 });
  });
  afterEach(async () => {
    await kube.close();
  });

  function call(path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${kube.url}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${kube.token}`,
        ...(init.headers as Record<string, string> | undefined),
      },
    });
  }

  /** Reads watch lines until `enough` says stop (bounded by the watch's own timeoutSeconds). */
  async function watchLines(path: string, enough: (lines: Line[]) => boolean): Promise<Line[]> {
    const controller = new AbortController();
    const response = await call(path, { signal: controller.signal });
    expect(response.status).toBe(200);
    const lines: Line[] = [];
    let buffered = '';
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        buffered += decoder.decode(chunk, { stream: true });
        const parts = buffered.split('\n');
        buffered = parts.pop() ?? '';
        lines.push(...parts.filter((p) => p !== '').map((p) => JSON.parse(p) as Line));
        if (enough(lines)) break;
      }
    } finally {
      controller.abort();
    }
    return lines;
  }

  function createJob(name: string, labels: Record<string, string> = {}): void {
    const result = kube.store.create('jobs', {
      metadata: { name, namespace: 'default', labels },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'a', image: 'i' }] } } },
    });
    if (!result.ok) throw new Error(result.reason);
  }

  it('requires the bearer token', async () => {
    const response = await fetch(`${kube.url}/api/v1/namespaces/default/pods`);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
  });

  it('answers JSON even when protobuf is preferred, with lists shaped as the real server', async () => {
    createJob('a');
    const response = await call('/apis/batch/v1/namespaces/default/jobs', {
      headers: { accept: 'application/vnd.kubernetes.protobuf, application/json' },
    });
    expect(response.headers.get('content-type')).toBe('application/json');
    const list = (await response.json()) as { kind: string; metadata: object; items: object[] };
    expect(list.kind).toBe('JobList');
    expect(list.metadata).toEqual({ resourceVersion: String(kube.store.resourceVersion) });
    expect(list.items[0]).not.toHaveProperty('kind');
    expect(list.items[0]).toMatchObject({ metadata: { name: 'a' } });
  });

  it('streams initial events, the initial-events-end bookmark, then changes and periodic bookmarks', async () => {
    createJob('a');
    const lines = await watchLines(
      '/apis/batch/v1/namespaces/default/jobs?watch=true&allowWatchBookmarks=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan',
      (seen) => {
        if (seen.length === 2) createJob('b');
        const added = seen.findIndex((l) => l.type === 'ADDED' && l.object.metadata.name === 'b');
        return added > 0 && seen.length > added + 1;
      },
    );
    expect(lines[0]).toMatchObject({ type: 'ADDED', object: { kind: 'Job', metadata: { name: 'a' } } });
    expect(lines[1]).toEqual({
      type: 'BOOKMARK',
      object: {
        kind: 'Job',
        apiVersion: 'batch/v1',
        metadata: {
          resourceVersion: lines[0]?.object.metadata.resourceVersion,
          annotations: { 'k8s.io/initial-events-end': 'true' },
        },
      },
    });
    // Periodic bookmarks may come before b's ADDED under load; one follows it, at b's resourceVersion.
    const changes = lines.slice(2).filter((l) => l.type !== 'BOOKMARK');
    expect(changes).toMatchObject([{ type: 'ADDED', object: { metadata: { name: 'b' } } }]);
    expect(lines[lines.length - 1]).toEqual({
      type: 'BOOKMARK',
      object: {
        kind: 'Job',
        apiVersion: 'batch/v1',
        metadata: { resourceVersion: String(kube.store.resourceVersion) },
      },
    });
  });

  it('resumes from a resourceVersion and turns a label change out of the selector into DELETED', async () => {
    createJob('a', { keep: 'yes' });
    const from = kube.store.resourceVersion;
    kube.store.mutate('jobs', 'default', 'a', (job) => {
      job.metadata.labels = { keep: 'yes', touched: '1' };
    });
    kube.store.mutate('jobs', 'default', 'a', (job) => {
      job.metadata.labels = { keep: 'no' };
    });
    const lines = await watchLines(
      `/apis/batch/v1/namespaces/default/jobs?watch=1&resourceVersion=${from}&labelSelector=keep%3Dyes`,
      (seen) => seen.length >= 2,
    );
    expect(lines.map((l) => l.type)).toEqual(['MODIFIED', 'DELETED']);
    expect(lines[1]?.object.metadata.labels).toEqual({ keep: 'no' });
  });

  it('sends the real 410 Expired Status for a compacted resourceVersion, then ends', async () => {
    createJob('a');
    const old = kube.store.resourceVersion - 1;
    createJob('b');
    kube.store.compact();
    const lines = await watchLines(
      `/apis/batch/v1/namespaces/default/jobs?watch=true&resourceVersion=${old}`,
      () => false,
    );
    expect(lines).toEqual([
      {
        type: 'ERROR',
        object: {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: `too old resource version: ${old} (${kube.store.resourceVersion})`,
          reason: 'Expired',
          code: 410,
        },
      },
    ]);
  });

  it('ends a watch after timeoutSeconds', async () => {
    const lines = await watchLines(
      '/api/v1/namespaces/default/pods?watch=true&timeoutSeconds=0',
      () => false,
    );
    expect(lines).toEqual([]);
  });

  it('answers 415 for patch types other than merge patch', async () => {
    kube.store.create('podtemplates', { metadata: { name: 't', namespace: 'default' } });
    const response = await call('/api/v1/namespaces/default/podtemplates/t', {
      method: 'PATCH',
      headers: { 'content-type': 'application/strategic-merge-patch+json' },
      body: '{}',
    });
    expect(response.status).toBe(415);
    expect(await response.json()).toMatchObject({ reason: 'UnsupportedMediaType' });
  });

  it('rejects a body that is not JSON with 400 and stores nothing', async () => {
    const response = await call('/apis/batch/v1/namespaces/default/jobs', { method: 'POST', body: '{nope' });
    expect(response.status).toBe(400);
    expect(kube.store.list('jobs')).toEqual([]);
  });

  it('names the invalid fields of a Job the way kube-apiserver does', async () => {
    const response = await call('/apis/batch/v1/namespaces/default/jobs', {
      method: 'POST',
      body: JSON.stringify({ metadata: { name: 'ok' }, spec: { template: { spec: { containers: [] } } } }),
    });
    expect(response.status).toBe(422);
    const body = (await response.json()) as { message: string; details: { causes: { field: string }[] } };
    expect(body.details.causes.map((c) => c.field)).toEqual([
      'spec.template.spec.containers',
      'spec.template.spec.restartPolicy',
    ]);
    expect(body.message).toBe(
      'Job.batch "ok" is invalid: [spec.template.spec.containers: Required value, spec.template.spec.restartPolicy: Unsupported value: "": supported values: "OnFailure", "Never"]',
    );
  });

  it('orphans, keeps on dry run, or deletes a Job’s pods by propagation policy', async () => {
    createJob('j');
    const job = kube.store.get('jobs', 'default', 'j');
    const owner = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      name: 'j',
      uid: job?.metadata.uid ?? '',
      controller: true,
    };
    kube.store.create('pods', { metadata: { name: 'p', namespace: 'default', ownerReferences: [owner] } });
    const del = (body: object) =>
      call('/apis/batch/v1/namespaces/default/jobs/j', { method: 'DELETE', body: JSON.stringify(body) });

    expect((await del({ propagationPolicy: 'Background', dryRun: ['All'] })).status).toBe(200);
    expect(kube.store.get('jobs', 'default', 'j')).toBeDefined();
    expect((await del({ propagationPolicy: 'Orphan' })).status).toBe(200);
    expect(kube.store.get('pods', 'default', 'p')?.metadata.ownerReferences).toEqual([]);

    createJob('k');
    const k = kube.store.get('jobs', 'default', 'k');
    kube.store.create('pods', {
      metadata: {
        name: 'q',
        namespace: 'default',
        ownerReferences: [{ ...owner, name: 'k', uid: k?.metadata.uid ?? '' }],
      },
    });
    const response = await call('/apis/batch/v1/namespaces/default/jobs/k', {
      method: 'DELETE',
      body: JSON.stringify({ propagationPolicy: 'Foreground' }),
    });
    expect(await response.json()).toMatchObject({
      kind: 'Status',
      status: 'Success',
      details: { name: 'k', kind: 'jobs' },
    });
    expect(kube.store.get('pods', 'default', 'q')).toBeUndefined();
  });

  it('counts requests per verb and resource', async () => {
    await call('/api/v1/namespaces/default/pods');
    await call('/api/v1/namespaces/default/pods/x');
    await call('/api/v1/namespaces/default/pods/x');
    expect(kube.requestCounts()).toEqual({ 'get pods': 2, 'list pods': 1 });
  });
});
