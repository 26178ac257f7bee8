import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeKube, type FakeKube } from '../../sim/kube/index.js';
import { createLogger } from '../observability/logger.js';
import { KubeClient } from './client.js';
import {
  createInformerMetrics,
  Informer,
  isTombstone,
  type InformerHandler,
  type InformerMetrics,
  type InformerOptions,
} from './informer.js';
import { projectJob, projectPod } from './projection.js';
import { watchLabelSelector } from './scope.js';
import type { Job, Pod } from './types.js';

async function until(condition: () => boolean, what: string, limitMs = 5000): Promise<void> {
  for (let waited = 0; waited < limitMs; waited += 5) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface Recorded {
  type: 'add' | 'update' | 'delete';
  name: string;
  initial?: boolean;
  tombstone?: boolean;
}

function recorder(): { events: Recorded[]; handler: InformerHandler<Job> } {
  const events: Recorded[] = [];
  return {
    events,
    handler: {
      onAdd: (job, initial) => {
        events.push({ type: 'add', name: job.metadata?.name ?? '', initial });
      },
      onUpdate: (_old, job) => {
        events.push({ type: 'update', name: job.metadata?.name ?? '' });
      },
      onDelete: (job) => {
        const object = isTombstone(job) ? job.object : job;
        events.push({ type: 'delete', name: object.metadata?.name ?? '', tombstone: isTombstone(job) });
      },
    },
  };
}

function jobObject(name: string, labels: Record<string, string> = { 'buildkite.com/job-uuid': name }) {
  return {
    metadata: { name, namespace: 'default', labels, annotations: { big: 'x'.repeat(100) } },
    spec: {
      backoffLimit: 0,
      template: {
        spec: { restartPolicy: 'Never', containers: [{ name: 'agent', image: 'buildkite/agent:3' }] },
      },
    },
  };
}

describe('Informer against the fake API server', () => {
  let kube: FakeKube;
  let client: KubeClient;
  let registry: Registry;
  let metrics: InformerMetrics;
  let logLines: string[];
  let informer: Informer<Job> | undefined;

  beforeEach(async () => {
    kube = await startFakeKube({ jobController: false, bookmarkIntervalMs: 50 });
    client = new KubeClient({ kubeConfig: kube.kubeConfig, qps: 1000, burst: 1000 });
    registry = new Registry();
    metrics = createInformerMetrics(registry);
    logLines = [];
  });
  afterEach(async () => {
    await informer?.stop();
    informer = undefined;
    await client.close();
    await kube.close();
  });

  function jobInformer(overrides: Partial<InformerOptions<Job>> = {}): Informer<Job> {
    informer = new Informer<Job>({
      resource: 'jobs',
      namespace: 'default',
      source: client.jobs,
      labelSelector: 'buildkite.com/job-uuid',
      logger: createLogger({ format: 'json', level: 'debug', write: (line) => logLines.push(line) }),
      metrics,
      backoff: { baseMs: 5, maxMs: 20 },
      idleTimeoutMs: 5000,
      pageSize: 2,
      ...overrides,
    });
    return informer;
  }

  async function metric(name: string, labels: Record<string, string>): Promise<number> {
    const found = await registry.getSingleMetric(name)?.get();
    return (
      found?.values
        .filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))
        .reduce((sum, v) => sum + v.value, 0) ?? 0
    );
  }

  function create(name: string, labels?: Record<string, string>): void {
    const result = kube.store.create('jobs', jobObject(name, labels));
    if (!result.ok) throw new Error(result.reason);
  }

  it('lists in pages, then delivers watch events; the selector keeps other Jobs out', async () => {
    for (const name of ['a', 'b', 'c', 'd', 'e']) create(name);
    create('foreign', { other: 'x' });
    const { events, handler } = recorder();
    const jobs = jobInformer();
    jobs.addHandler(handler);
    jobs.start();
    expect(await jobs.waitForSync()).toBe(true);
    expect(events).toEqual(['a', 'b', 'c', 'd', 'e'].map((name) => ({ type: 'add', name, initial: true })));
    expect(kube.requestCounts()['list jobs']).toBe(3);

    create('f');
    kube.store.mutate('jobs', 'default', 'a', (j) => {
      j.status = { active: 1 };
    });
    kube.store.delete('jobs', 'default', 'b');
    await until(() => events.length === 8, 'watch events');
    expect(events.slice(5)).toEqual([
      { type: 'add', name: 'f', initial: false },
      { type: 'update', name: 'a' },
      { type: 'delete', name: 'b', tombstone: false },
    ]);
    expect(
      jobs
        .list()
        .map((j) => j.metadata?.name)
        .sort(),
    ).toEqual(['a', 'c', 'd', 'e', 'f']);
    expect(await metric('buildkite_informer_cache_objects', { resource: 'jobs' })).toBe(5);
  });

  it('replays the cache to a late handler as initial adds', async () => {
    create('a');
    create('b');
    const jobs = jobInformer();
    jobs.start();
    await jobs.waitForSync();
    const { events, handler } = recorder();
    jobs.addHandler(handler);
    expect(events).toEqual([
      { type: 'add', name: 'a', initial: true },
      { type: 'add', name: 'b', initial: true },
    ]);
    create('c');
    await until(() => events.length === 3, 'add of c');
    expect(events[2]).toEqual({ type: 'add', name: 'c', initial: false });
  });

  it('keeps going when handlers throw or reject; the failures are logged and counted', async () => {
    const seen: string[] = [];
    const jobs = jobInformer();
    jobs.addHandler({
      onAdd: (job) => {
        if (job.metadata?.name === 'boom') throw new Error('handler boom');
      },
    });
    jobs.addHandler({
      onAdd: (job) =>
        job.metadata?.name === 'async-boom' ? Promise.reject(new Error('async boom')) : undefined,
    });
    jobs.addHandler({ onAdd: (job) => void seen.push(job.metadata?.name ?? '') });
    jobs.start();
    await jobs.waitForSync();
    create('boom');
    create('async-boom');
    create('fine');
    await until(() => seen.length === 3, 'all adds');
    await until(
      () => logLines.filter((l) => l.includes('informer handler failed')).length === 2,
      'error logs',
    );
    expect(seen).toEqual(['boom', 'async-boom', 'fine']);
    expect(await metric('buildkite_informer_handler_errors_total', { resource: 'jobs', event: 'add' })).toBe(
      2,
    );
  });

  it('caches projected Jobs and Pods only with the fields the controller reads', async () => {
    create('a');
    const projected = jobInformer({ project: projectJob });
    projected.start();
    await projected.waitForSync();
    const job = projected.get('default', 'a');
    expect(job?.metadata?.labels).toEqual({ 'buildkite.com/job-uuid': 'a' });
    expect(job?.metadata?.annotations).toBeUndefined();
    expect(job?.spec).toEqual({ template: {} });
    await projected.stop();

    const full = jobInformer({ resource: 'jobs-full' });
    full.start();
    await full.waitForSync();
    expect(full.get('default', 'a')?.metadata?.annotations).toEqual({ big: 'x'.repeat(100) });
    expect(full.get('default', 'a')?.spec?.template.spec?.containers).toHaveLength(1);

    const pod: Pod = {
      metadata: { name: 'p', namespace: 'n', labels: { a: 'b' }, annotations: { x: 'y' }, finalizers: ['f'] },
      spec: {
        containers: [{ name: 'agent', image: 'i' }],
        initContainers: [{ name: 'copy-agent', image: 'i', restartPolicy: 'Always' }],
        volumes: [{ name: 'v' }],
        nodeName: 'n1',
        terminationGracePeriodSeconds: 60,
      },
      status: { phase: 'Running', podIP: '10.0.0.1', hostIP: '10.0.0.2', containerStatuses: [] },
    };
    expect(projectPod(pod)).toEqual({
      metadata: { name: 'p', namespace: 'n', labels: { a: 'b' } },
      spec: {
        containers: [],
        initContainers: [{ name: 'copy-agent', image: 'i', restartPolicy: 'Always' }],
        terminationGracePeriodSeconds: 60,
      },
      status: { phase: 'Running', containerStatuses: [] },
    });
  });

  it('resumes a dropped watch from its resourceVersion without relisting or losing events', async () => {
    create('a');
    const { events, handler } = recorder();
    const jobs = jobInformer();
    jobs.addHandler(handler);
    jobs.start();
    await jobs.waitForSync();
    await until(() => kube.faults.openWatches('jobs') === 1, 'watch open');
    kube.faults.inject({ verb: 'watch', resource: 'jobs', times: 2, action: { kind: 'drop' } });
    expect(kube.faults.dropWatches('jobs')).toBe(1);
    create('b');
    kube.store.delete('jobs', 'default', 'a');
    await until(() => events.length === 3, 'events after reconnect');
    expect(events.slice(1)).toEqual([
      { type: 'add', name: 'b', initial: false },
      { type: 'delete', name: 'a', tombstone: false },
    ]);
    expect(kube.requestCounts()['list jobs']).toBe(1);
    expect(await metric('buildkite_informer_relists_total', { resource: 'jobs' })).toBe(1);
  });

  it('relists on 410 Expired after compaction: no duplicate adds, deletions tombstoned', async () => {
    await kube.close();
    kube = await startFakeKube({ jobController: false, historyLimit: 2, bookmarkIntervalMs: 60_000 });
    await client.close();
    client = new KubeClient({ kubeConfig: kube.kubeConfig, qps: 1000, burst: 1000 });
    create('a');
    create('b');
    const { events, handler } = recorder();
    const jobs = jobInformer();
    jobs.addHandler(handler);
    jobs.start();
    await jobs.waitForSync();
    await until(() => kube.faults.openWatches('jobs') === 1, 'watch open');
    // Changes the informer cannot see (its watch is refused) until the history no longer reaches back.
    kube.faults.inject({ verb: 'watch', resource: 'jobs', times: 1, action: { kind: 'status', code: 500 } });
    kube.faults.dropWatches('jobs');
    kube.store.delete('jobs', 'default', 'b');
    for (const name of ['c', 'd', 'e']) create(name);
    await until(
      () => jobs.size === 4 && !jobs.list().some((j) => j.metadata?.name === 'b'),
      'relisted cache',
    );
    // Initial list: one page; relist of four Jobs: two pages of two.
    expect(kube.requestCounts()['list jobs']).toBe(3);
    expect(await metric('buildkite_informer_relists_total', { resource: 'jobs', reason: 'expired' })).toBe(1);
    const adds = events.filter((e) => e.type === 'add').map((e) => e.name);
    expect(adds.sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(events).toContainEqual({ type: 'update', name: 'a' });
    expect(events).toContainEqual({ type: 'delete', name: 'b', tombstone: true });
  });

  it('relists after an injected in-stream 410 ERROR event', async () => {
    create('a');
    const { events, handler } = recorder();
    const jobs = jobInformer();
    jobs.addHandler(handler);
    jobs.start();
    await jobs.waitForSync();
    kube.faults.inject({ verb: 'watch', resource: 'jobs', action: { kind: 'expired' } });
    kube.faults.dropWatches('jobs');
    await until(() => kube.requestCounts()['list jobs'] === 2, 'relist');
    create('b');
    await until(() => events.some((e) => e.name === 'b'), 'add of b');
    expect(events.filter((e) => e.type === 'add').map((e) => e.name)).toEqual(['a', 'b']);
  });

  it('re-opens a silent watch after the idle timeout and catches up', async () => {
    await kube.close();
    kube = await startFakeKube({ jobController: false, bookmarkIntervalMs: 60_000 });
    await client.close();
    client = new KubeClient({ kubeConfig: kube.kubeConfig, qps: 1000, burst: 1000 });
    const { events, handler } = recorder();
    const jobs = jobInformer({ idleTimeoutMs: 100 });
    jobs.addHandler(handler);
    jobs.start();
    await jobs.waitForSync();
    await until(() => kube.faults.openWatches('jobs') === 1, 'watch open');
    kube.faults.stallWatches('jobs');
    // The next open stalls too (headers sent, then silence), then the watch works again.
    kube.faults.inject({ verb: 'watch', resource: 'jobs', action: { kind: 'stall' } });
    create('late');
    await until(() => events.some((e) => e.name === 'late'), 'event after stall');
    expect(
      await metric('buildkite_informer_watch_restarts_total', { resource: 'jobs', reason: 'idle' }),
    ).toBe(2);
    expect(kube.requestCounts()['list jobs']).toBe(1);
  });

  it('keeps a watch that only receives bookmarks alive', async () => {
    const jobs = jobInformer({ idleTimeoutMs: 300 });
    jobs.start();
    await jobs.waitForSync();
    await until(() => logLines.length > 0 && kube.faults.openWatches('jobs') === 1, 'watch open');
    const before = kube.requestCounts()['watch jobs'];
    // Ten bookmarks 50 ms apart span well over the 300 ms idle timeout.
    let bookmarks = 0;
    for (let i = 0; i < 200 && bookmarks < 10; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      bookmarks = await metric('buildkite_informer_events_total', { resource: 'jobs', type: 'BOOKMARK' });
    }
    expect(bookmarks).toBeGreaterThanOrEqual(10);
    expect(kube.requestCounts()['watch jobs']).toBe(before);
    expect(await metric('buildkite_informer_watch_restarts_total', { resource: 'jobs' })).toBe(0);
  });

  it('retries a failing list with bounded backoff: one request per attempt, then syncs', async () => {
    create('a');
    kube.faults.inject({ verb: 'list', resource: 'jobs', times: 4, action: { kind: 'status', code: 500 } });
    kube.faults.inject({
      verb: 'list',
      resource: 'jobs',
      action: { kind: 'status', code: 429, retryAfterSeconds: 1 },
    });
    // The informer, not the client, handles the 429 here; its wait is capped by the backoff maximum.
    await client.close();
    client = new KubeClient({ kubeConfig: kube.kubeConfig, qps: 1000, burst: 1000, maxRetries: 0 });
    const jobs = jobInformer({ source: client.jobs });
    jobs.start();
    expect(await jobs.waitForSync()).toBe(true);
    expect(kube.requestCounts()['list jobs']).toBe(6);
  });

  it('recovers from watch opens that fail with 500, 429 and dropped connections', async () => {
    const { events, handler } = recorder();
    const jobs = jobInformer();
    jobs.addHandler(handler);
    jobs.start();
    await jobs.waitForSync();
    kube.faults.inject({ verb: 'watch', resource: 'jobs', action: { kind: 'status', code: 500 } });
    kube.faults.inject({
      verb: 'watch',
      resource: 'jobs',
      action: { kind: 'status', code: 429, retryAfterSeconds: 0 },
    });
    kube.faults.inject({ verb: 'watch', resource: 'jobs', action: { kind: 'drop' } });
    kube.faults.inject({ verb: 'watch', resource: 'jobs', action: { kind: 'delay', ms: 20 } });
    const watchesBefore = kube.requestCounts()['watch jobs'] ?? 0;
    kube.faults.dropWatches('jobs');
    create('x');
    await until(() => events.some((e) => e.name === 'x'), 'event after faults');
    expect((kube.requestCounts()['watch jobs'] ?? 0) - watchesBefore).toBe(4);
    expect(kube.requestCounts()['list jobs']).toBe(1);
  });

  it('stops cleanly: no open watch remains and waitForSync resolves false when never synced', async () => {
    const jobs = jobInformer();
    jobs.start();
    await jobs.waitForSync();
    await until(() => kube.faults.openWatches('jobs') === 1, 'watch open');
    await jobs.stop();
    await until(() => kube.faults.openWatches('jobs') === 0, 'watch closed');

    kube.faults.inject({ verb: 'list', resource: 'jobs', times: Infinity, action: { kind: 'stall' } });
    const never = jobInformer({ resource: 'never' });
    never.start();
    const synced = never.waitForSync();
    await never.stop();
    expect(await synced).toBe(false);
    expect(await never.waitForSync()).toBe(false);
    expect(await jobs.waitForSync(AbortSignal.abort())).toBe(true);
  });
});

