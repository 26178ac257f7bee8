/** Scenarios with the controller as a child process: exit status, signals, SIGKILL during a run. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

let h: Harness;

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
    await h.until(() => h.allFinished(ids), 'the agents to finish their jobs after the controller left');
    expect(await h.notExactlyOnce(ids)).toEqual([]);
  });

  it('SIGKILLed at random moments during a 200-job run: no duplicates, nothing lost', async () => {
    const ids = h.createJobs(200);
    const config = ['max-in-flight: 40', 'reservation-expiry-seconds: 120', 'pagination-page-size: 100'];
    // Each start costs a Node process start; two kills at random moments keep the run short.
    const moments: number[] = [];
    for (let kill = 0; kill < 2; kill++) {
      const run = h.start({ mode: 'child', config });
      await run.ready;
      moments.push(Math.round(100 + Math.random() * 600));
      await new Promise((resolve) => setTimeout(resolve, moments[kill]));
      await run.kill();
      // Whatever the killed controller had reserved comes back after expiry.
      h.sim.advance(121_000);
    }
    const last = h.start({ mode: 'child', config });
    await last.ready;
    await h.until(
      () => {
        h.sim.advance(121_000);
        return h.allFinished(ids);
      },
      'every job to finish',
      45_000,
    );
    const created = (id: string): number => h.createdPerJob.get(id) ?? 0;
    const duplicates = ids.filter((id) => created(id) > 1 || (h.agent.podsPerJob.get(id) ?? 0) > 1);
    const lost = ids.filter((id) => created(id) === 0 && h.sim.job(id)?.detail == null);
    expect({ duplicates, lost }, `killed ${moments.join(' ms and ')} ms after ready`).toEqual({
      duplicates: [],
      lost: [],
    });
    expect(ids.every((id) => h.sim.job(id)?.finishedBy === 'agent')).toBe(true);
    expect(h.maxUnfinished()).toBeLessThanOrEqual(40);
    expect(await last.stop()).toBe(0);
  }, 90_000);
});
