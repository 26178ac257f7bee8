import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBuildkiteSim, type BuildkiteSim } from '../../../sim/buildkite/server.js';
import { createLogger } from '../../observability/logger.js';
import type { ApiResult } from '../types.js';
import { StacksJobSource } from './client.js';

const logger = createLogger({ format: 'json', level: 'error', write: () => undefined });
const TOKEN = 'bkct_test';

function value<T>(res: ApiResult<T>): T {
  if (!res.ok) throw new Error(`expected success, got ${res.error.kind}: ${res.error.message}`);
  return res.value;
}

describe('StacksJobSource against the simulator', () => {
  let sim: BuildkiteSim;
  let source: StacksJobSource;
  let delays: number[];
  let now: number;

  const makeSource = (overrides: { agentToken?: string; queueKey?: string } = {}): StacksJobSource =>
    new StacksJobSource({
      endpoint: sim.agentEndpoint,
      agentToken: overrides.agentToken ?? TOKEN,
      timeoutMs: 2000,
      version: '1.2.3',
      logger,
      stackKey: 'my-stack',
      queueKey: overrides.queueKey ?? '_default',
      retry: { attempts: 5, baseMs: 4, maxMs: 8, maxRetryAfterMs: 5000 },
      sleep: (ms) => {
        delays.push(ms);
        return Promise.resolve();
      },
      notifications: { intervalMs: 10 },
      now: () => now,
    });

  beforeEach(async () => {
    now = Date.parse('2026-01-01T00:00:00Z');
    delays = [];
    sim = await startBuildkiteSim({ agentToken: TOKEN, clock: () => now });
    source = makeSource();
  });
  afterEach(async () => {
    await source.close();
    await sim.close();
  });

  it('registers the stack and sends the Go client headers', async () => {
    const reg = value(await source.register());
    expect(reg).toEqual({ key: 'my-stack', clusterQueueKey: '_default' });
    const req = sim.requests.find((r) => r.endpoint === 'register-stack');
    expect(req?.headers['user-agent']).toBe('agent-stack-k8s/1.2.3 stackspi/v1.0.0');
    expect(req?.headers.authorization).toBe(`Token ${TOKEN}`);
    expect(req?.headers.accept).toBe('application/json');
    expect(sim.model.stacks.get('my-stack')?.type).toBe('kubernetes');
  });

  it('lists scheduled jobs oldest first, page by page, without reserved jobs', async () => {
    value(await source.register());
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(sim.createJob({ command: `echo ${i}`, priority: i }).id);
      now += 1000;
    }
    value(await source.reserveJobs([ids[1] ?? ''], 60));

    const first = value(await source.listScheduledJobs({ limit: 2 }));
    expect(first.jobs.map((j) => j.id)).toEqual([ids[0], ids[2]]);
    expect(first.hasNextPage).toBe(true);
    expect(first.jobs[0]?.scheduledAt).toBe('2026-01-01T00:00:00.000Z');
    expect(first.jobs[1]?.priority).toBe(2);

    const second = value(await source.listScheduledJobs({ limit: 2, after: first.endCursor ?? '' }));
    expect(second.jobs.map((j) => j.id)).toEqual([ids[3], ids[4]]);
    expect(second.hasNextPage).toBe(false);
    expect(second.queuePaused).toBe(false);

    const url = sim.requests.filter((r) => r.endpoint === 'list-scheduled-jobs')[0]?.url;
    expect(url).toBe('/v3/stacks/my-stack/scheduled-jobs?queue_key=_default&limit=2');
  });

  it('returns the queue and build fields of a listed job', async () => {
    value(await source.register());
    sim.createJob({ command: 'x', agentQueryRules: ['os=linux'], stepKey: 'build', branch: 'dev' });
    const [job] = value(await source.listScheduledJobs({})).jobs;
    expect(job?.agentQueryRules).toEqual(['os=linux']);
    expect(job?.step.key).toBe('build');
    expect(job?.build.branch).toBe('dev');
    expect(job?.pipeline.slug).toBe('sim-pipeline');
  });

  it('reports a paused queue', async () => {
    value(await source.register());
    sim.pauseQueue('_default', true);
    expect(value(await source.listScheduledJobs({})).queuePaused).toBe(true);
  });

  it('reserves jobs, hides them, and lists them again once the reservation expires', async () => {
    value(await source.register());
    const a = sim.createJob({ command: 'a' }).id;
    const b = sim.createJob({ command: 'b' }).id;
    sim.cancelJob(b);
    const res = value(await source.reserveJobs([a, b, 'unknown'], 0));
    expect(res).toEqual({ reserved: [a], notReserved: [b, 'unknown'] });
    expect(value(await source.getJobStates([a])).get(a)).toBe('reserved');
    expect(value(await source.listScheduledJobs({})).jobs).toEqual([]);

    now += 899_000; // server default expiry is 900 s
    expect(value(await source.listScheduledJobs({})).jobs).toEqual([]);
    now += 1000;
    expect(value(await source.listScheduledJobs({})).jobs.map((j) => j.id)).toEqual([a]);
    expect(sim.job(a)?.state).toBe('scheduled');
  });

  it('sends reservation_expiry_seconds only when set and chunks by 1000', async () => {
    value(await source.register());
    const ids = Array.from(
      { length: 1500 },
      (_, i) => `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
    );
    const res = value(await source.reserveJobs(ids, 30));
    expect(res.notReserved).toHaveLength(1500);
    expect(sim.requestCounts()['batch-reserve']).toBe(2);
  });

  it('extends a reservation when the same stack reserves again', async () => {
    value(await source.register());
    const a = sim.createJob({ command: 'a' }).id;
    value(await source.reserveJobs([a], 60));
    now += 50_000;
    expect(value(await source.reserveJobs([a], 60)).reserved).toEqual([a]);
    now += 50_000;
    expect(sim.job(a)?.state).toBe('reserved');
  });

  it('gets job details and reports an unknown job as a permanent error', async () => {
    value(await source.register());
    const id = sim.createJob({ command: 'make test', env: { FOO: 'bar' } }).id;
    const job = value(await source.getJob(id));
    expect(job.command).toBe('make test');
    expect(job.env.FOO).toBe('bar');
    expect(job.env.BUILDKITE_JOB_ID).toBe(id);

    const missing = await source.getJob('nope');
    expect(missing.ok).toBe(false);
    if (!missing.ok) {
      expect(missing.error).toMatchObject({ kind: 'permanent', status: 404 });
      expect(missing.error.message).toContain('Job not found');
    }
    expect(sim.requestCounts()['show-job']).toBe(2);
  });

  it('batches job states by 1000 and leaves unknown jobs out', async () => {
    value(await source.register());
    const id = sim.createJob({ command: 'a' }).id;
    const ids = [id, ...Array.from({ length: 1200 }, (_, i) => `missing-${i}`)];
    const states = value(await source.getJobStates(ids));
    expect([...states]).toEqual([[id, 'scheduled']]);
    expect(sim.requestCounts()['batch-load-job-states']).toBe(2);
  });

  it('fails a job with exit_status -1 and the message; a second finish is a permanent error', async () => {
    value(await source.register());
    const id = sim.createJob({ command: 'a' }).id;
    value(await source.failJob(id, 'agent-stack-k8s failed to parse the job: boom'));
    expect(sim.job(id)).toMatchObject({
      state: 'finished',
      exitStatus: -1,
      detail: 'agent-stack-k8s failed to parse the job: boom',
    });

    const again = await source.failJob(id, 'second');
    expect(again.ok).toBe(false);
    if (!again.ok) expect(again.error).toMatchObject({ kind: 'permanent', status: 422 });
    expect(sim.job(id)?.detail).toBe('agent-stack-k8s failed to parse the job: boom');
    expect(sim.requestCounts()['finish-job']).toBe(2);
  });

  it('crops a long failure message to 4 KB on a character boundary', async () => {
    value(await source.register());
    const id = sim.createJob({ command: 'a' }).id;
    value(await source.failJob(id, 'é'.repeat(5000)));
    const detail = sim.job(id)?.detail ?? '';
    expect(Buffer.byteLength(detail)).toBeLessThanOrEqual(4096);
    expect(detail.endsWith('… (Message was cropped because it exceeded the max size)')).toBe(true);
    expect(detail).not.toContain('\ufffd');
  });

  it('retries 5xx and dropped connections, then succeeds', async () => {
    value(await source.register());
    const id = sim.createJob({ command: 'a' }).id;
    sim.injectFault({ endpoint: 'show-job', status: 503, count: 2 });
    sim.injectFault({ endpoint: 'show-job', drop: true });
    expect(value(await source.getJob(id)).id).toBe(id);
    expect(sim.requestCounts()['show-job']).toBe(4);
    expect(delays).toHaveLength(3);
  });

  it('honours Retry-After on a 429 between retries', async () => {
    value(await source.register());
    const id = sim.createJob({ command: 'a' }).id;
    sim.injectFault({ endpoint: 'batch-load-job-states', status: 429, retryAfterSeconds: 2 });
    expect(value(await source.getJobStates([id])).get(id)).toBe('scheduled');
    expect(delays).toEqual([2000]);
  });

  it('gives up after the last attempt with a retryable error', async () => {
    value(await source.register());
    const id = sim.createJob({ command: 'a' }).id;
    sim.injectFault({ endpoint: 'finish-job', status: 500, count: 10 });
    const res = await source.failJob(id, 'x');
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error).toMatchObject({ kind: 'retryable', status: 500 });
    expect(sim.requestCounts()['finish-job']).toBe(5);
    expect(sim.job(id)?.state).toBe('scheduled');
  });

  it('does not retry a permanent error', async () => {
    value(await source.register());
    sim.injectFault({ endpoint: 'batch-load-job-states', status: 403 });
    const res = await source.getJobStates(['a']);
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error).toMatchObject({ kind: 'permanent', status: 403 });
    expect(sim.requestCounts()['batch-load-job-states']).toBe(1);
  });

  it('does not retry a list call, and hands back Retry-After from a 429', async () => {
    value(await source.register());
    sim.injectFault({ endpoint: 'list-scheduled-jobs', status: 429, retryAfterSeconds: 3 });
    const res = await source.listScheduledJobs({});
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error).toMatchObject({ kind: 'retryable', status: 429, retryAfterMs: 3000 });
    expect(sim.requestCounts()['list-scheduled-jobs']).toBe(1);
  });

  it('hands back Retry-After from a successful list', async () => {
    value(await source.register());
    sim.injectFault({ endpoint: 'list-scheduled-jobs', retryAfterSeconds: 5 });
    const res = await source.listScheduledJobs({});
    expect(res).toMatchObject({ ok: true, retryAfterMs: 5000 });
  });

  it('times out a slow request as a retryable error', async () => {
    value(await source.register());
    const impatient = new StacksJobSource({
      endpoint: sim.agentEndpoint,
      agentToken: TOKEN,
      timeoutMs: 20,
      version: '1',
      logger,
      stackKey: 'my-stack',
      queueKey: '_default',
    });
    sim.injectFault({ endpoint: 'list-scheduled-jobs', latencyMs: 300 });
    const res = await impatient.listScheduledJobs({});
    await impatient.close();
    expect(res.ok).toBe(false);
    if (!res.ok) {
      expect(res.error.kind).toBe('retryable');
      expect(res.error.message).toContain('timed out after 20 ms');
    }
  });

  it('makes no request for an empty reserve or state lookup', async () => {
    value(await source.reserveJobs([], 0));
    expect(value(await source.getJobStates([])).size).toBe(0);
    expect(sim.requestCounts()).toEqual({});
  });

  it('is rate limited per endpoint with RateLimit headers', async () => {
    value(await source.register());
    for (let i = 0; i < 10; i++) value(await source.listScheduledJobs({}));
    const limited = await source.listScheduledJobs({});
    expect(limited.ok).toBe(false);
    if (!limited.ok)
      expect(limited.error).toMatchObject({ kind: 'retryable', status: 429, retryAfterMs: 1000 });
    now += 1000;
    value(await source.listScheduledJobs({}));
  });

  it('treats a list of an unknown queue as permanent', async () => {
    value(await source.register());
    // Same stack key, but a queue the cluster does not have (and no register call to create it).
    const lister = makeSource({ queueKey: 'missing-queue' });
    try {
      const res = await lister.listScheduledJobs({});
      expect(res.ok).toBe(false);
      if (!res.ok) expect(res.error).toMatchObject({ kind: 'permanent', status: 404 });
    } finally {
      await lister.close();
    }
  });

  it('sends notifications in batches of 1000 and flushes on close', async () => {
    value(await source.register());
    const id = sim.createJob({ command: 'a' }).id;
    for (let i = 0; i < 2500; i++) source.notify(id, `n${i}`);
    source.notify(id, 'x'.repeat(400));
    await source.close();
    expect(sim.requestCounts()['stack-notification']).toBe(3);
    // The simulator keeps at most 100 per job, like Buildkite.
    expect(sim.job(id)?.notifications).toHaveLength(100);
    const body = sim.requests.filter((r) => r.endpoint === 'stack-notification');
    expect(body).toHaveLength(3);
  });

  it('crops notification text to 255 bytes', async () => {
    value(await source.register());
    const id = sim.createJob({ command: 'a' }).id;
    source.notify(id, 'x'.repeat(400));
    source.notify(id, 'K8s Job created successfully, waiting for Agent to start...');
    await source.close();
    const notes = sim.job(id)?.notifications.map((n) => n.detail) ?? [];
    expect(notes[0]).toBe(`${'x'.repeat(242)}… (cropped)`);
    expect(notes[1]).toBe('K8s Job created successfully, waiting for Agent to start...');
  });

  it('flushes notifications, then deregisters with an empty body', async () => {
    value(await source.register());
    const id = sim.createJob({ command: 'a' }).id;
    source.notify(id, 'last words');
    value(await source.deregister());
    const order = sim.requests.map((r) => r.endpoint).filter((e) => e !== 'register-stack');
    expect(order).toEqual(['stack-notification', 'deregister']);
    expect(sim.requests.at(-1)?.headers['content-length']).toBe('0');
    expect(sim.model.stacks.get('my-stack')?.state).toBe('disconnected');
  });

  it('refuses a wrong token permanently', async () => {
    const bad = makeSource({ agentToken: 'wrong' });
    const res = await bad.register();
    await bad.close();
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error).toMatchObject({ kind: 'permanent', status: 401 });
  });
});