describe('Pod informer over the fake Job controller', () => {
  it('sees a Job’s pod through its lifecycle, projected, and its deletion with the Job', async () => {
    const kube = await startFakeKube({ jobControllerTickMs: 10 });
    const client = new KubeClient({ kubeConfig: kube.kubeConfig, qps: 1000, burst: 1000 });
    const pods = new Informer<Pod>({
      resource: 'pods',
      namespace: 'default',
      source: client.pods,
      labelSelector: watchLabelSelector('blue'),
      project: projectPod,
      logger: createLogger({ format: 'json', level: 'error', write: () => undefined }),
      metrics: createInformerMetrics(new Registry()),
    });
    const history: string[] = [];
    pods.addHandler({
      onAdd: (pod) => {
        history.push(`add ${pod.status?.phase ?? ''}`);
      },
      onUpdate: (_old, pod) => {
        const waiting = pod.status?.containerStatuses?.find((s) => s.state?.waiting)?.state?.waiting?.reason;
        history.push(`update ${pod.status?.phase ?? ''}${waiting === undefined ? '' : ` ${waiting}`}`);
      },
      onDelete: (pod) => {
        history.push(`delete${isTombstone(pod) ? ' tombstone' : ''}`);
      },
    });
    pods.start();
    try {
      await pods.waitForSync();
      const labels = { 'buildkite.com/job-uuid': 'u1', 'buildkite.com/controller-id': 'blue' };
      const created = await client.jobs.create('default', {
        metadata: { name: 'buildkite-u1', labels },
        spec: {
          backoffLimit: 0,
          template: {
            metadata: { labels },
            spec: { restartPolicy: 'Never', containers: [{ name: 'agent', image: 'buildkite/agent:3' }] },
          },
        },
      });
      expect(created.ok).toBe(true);
      await until(() => pods.size === 1, 'pod add');
      const pod = pods.list()[0];
      const name = pod?.metadata?.name ?? '';
      expect(pod?.metadata?.ownerReferences).toBeUndefined();
      expect(pod?.spec?.containers).toEqual([]);
      expect(pod?.metadata?.labels?.['job-name']).toBe('buildkite-u1');

      kube.pods.imagePullFailure('default', name, 'agent', 'ImagePullBackOff');
      await until(() => history.length === 2, 'image pull update');
      kube.pods.run('default', name);
      await until(() => history.length === 3, 'running update');
      const deleted = await client.jobs.delete('default', 'buildkite-u1', {
        propagationPolicy: 'Background',
      });
      expect(deleted.ok).toBe(true);
      await until(() => pods.size === 0, 'pod delete');
      expect(history).toEqual(['add Pending', 'update Pending ImagePullBackOff', 'update Running', 'delete']);
    } finally {
      await pods.stop();
      await client.close();
      await kube.close();
    }
  });
});
