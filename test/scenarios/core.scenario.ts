/**
 * The scenario suite: the real controller against the Buildkite simulator and a Kubernetes tier,
 * with an agent playing each pod. Every scenario asserts an end state Buildkite or Kubernetes shows.
 */
import { KUBERNETES_PLUGIN_KEY as KUBERNETES_PLUGIN } from '../../src/podspec/plugins.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

const CREATED = 'K8s Job created successfully, waiting for Agent to start...';

let h: Harness;

const finished = (ids: readonly string[]) => () => ids.every((id) => h.sim.job(id)?.state === 'finished');
const polls = (): number => h.sim.requestCounts()['list-scheduled-jobs'] ?? 0;
/** Waits for `n` more polls of Buildkite, so "nothing happened" claims span real controller work. */
const morePolls = async (n: number): Promise<void> => {
  const target = polls() + n;
  await h.until(() => polls() >= target, `${n} more polls`);
};
const expectOneJobEach = async (ids: readonly string[]): Promise<void> => {
  const jobs = await h.jobsByUuid();
  for (const id of ids) expect(jobs.get(id), `Kubernetes Jobs for ${id}`).toBe(1);
  for (const id of ids) expect(h.agent.podsPerJob.get(id), `pods for ${id}`).toBe(1);
};

describe('scenarios', () => {
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('happy path: every job gets one Kubernetes Job, its agent runs it, Buildkite shows it passed', async () => {
    const ids = h.createJobs(5);
    const run = h.start();
    await run.ready;
    await h.until(finished(ids), 'every job to finish');
    for (const id of ids) {
      const job = h.sim.job(id);
      expect(job?.finishedBy).toBe('agent');
      expect(job?.exitStatus).toBe('0');
      expect(job?.notifications.map((n) => n.detail)).toContain(CREATED);
    }
    expect(await h.jobsByUuid()).toEqual(new Map(ids.map((id) => [id, 1])));
    expect(h.agent.errors).toEqual([]);
    expect(await run.stop()).toBe(0);
  });

  it('dispatches in priority order, higher first, first-come within a priority', async () => {
    const byPriority = [1, 5, 3, 9, 5, 0].map((priority) => ({
      priority,
      id: h.createJobs(1, { priority })[0] ?? '',
    }));
    const run = h.start({ config: ['max-in-flight: 1', 'job-creation-concurrency: 1'] });
    await run.ready;
    const ids = byPriority.map((j) => j.id);
    await h.until(finished(ids), 'every job to finish');
    const expected = [...byPriority].sort((a, b) => b.priority - a.priority).map((j) => j.id);
    expect(h.agent.seen).toEqual(expected);
    expect(h.maxUnfinished()).toBe(1);
  });

  it('never has more than max-in-flight unfinished Jobs, sampled at every Job change', async () => {
    h.agent.hold();
    const ids = h.createJobs(12);
    const run = h.start({ config: ['max-in-flight: 3'] });
    await run.ready;
    await h.until(async () => (await h.kube.jobs()).length === 3, 'three Jobs');
    await morePolls(2);
    expect((await h.kube.jobs()).length).toBe(3);
    h.agent.release();
    await h.until(finished(ids), 'every job to finish');
    expect(h.maxUnfinished()).toBe(3);
    await expectOneJobEach(ids);
  });

  it('keeps max-in-flight across a controller restart with Jobs already running', async () => {
    h.agent.hold();
    const ids = h.createJobs(10);
    const first = h.start({ config: ['max-in-flight: 3'] });
    await first.ready;
    await h.until(async () => (await h.kube.jobs()).length === 3, 'three Jobs');
    expect(await first.stop()).toBe(0);

    const second = h.start({ config: ['max-in-flight: 3'] });
    await second.ready;
    await morePolls(2);
    expect((await h.kube.jobs()).length).toBe(3);
    expect(h.maxUnfinished()).toBe(3);
    h.agent.release();
    // Jobs the first controller reserved but never created come back when their reservation expires.
    await h.until(() => {
      h.sim.advance(60_000);
      return finished(ids)();
    }, 'every job to finish');
    expect(h.maxUnfinished()).toBe(3);
    await expectOneJobEach(ids);
  });

  it('fails a job Kubernetes rejects as Invalid (422) with the API error, and goes on with the next', async () => {
    h.kube.faults?.inject({ verb: 'create', resource: 'jobs', action: { kind: 'status', code: 422 } });
    const [rejected = ''] = h.createJobs(1);
    const run = h.start({ config: ['max-in-flight: 1'] });
    await run.ready;
    await h.until(() => h.sim.job(rejected)?.state === 'finished', 'the rejected job to be failed');
    const job = h.sim.job(rejected);
    expect(job?.finishedBy).toBe('stack');
    expect(job?.exitStatus).toBe(-1);
    expect(job?.detail).toMatch(/^Kubernetes rejected the podSpec built by agent-stack-k8s: /);
    expect(job?.detail).toContain(`buildkite.com/job-uuid: ${rejected}`);
    expect((await h.jobsByUuid()).has(rejected)).toBe(false);

    const next = h.createJobs(1);
    await h.until(finished(next), 'the next job to run');
    await expectOneJobEach(next);
  });

  it('fails a job that uses the kubernetes plugin when the controller prohibits it', async () => {
    const [withPlugin = ''] = h.createJobs(1, {
      env: { BUILDKITE_PLUGINS: JSON.stringify([{ [KUBERNETES_PLUGIN]: { podSpec: {} } }]) },
    });
    const plain = h.createJobs(1);
    const run = h.start({ config: ['prohibit-kubernetes-plugin: true'] });
    await run.ready;
    await h.until(() => h.sim.job(withPlugin)?.state === 'finished' && finished(plain)(), 'both jobs to end');
    expect(h.sim.job(withPlugin)?.detail).toBe(
      'agent-stack-k8s failed to parse the job: the kubernetes plugin is prohibited by this controller, but was configured on this job',
    );
    expect((await h.jobsByUuid()).has(withPlugin)).toBe(false);
    await expectOneJobEach(plain);
  });

  it('re-dispatches a job whose Job creation failed once its reservation expires', async () => {
    const fault = h.kube.faults?.inject({
      verb: 'create',
      resource: 'jobs',
      times: Infinity,
      action: { kind: 'status', code: 500 },
    });
    const ids = h.createJobs(1);
    const [id = ''] = ids;
    const run = h.start({ config: ['reservation-expiry-seconds: 300'] });
    await run.ready;
    await h.until(() => (fault?.hits ?? 0) > 0, 'a failed create');
    fault?.remove();
    await morePolls(2);
    // Still reserved by us, so not listed again and no Job: it waits for the reservation to expire.
    expect(h.sim.job(id)?.state).toBe('reserved');
    expect((await h.jobsByUuid()).size).toBe(0);
    h.sim.advance(300_001);
    await h.until(finished(ids), 'the job to run after expiry');
    await expectOneJobEach(ids);
  });

  it('rides out 429 storms and 5xx answers from Buildkite', async () => {
    const ids = h.createJobs(6);
    h.sim.injectFault({ endpoint: 'list-scheduled-jobs', status: 429, retryAfterSeconds: 1, count: 3 });
    h.sim.injectFault({ endpoint: 'batch-reserve', status: 503, count: 2 });
    h.sim.injectFault({ endpoint: 'show-job', status: 500, count: 3 });
    h.sim.injectFault({ endpoint: 'stack-notification', status: 429, retryAfterSeconds: 1, count: 2 });
    const run = h.start();
    await run.ready;
    await h.until(finished(ids), 'every job to finish', 30_000);
    await expectOneJobEach(ids);
    expect(h.agent.errors).toEqual([]);
    expect(await run.stop()).toBe(0);
  });

  it('rides out 429 storms and 5xx answers from Kubernetes', async () => {
    const faults = h.kube.faults;
    faults?.inject({
      verb: 'create',
      resource: 'jobs',
      times: 3,
      action: { kind: 'status', code: 429, retryAfterSeconds: 1 },
    });
    faults?.inject({ verb: 'list', resource: 'jobs', times: 2, action: { kind: 'status', code: 500 } });
    faults?.inject({ verb: 'watch', resource: 'pods', times: 2, action: { kind: 'status', code: 503 } });
    const ids = h.createJobs(6);
    const run = h.start({ config: ['reservation-expiry-seconds: 60'] });
    await run.ready;
    // A create that still fails after the client's retries leaves the job to reservation expiry.
    await h.until(
      () => {
        h.sim.advance(61_000);
        return finished(ids)();
      },
      'every job to finish',
      30_000,
    );
    await expectOneJobEach(ids);
    expect(await run.stop()).toBe(0);
  });

  it('recovers from dropped watches and 410 Expired: Job completions still return capacity', async () => {
    const ids = h.createJobs(8);
    const run = h.start({ config: ['max-in-flight: 2'] });
    await run.ready;
    await h.until(() => ids.filter((id) => h.sim.job(id)?.state === 'finished').length >= 2, 'two jobs done');
    h.kube.faults?.inject({ verb: 'watch', resource: 'jobs', action: { kind: 'expired' } });
    expect(h.kube.dropWatches()).toBeGreaterThan(0);
    await h.until(finished(ids), 'every job to finish', 30_000);
    expect(h.maxUnfinished()).toBeLessThanOrEqual(2);
    await expectOneJobEach(ids);
  });

  it('keeps dispatching without duplicates while watches are stalled', async () => {
    const before = h.createJobs(2);
    const run = h.start({ config: ['max-in-flight: 0'] });
    await run.ready;
    await h.until(finished(before), 'the first jobs');
    expect(h.kube.faults?.stallWatches()).toBeGreaterThan(0);
    const after = h.createJobs(4);
    await h.until(finished(after), 'jobs created while the watches are silent');
    await morePolls(2);
    await expectOneJobEach([...before, ...after]);
  });

  it('takes nothing from a paused queue with enable-queue-pause, and resumes when unpaused', async () => {
    h.sim.pauseQueue('k8s', true);
    const ids = h.createJobs(3);
    const run = h.start({ config: ['enable-queue-pause: true'] });
    await run.ready;
    await morePolls(2);
    expect(ids.map((id) => h.sim.job(id)?.state)).toEqual(['scheduled', 'scheduled', 'scheduled']);
    expect((await h.kube.jobs()).length).toBe(0);
    h.sim.pauseQueue('k8s', false);
    await h.until(finished(ids), 'every job after unpausing');
    await expectOneJobEach(ids);
  });
});

