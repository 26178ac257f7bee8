/**
 * The scenario suite, in-process part: the real controller against the Buildkite simulator and a
 * Kubernetes tier, with an agent playing each pod. Each scenario asserts end states Buildkite or
 * Kubernetes shows. Child-process and GraphQL scenarios are in their own files so files run in parallel.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KUBERNETES_PLUGIN_KEY as KUBERNETES_PLUGIN } from '../../src/podspec/plugins.js';
import { CAPABILITIES, startHarness, type Harness } from './harness.js';

let h: Harness;

const CREATED = 'K8s Job created successfully, waiting for Agent to start...';

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
    await h.until(() => h.allFinished(ids), 'every job to finish');
    // Notifications go out in batches, so one may land after its job finished.
    const notified = (id: string): boolean =>
      h.sim.job(id)?.notifications.some((n) => n.detail === CREATED) === true;
    await h.until(() => ids.every(notified), 'every "Job created" notification');
    for (const id of ids) {
      const job = h.sim.job(id);
      expect(job?.finishedBy).toBe('agent');
      expect(job?.exitStatus).toBe('0');
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
    await h.until(() => h.allFinished(ids), 'every job to finish');
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
    await h.morePolls(2);
    expect((await h.kube.jobs()).length).toBe(3);
    h.agent.release();
    await h.until(() => h.allFinished(ids), 'every job to finish');
    expect(h.maxUnfinished()).toBe(3);
    expect(await h.notExactlyOnce(ids)).toEqual([]);
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
    await h.morePolls(2);
    expect((await h.kube.jobs()).length).toBe(3);
    expect(h.maxUnfinished()).toBe(3);
    h.agent.release();
    // Jobs the first controller reserved but never created come back when their reservation expires.
    await h.until(() => {
      h.sim.advance(60_000);
      return h.allFinished(ids);
    }, 'every job to finish');
    expect(h.maxUnfinished()).toBe(3);
    expect(await h.notExactlyOnce(ids)).toEqual([]);
  });

  it.skipIf(!CAPABILITIES.kubeFaults)(
    'fails a job Kubernetes rejects as Invalid (422) with the API error, and goes on with the next',
    async () => {
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
      await h.until(() => h.allFinished(next), 'the next job to run');
      expect(await h.notExactlyOnce(next)).toEqual([]);
    },
  );

  it('fails a job that uses the kubernetes plugin when the controller prohibits it', async () => {
    const [withPlugin = ''] = h.createJobs(1, {
      env: { BUILDKITE_PLUGINS: JSON.stringify([{ [KUBERNETES_PLUGIN]: { podSpec: {} } }]) },
    });
    const plain = h.createJobs(1);
    const run = h.start({ config: ['prohibit-kubernetes-plugin: true'] });
    await run.ready;
    await h.until(
      () => h.sim.job(withPlugin)?.state === 'finished' && h.allFinished(plain),
      'both jobs to end',
    );
    expect(h.sim.job(withPlugin)?.detail).toBe(
      'agent-stack-k8s failed to parse the job: the kubernetes plugin is prohibited by this controller, but was configured on this job',
    );
    expect((await h.jobsByUuid()).has(withPlugin)).toBe(false);
    expect(await h.notExactlyOnce(plain)).toEqual([]);
  });

  it.skipIf(!CAPABILITIES.kubeFaults)(
    're-dispatches a job whose Job creation failed once its reservation expires',
    async () => {
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
      // The controller tries a transient failure three times at once before it gives up for now.
      await h.until(() => (fault?.hits ?? 0) >= 3, 'three failed creates');
      fault?.remove();
      await h.morePolls(2);
      // Still reserved by us, so not listed again and no Job: it waits for the reservation to expire.
      expect(h.sim.job(id)?.state).toBe('reserved');
      expect((await h.jobsByUuid()).size).toBe(0);
      h.sim.advance(300_001);
      await h.until(() => h.allFinished(ids), 'the job to run after expiry');
      expect(await h.notExactlyOnce(ids)).toEqual([]);
    },
  );

  it('rides out 429 storms and 5xx answers from Buildkite', async () => {
    const ids = h.createJobs(6);
    h.sim.injectFault({ endpoint: 'list-scheduled-jobs', status: 429, retryAfterSeconds: 1, count: 3 });
    h.sim.injectFault({ endpoint: 'batch-reserve', status: 503, count: 2 });
    h.sim.injectFault({ endpoint: 'show-job', status: 500, count: 3 });
    h.sim.injectFault({ endpoint: 'stack-notification', status: 429, retryAfterSeconds: 1, count: 2 });
    const run = h.start();
    await run.ready;
    await h.until(() => h.allFinished(ids), 'every job to finish', 30_000);
    expect(await h.notExactlyOnce(ids)).toEqual([]);
    expect(h.agent.errors).toEqual([]);
    expect(await run.stop()).toBe(0);
  });

  it.skipIf(!CAPABILITIES.kubeFaults)('rides out 429 storms and 5xx answers from Kubernetes', async () => {
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
        return h.allFinished(ids);
      },
      'every job to finish',
      30_000,
    );
    expect(await h.notExactlyOnce(ids)).toEqual([]);
    expect(await run.stop()).toBe(0);
  });

  it.skipIf(!CAPABILITIES.kubeFaults)(
    'recovers from dropped watches and 410 Expired: Job completions still return capacity',
    async () => {
      const ids = h.createJobs(8);
      const run = h.start({ config: ['max-in-flight: 2'] });
      await run.ready;
      await h.until(
        () => ids.filter((id) => h.sim.job(id)?.state === 'finished').length >= 2,
        'two jobs done',
      );
      h.kube.faults?.inject({ verb: 'watch', resource: 'jobs', action: { kind: 'expired' } });
      expect(h.kube.dropWatches()).toBeGreaterThan(0);
      await h.until(() => h.allFinished(ids), 'every job to finish');
      expect(h.maxUnfinished()).toBeLessThanOrEqual(2);
      expect(await h.notExactlyOnce(ids)).toEqual([]);
    },
  );

  it.skipIf(!CAPABILITIES.kubeFaults)(
    'keeps dispatching without duplicates while watches are stalled',
    async () => {
      const before = h.createJobs(2);
      const run = h.start({ config: ['max-in-flight: 0'] });
      await run.ready;
      await h.until(() => h.allFinished(before), 'the first jobs');
      expect(h.kube.faults?.stallWatches()).toBeGreaterThan(0);
      const after = h.createJobs(4);
      await h.until(() => h.allFinished(after), 'jobs created while the watches are silent');
      await h.morePolls(2);
      expect(await h.notExactlyOnce([...before, ...after])).toEqual([]);
    },
  );

  it('takes nothing from a paused queue with enable-queue-pause, and resumes when unpaused', async () => {
    h.sim.pauseQueue('k8s', true);
    const ids = h.createJobs(3);
    const run = h.start({ config: ['enable-queue-pause: true'] });
    await run.ready;
    await h.morePolls(2);
    expect(ids.map((id) => h.sim.job(id)?.state)).toEqual(['scheduled', 'scheduled', 'scheduled']);
    expect((await h.kube.jobs()).length).toBe(0);
    h.sim.pauseQueue('k8s', false);
    await h.until(() => h.allFinished(ids), 'every job after unpausing');
    expect(await h.notExactlyOnce(ids)).toEqual([]);
  });
});
