import { gzipSync } from 'node:zlib';
import { sleep } from '../../src/backoff.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBuildkiteSim, type BuildkiteSim } from './server.js';

const TOKEN = 'bkct_sim';

interface Reply {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

describe('Buildkite simulator', () => {
  let sim: BuildkiteSim;
  let now: number;

  const call = async (
    method: string,
    path: string,
    options: {
      body?: unknown;
      token?: string | null;
      raw?: Uint8Array;
      headers?: Record<string, string>;
    } = {},
  ): Promise<Reply> => {
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token === undefined ? TOKEN : options.token;
    if (token !== null) headers.authorization = `Token ${token}`;
    const init: RequestInit = { method, headers };
    if (options.raw !== undefined) init.body = options.raw;
    else if (options.body !== undefined) init.body = JSON.stringify(options.body);
    const res = await fetch(`${sim.url}${path}`, init);
    const text = await res.text();
    return {
      status: res.status,
      body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
      headers: res.headers,
    };
  };

  const registerStack = async (queue = '_default'): Promise<void> => {
    const res = await call('POST', '/v3/stacks/register', {
      body: { key: 's1', type: 'kubernetes', queue_key: queue, metadata: {} },
    });
    expect(res.status).toBe(201);
  };

  const registerAgent = async (): Promise<string> => {
    const res = await call('POST', '/v3/register', { body: { name: 'a1', meta_data: ['queue=default'] } });
    expect(res.status).toBe(200);
    return res.body.access_token as string;
  };

  beforeEach(async () => {
    now = Date.parse('2026-03-01T00:00:00Z');
    sim = await startBuildkiteSim({ agentToken: TOKEN, clock: () => now });
  });
  afterEach(async () => {
    await sim.close();
  });

  describe('admin API', () => {
    it('creates, shows, lists and cancels jobs', async () => {
      const created = await call('POST', '/_sim/jobs', {
        token: null,
        body: {
          command: 'echo hi',
          env: { A: '1' },
          agent_query_rules: ['os=linux'],
          priority: 3,
          queue: 'k8s',
        },
      });
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      const shown = await call('GET', `/_sim/jobs/${id}`, { token: null });
      expect(shown.body).toMatchObject({
        id,
        state: 'scheduled',
        queue: 'k8s',
        priority: 3,
        agent_query_rules: ['os=linux', 'queue=k8s'],
        command: 'echo hi',
        reservation: null,
        exit_status: null,
        notifications: [],
        logs: '',
      });
      expect((shown.body.env as Record<string, string>).A).toBe('1');
      expect((await call('GET', '/_sim/jobs', { token: null })).body.jobs).toHaveLength(1);
      const canceled = await call('POST', `/_sim/jobs/${id}/cancel`, { token: null });
      expect(canceled.body.state).toBe('canceled');
      expect((await call('POST', `/_sim/jobs/${id}/cancel`, { token: null })).status).toBe(422);
    });

    it('rejects bad job input with a clear message and creates nothing', async () => {
      for (const body of [
        { priority: 'high' },
        { env: { A: 1 } },
        { agent_query_rules: 'queue=x' },
        { command: 5 },
      ]) {
        const res = await call('POST', '/_sim/jobs', { token: null, body });
        expect(res.status).toBe(400);
        expect(typeof res.body.message).toBe('string');
      }
      const notJson = await call('POST', '/_sim/jobs', { token: null, raw: Buffer.from('{nope') });
      expect(notJson.body).toEqual({ message: 'Body is not valid JSON' });
      expect(sim.model.jobs.size).toBe(0);
    });

    it('takes the queue from a queue= rule', async () => {
      const id = (
        await call('POST', '/_sim/jobs', { token: null, body: { agent_query_rules: ['queue=gpu'] } })
      ).body.id as string;
      expect(sim.job(id)?.queueKey).toBe('gpu');
    });

    it('pauses and unpauses a queue, counts requests, and advances the clock', async () => {
      expect((await call('POST', '/_sim/queues/default/pause', { token: null })).body.paused).toBe(true);
      expect(sim.model.queues.get('default')?.paused).toBe(true);
      await call('POST', '/_sim/queues/default/unpause', { token: null });
      expect(sim.model.queues.get('default')?.paused).toBe(false);
      const counts = await call('GET', '/_sim/requests', { token: null });
      expect(counts.body.counts).toMatchObject({ 'sim-pause-queue': 1, 'sim-unpause-queue': 1 });
      const advanced = await call('POST', '/_sim/clock', { token: null, body: { advance_ms: 60_000 } });
      expect(advanced.body.now).toBe('2026-03-01T00:01:00.000Z');
      expect((await call('POST', '/_sim/clock', { token: null, body: { advance_ms: -1 } })).status).toBe(400);
    });

    it('injects status faults with Retry-After, and clears them', async () => {
      const added = await call('POST', '/_sim/faults', {
        token: null,
        body: { endpoint: 'token', status: 429, retry_after_seconds: 7, count: 2 },
      });
      expect(added.status).toBe(201);
      for (let i = 0; i < 2; i++) {
        const res = await call('GET', '/v3/token');
        expect(res.status).toBe(429);
        expect(res.headers.get('retry-after')).toBe('7');
      }
      expect((await call('GET', '/v3/token')).status).toBe(200);
      await call('POST', '/_sim/faults', { token: null, body: { endpoint: '*', status: 500, count: 5 } });
      await call('DELETE', '/_sim/faults', { token: null });
      expect((await call('GET', '/v3/token')).status).toBe(200);
      expect((await call('POST', '/_sim/faults', { token: null, body: { endpoint: 'token' } })).status).toBe(
        400,
      );
    });

    it('ends injected latency when it closes', async () => {
      sim.injectFault({ endpoint: 'token', latencyMs: 600_000 });
      const pending = call('GET', '/v3/token');
      for (let i = 0; i < 200 && sim.requestCounts().token === undefined; i++) await sleep(5);
      await sim.close();
      await expect(pending).rejects.toThrow();
    });

    it('drops connections and adds latency', async () => {
      sim.injectFault({ endpoint: 'token', drop: true });
      await expect(call('GET', '/v3/token')).rejects.toThrow();
      sim.injectFault({ endpoint: 'token', latencyMs: 5 });
      expect((await call('GET', '/v3/token')).status).toBe(200);
    });
  });

  describe('routing', () => {
    it('answers unknown routes and non-object bodies with a message', async () => {
      const missing = await call('GET', '/v3/nothing-here');
      expect(missing.status).toBe(404);
      expect(missing.body.message).toBe('No route for GET /v3/nothing-here');
      const array = await call('POST', '/_sim/jobs', { token: null, raw: Buffer.from('[1]') });
      expect(array).toMatchObject({ status: 400, body: { message: 'Body must be a JSON object' } });
      expect(sim.requestCounts().unknown).toBe(1);
    });

    it('decodes escaped path segments, including %2E for dots', async () => {
      await registerStack();
      const res = await call('GET', '/v3/stacks/s1/jobs/a%2Eb');
      expect(res).toMatchObject({ status: 404, body: { message: 'Job not found' } });
      expect(sim.requests.at(-1)?.endpoint).toBe('show-job');
    });
  });

  describe('Stacks API', () => {
    it('requires the agent token and answers errors as {"message"}', async () => {
      const res = await call('GET', '/v3/token', { token: 'wrong' });
      expect(res.status).toBe(401);
      expect(Object.keys(res.body)).toEqual(['message']);
      expect((await call('GET', '/v3/stacks/nope/scheduled-jobs?queue_key=default')).status).toBe(404);
    });

    it('registers with 201 then 200 and validates the key', async () => {
      await registerStack();
      const again = await call('POST', '/v3/stacks/register', {
        body: { key: 's1', type: 'kubernetes', queue_key: '_default' },
      });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({
        key: 's1',
        cluster_queue_key: '_default',
        type: 'kubernetes',
        state: 'connected',
      });
      expect((await call('POST', '/v3/stacks/register', { body: { key: 'bad key!' } })).status).toBe(422);
      expect((await call('POST', '/v3/stacks/register', { body: { key: 'k', type: 'odd' } })).status).toBe(
        422,
      );
    });

    it('lists with both pause flags, RateLimit headers and an opaque cursor', async () => {
      await registerStack();
      sim.createJob({ command: 'a' });
      sim.pauseQueue('default', true);
      const res = await call('GET', '/v3/stacks/s1/scheduled-jobs?queue_key=_default&limit=1');
      expect(res.body.cluster_queue).toMatchObject({ paused: true, dispatch_paused: true });
      expect(res.headers.get('ratelimit-scope')).toBe('list-scheduled-jobs');
      expect(res.headers.get('ratelimit-limit')).toBe('10');
      expect(res.headers.get('ratelimit-remaining')).toBe('9');
      const jobs = res.body.jobs as Record<string, unknown>[];
      expect(Object.keys(jobs[0] ?? {}).sort()).toEqual(
        ['agent_query_rules', 'build', 'id', 'pipeline', 'priority', 'scheduled_at', 'step'].sort(),
      );
      expect(
        (await call('GET', '/v3/stacks/s1/scheduled-jobs?queue_key=_default&after=garbage')).status,
      ).toBe(400);
      expect((await call('GET', '/v3/stacks/s1/scheduled-jobs?queue_key=_default&limit=1001')).status).toBe(
        400,
      );
      expect((await call('GET', '/v3/stacks/s1/scheduled-jobs')).status).toBe(400);
    });

    it('sends the 429 body with scope, limit, current and reset', async () => {
      await registerStack();
      for (let i = 0; i < 10; i++) await call('GET', '/v3/stacks/s1/scheduled-jobs?queue_key=_default');
      const res = await call('GET', '/v3/stacks/s1/scheduled-jobs?queue_key=_default');
      expect(res.status).toBe(429);
      expect(res.body).toMatchObject({ scope: 'list-scheduled-jobs', limit: 10, current: 11, reset: 1 });
      expect(res.headers.get('retry-after')).toBe('1');
    });

    it('validates reservation input', async () => {
      await registerStack();
      const id = sim.createJob({}).id;
      for (const body of [
        { job_uuids: [id], reservation_expiry_seconds: 3601 },
        { job_uuids: [id], reservation_expiry_seconds: 0 },
        { job_uuids: 'x' },
        { job_uuids: Array.from({ length: 1001 }, () => id) },
      ]) {
        expect((await call('PUT', '/v3/stacks/s1/scheduled-jobs/batch-reserve', { body })).status).toBe(422);
      }
      expect(sim.job(id)?.state).toBe('scheduled');
    });

    it('does not let another stack take a reserved job', async () => {
      await registerStack();
      await call('POST', '/v3/stacks/register', {
        body: { key: 's2', type: 'kubernetes', queue_key: '_default' },
      });
      const id = sim.createJob({}).id;
      await call('PUT', '/v3/stacks/s1/scheduled-jobs/batch-reserve', { body: { job_uuids: [id] } });
      const other = await call('PUT', '/v3/stacks/s2/scheduled-jobs/batch-reserve', {
        body: { job_uuids: [id] },
      });
      expect(other.body).toEqual({ reserved: [], not_reserved: [id] });
    });

    it('finishes only scheduled or reserved jobs, defaulting exit_status to -1', async () => {
      await registerStack();
      const id = sim.createJob({}).id;
      expect((await call('POST', `/v3/stacks/s1/jobs/${id}/finish`, { body: {} })).status).toBe(422);
      expect(
        (await call('POST', `/v3/stacks/s1/jobs/${id}/finish`, { body: { detail: 'x'.repeat(4097) } }))
          .status,
      ).toBe(422);
      expect(
        (await call('POST', `/v3/stacks/s1/jobs/${id}/finish`, { body: { detail: 'nope' } })).status,
      ).toBe(200);
      expect(sim.job(id)).toMatchObject({ state: 'finished', exitStatus: -1, detail: 'nope' });
      expect(
        (await call('POST', '/v3/stacks/s1/jobs/unknown/finish', { body: { detail: 'x' } })).status,
      ).toBe(404);
    });

    it('enforces the notification constraints per index', async () => {
      await registerStack();
      const id = sim.createJob({}).id;
      const future = new Date(now + 60_000).toISOString();
      const res = await call('POST', '/v3/stacks/s1/notifications', {
        body: {
          notifications: [
            { job_uuid: id, detail: 'ok' },
            { job_uuid: id, detail: '' },
            { job_uuid: 'missing', detail: 'x' },
            { job_uuid: id, detail: 'é'.repeat(257) },
            { job_uuid: id, detail: 'later', timestamp: future },
            { job_uuid: id, detail: 'é'.repeat(256) },
          ],
        },
      });
      expect(res.status).toBe(200);
      expect(res.body.errors).toEqual([
        { error: 'detail is required', indexes: [1] },
        { error: 'Job not found', indexes: [2] },
        { error: 'detail is too long (maximum is 256 characters)', indexes: [3] },
        { error: 'timestamp cannot be in the future', indexes: [4] },
      ]);
      expect(sim.job(id)?.notifications.map((n) => n.detail)).toEqual(['ok', 'é'.repeat(256)]);

      await call('POST', `/v3/stacks/s1/jobs/${id}/finish`, { body: { detail: 'done' } });
      now += 301_000;
      const late = await call('POST', '/v3/stacks/s1/notifications', {
        body: { notifications: [{ job_uuid: id, detail: 'x' }] },
      });
      expect(late.body.errors).toEqual([{ error: 'Job finished more than 300 seconds ago', indexes: [0] }]);
    });

    it('deregisters with 204 and no body', async () => {
      await registerStack();
      const res = await fetch(`${sim.url}/v3/stacks/s1/deregister`, {
        method: 'POST',
        headers: { authorization: `Token ${TOKEN}` },
      });
      expect(res.status).toBe(204);
      expect(await res.text()).toBe('');
    });
  });

  describe('agent REST API', () => {
    it('runs a reserved job through acquire, start, log, finish', async () => {
      await registerStack();
      const id = sim.createJob({ command: 'echo hi' }).id;
      await call('PUT', '/v3/stacks/s1/scheduled-jobs/batch-reserve', { body: { job_uuids: [id] } });
      const session = await registerAgent();
      expect((await call('POST', '/v3/connect', { token: session })).status).toBe(200);

      const acquired = await call('PUT', `/v3/jobs/${id}/acquire`, { token: session });
      expect(acquired.status).toBe(200);
      expect(acquired.body).toMatchObject({ id, state: 'accepted', chunks_max_size_bytes: 102400 });
      const jobToken = acquired.body.token as string;
      expect(jobToken).toMatch(/^bkaj_/);
      const env = acquired.body.env as Record<string, string>;
      for (const key of [
        'BUILDKITE_JOB_ID',
        'BUILDKITE_REPO',
        'BUILDKITE_COMMIT',
        'BUILDKITE_BRANCH',
        'BUILDKITE_AGENT_NAME',
        'BUILDKITE_ORGANIZATION_SLUG',
        'BUILDKITE_PIPELINE_SLUG',
        'BUILDKITE_PIPELINE_PROVIDER',
      ]) {
        expect(env).toHaveProperty(key);
      }

      expect(
        (await call('PUT', `/v3/jobs/${id}/start`, { token: jobToken, body: { started_at: 'x' } })).status,
      ).toBe(200);
      const second = Buffer.from('world\n');
      const first = Buffer.from('hello ');
      const chunk = (data: Buffer, offset: number) =>
        call('POST', `/v3/jobs/${id}/chunks?sequence=1&offset=${offset}&size=${data.length}`, {
          token: jobToken,
          raw: gzipSync(data),
          headers: { 'content-encoding': 'gzip', 'content-type': 'text/plain' },
        });
      await chunk(second, first.length);
      await chunk(first, 0);
      expect((await call('GET', `/v3/jobs/${id}`, { token: jobToken })).body.state).toBe('running');

      const done = await call('PUT', `/v3/jobs/${id}/finish`, {
        token: jobToken,
        body: { exit_status: '0', finished_at: 'x', chunks_failed_count: 0 },
      });
      expect(done.status).toBe(200);
      expect(sim.job(id)).toMatchObject({ state: 'finished', exitStatus: '0', finishedBy: 'agent' });
      expect(sim.model.log(sim.job(id) ?? never())).toBe('hello world\n');
      expect((await call('GET', '/v3/ping', { token: session })).body).toEqual({});
      expect((await call('POST', '/v3/disconnect', { token: session })).status).toBe(200);
    });

    it('cancels a running job through canceling to canceled', async () => {
      const id = sim.createJob({}).id;
      const session = await registerAgent();
      const jobToken = (await call('PUT', `/v3/jobs/${id}/acquire`, { token: session })).body.token as string;
      await call('PUT', `/v3/jobs/${id}/start`, { token: jobToken });
      sim.cancelJob(id);
      expect((await call('GET', `/v3/jobs/${id}`, { token: jobToken })).body.state).toBe('canceling');
      await call('PUT', `/v3/jobs/${id}/finish`, {
        token: jobToken,
        body: { exit_status: '-1', signal_reason: 'cancel' },
      });
      expect(sim.job(id)).toMatchObject({ state: 'canceled', signalReason: 'cancel' });
    });

    it('rejects acquiring a job that is not scheduled or reserved, and unknown jobs', async () => {
      const id = sim.createJob({}).id;
      const session = await registerAgent();
      expect((await call('PUT', `/v3/jobs/${id}/acquire`, { token: session })).status).toBe(200);
      const again = await call('PUT', `/v3/jobs/${id}/acquire`, { token: session });
      expect(again.status).toBe(422);
      expect(typeof again.body.message).toBe('string');
      expect((await call('PUT', '/v3/jobs/unknown/acquire', { token: session })).status).toBe(404);
    });

    it('refuses job endpoints without the right token', async () => {
      const id = sim.createJob({}).id;
      const session = await registerAgent();
      await call('PUT', `/v3/jobs/${id}/acquire`, { token: session });
      expect((await call('GET', `/v3/jobs/${id}`, { token: 'bkaj_other' })).status).toBe(401);
      expect((await call('POST', '/v3/connect', { token: 'bkaa_other' })).status).toBe(401);
      expect((await call('POST', '/v3/register', { token: 'wrong', body: {} })).status).toBe(401);
    });

    it('answers 404 to streaming pings so the agent falls back to polling', async () => {
      expect((await call('POST', '/agentedge.v1.AgentEdgeService/StreamPings', { body: {} })).status).toBe(
        404,
      );
    });
  });

  describe('reservation expiry', () => {
    it('returns an expired reservation to scheduled and keeps an unexpired one', async () => {
      await registerStack();
      const a = sim.createJob({}).id;
      const b = sim.createJob({}).id;
      await call('PUT', '/v3/stacks/s1/scheduled-jobs/batch-reserve', {
        body: { job_uuids: [a], reservation_expiry_seconds: 10 },
      });
      await call('PUT', '/v3/stacks/s1/scheduled-jobs/batch-reserve', {
        body: { job_uuids: [b], reservation_expiry_seconds: 20 },
      });
      sim.advance(10_000);
      const states = await call('POST', '/v3/stacks/s1/jobs/get-states', {
        body: { job_uuids: [a, b, 'zzz'] },
      });
      expect(states.body).toEqual({ states: { [a]: 'scheduled', [b]: 'reserved' } });
    });
  });
});

function never(): never {
  throw new Error('unreachable');
}
