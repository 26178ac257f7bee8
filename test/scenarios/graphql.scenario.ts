/** Scenarios with `job-source: graphql` against the simulator's GraphQL subset. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KUBERNETES_PLUGIN_KEY as KUBERNETES_PLUGIN } from '../../src/podspec/plugins.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness;

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
    await h.until(() => h.allFinished(ids), 'every job to finish');
    for (const id of ids) expect(h.sim.job(id)?.finishedBy).toBe('agent');
    expect(await h.notExactlyOnce(ids)).toEqual([]);
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
    const errors = run.logs.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.msg).toMatch(/^GraphQL job source: .*organization/i);
  });
});