describe('scenarios: the controller process', () => {
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('exits 1 with one clear line when Buildkite refuses the agent token (401)', async () => {
    h.sim.injectFault({ endpoint: 'token', status: 401, count: 100 });
    const run = h.start({ mode: 'child' });
    await expect(run.ready).rejects.toThrow(/exited with 1/);
    expect(await run.exited).toBe(1);
    const errors = run.logs.filter((l) => l.level === 'error' || l.level === 'stderr');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.msg).toMatch(/^agent token check failed: HTTP 401/);
    expect(h.sim.requestCounts()['token']).toBe(1);
  });

  it('shuts down gracefully on SIGTERM: exit 0, stack deregistered, running Jobs untouched', async () => {
    h.agent.hold();
    const ids = h.createJobs(2);
    const run = h.start({ mode: 'child' });
    await run.ready;
    await h.until(async () => (await h.kube.jobs()).length === 2, 'two Jobs');
    expect(await run.stop()).toBe(0);
    expect(h.sim.model.stacks.get('agent-stack-k8s')?.state).toBe('disconnected');
    expect(h.sim.requestCounts()['deregister']).toBe(1);
    h.agent.release();
    await h.until(finished(ids), 'the agents to finish their jobs after the controller left');
    await expectOneJobEach(ids);
  });

  it('SIGKILLed at random moments during a 200-job run: no duplicates, nothing lost', async () => {
    const ids = h.createJobs(200);
    const config = ['max-in-flight: 40', 'reservation-expiry-seconds: 120', 'pagination-page-size: 100'];
    // Each start costs a Node process start; two kills at random moments keep the run short.
    for (let kill = 0; kill < 2; kill++) {
      const run = h.start({ mode: 'child', config });
      await run.ready;
      await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 600));
      await run.kill();
      // Whatever the killed controller had reserved comes back after expiry.
      h.sim.advance(121_000);
    }
    const last = h.start({ mode: 'child', config });
    await last.ready;
    await h.until(
      () => {
        h.sim.advance(121_000);
        return finished(ids)();
      },
      'every job to finish',
      45_000,
    );
    const jobs = await h.jobsByUuid();
    const duplicates = ids.filter((id) => (jobs.get(id) ?? 0) > 1 || (h.agent.podsPerJob.get(id) ?? 0) > 1);
    const lost = ids.filter((id) => !jobs.has(id) && h.sim.job(id)?.detail == null);
    expect({ duplicates, lost }).toEqual({ duplicates: [], lost: [] });
    expect(ids.every((id) => h.sim.job(id)?.finishedBy === 'agent')).toBe(true);
    expect(h.maxUnfinished()).toBeLessThanOrEqual(40);
    expect(await last.stop()).toBe(0);
  }, 90_000);
});

