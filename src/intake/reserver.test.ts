import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BuildkiteSim } from '../../sim/buildkite/server.js';
import { startTestWorld, type TestWorld } from '../../test/support/world.js';
import { Reserver } from './reserver.js';
import { quietLogger } from './test-support.js';
import type { IntakeJob } from './types.js';

const listed = (id: string): IntakeJob => ({ id, priority: 0, agentQueryRules: [], queriedAt: 0 });

describe('Reserver against the Buildkite simulator', () => {
  let world: TestWorld;
  let sim: BuildkiteSim;

  beforeEach(async () => {
    world = await startTestWorld();
    sim = world.sim;
  });
  afterEach(async () => {
    await world.close();
  });
  const stack = (key: string) => world.stack(key);

  it('passes on the granted jobs in listing order and sends the expiry', async () => {
    const ours = await stack('ours');
    const theirs = await stack('theirs');
    const [a, b, c] = ['a', 'b', 'c'].map((command) => sim.createJob({ command, queue: 'k8s' }).id) as [
      string,
      string,
      string,
    ];
    expect((await theirs.reserveJobs([b], 0)).ok).toBe(true);
    const forwarded: IntakeJob[][] = [];
    const reserver = new Reserver({
      source: ours,
      expirySeconds: 900,
      next: (jobs) => forwarded.push([...jobs]),
      logger: quietLogger,
    });
    expect(await reserver.handle([listed(c), listed(a), listed(b)])).toBe(true);
    expect(forwarded.map((jobs) => jobs.map((job) => job.id))).toEqual([[c, a]]);
    expect(sim.job(a)?.state).toBe('reserved');
  });

  it('passes nothing on when the call fails', async () => {
    const ours = await stack('ours');
    const id = sim.createJob({ command: 'x', queue: 'k8s' }).id;
    sim.injectFault({ endpoint: 'batch-reserve', status: 500 });
    const forwarded: IntakeJob[][] = [];
    const reserver = new Reserver({
      source: ours,
      expirySeconds: 0,
      next: (jobs) => forwarded.push([...jobs]),
      logger: quietLogger,
    });
    expect(await reserver.handle([listed(id)])).toBe(false);
    expect(forwarded).toEqual([]);
  });

  it('makes no call for an empty list', async () => {
    const ours = await stack('ours');
    const reserver = new Reserver({
      source: ours,
      expirySeconds: 0,
      next: () => undefined,
      logger: quietLogger,
    });
    expect(await reserver.handle([])).toBe(true);
    expect(sim.requestCounts()['batch-reserve'] ?? 0).toBe(0);
  });
});