describe('scenarios: GraphQL job source', () => {
  beforeEach(async () => {
    h = await startHarness({ graphql: true });
  });
  afterEach(async () => {
    await h.close();
  });

  it('happy path: scheduled jobs become Kubernetes Jobs and the agents acquire them', async () => {
    const ids = h.createJobs(4);
    const run = h.start();
    await run.ready;
    await h.until(finished(ids), 'every job to finish');
    for (const id of ids) expect(h.sim.job(id)?.finishedBy).toBe('agent');
    await expectOneJobEach(ids);
    expect(await run.stop()).toBe(0);
  });

  it('failure path: a job it cannot run is acquired and failed with the reason in its log', async () => {
    const [withPlugin = ''] = h.createJobs(1, {
      env: { BUILDKITE_PLUGINS: JSON.stringify([{ [KUBERNETES_PLUGIN]: { podSpec: {} } }]) },
    });
    const run = h.start({ config: ['prohibit-kubernetes-plugin: true'] });
    await run.ready;
    await h.until(() => h.sim.job(withPlugin)?.state === 'finished', 'the job to be failed');
    const job = h.sim.job(withPlugin);
    expect(job?.exitStatus).not.toBe('0');
    expect(job === undefined ? '' : h.sim.model.log(job)).toContain(
      'the kubernetes plugin is prohibited by this controller',
    );
    expect((await h.jobsByUuid()).size).toBe(0);
  });

  it('failure path: an unknown organization stops startup with exit 1', async () => {
    const run = h.start({ config: ['org: no-such-org'] });
    await expect(run.ready).rejects.toThrow(/exited with 1/);
    expect(run.logs.filter((l) => l.level === 'error')).toHaveLength(1);
  });
});
