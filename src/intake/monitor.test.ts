import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BuildkiteSim } from '../../sim/buildkite/server.js';
import { startTestWorld, type TestWorld } from '../../test/support/world.js';
import type { StacksJobSource } from '../buildkite/stacks/client.js';
import { Monitor, type MonitorEnd, type MonitorOptions } from './monitor.js';
import { parseTags } from './tags.js';
import { quietLogger, testMetrics } from './test-support.js';
import type { IntakeJob } from './types.js';

describe('Monitor against the Buildkite simulator', () => {
  let world: TestWorld;
  let sim: BuildkiteSim;
  let source: StacksJobSource;
  let pages: IntakeJob[][];
  let waits: number[];
  let controller: AbortController;

  beforeEach(async () => {
    world = await startTestWorld();
    ({ sim, source } = world);
    pages = [];
    waits = [];
    controller = new AbortController();
  });

  afterEach(async () => {
    controller.abort();
    await world.close();
  });

  /** Runs the monitor for `polls` polls (the injected sleep stops it after that many waits). */
  function monitor(
    overrides: Partial<MonitorOptions> = {},
    polls = 1,
  ): { run: Promise<MonitorEnd>; metrics: ReturnType<typeof testMetrics> } {
    const metrics = testMetrics();
    const subject = new Monitor({
      source,
      queue: 'k8s',
      tags: parseTags(['queue=k8s', 'os=linux']),
      pollIntervalMs: 1000,
      pageSize: 2,
      depthLimit: 2,
      queryResetIntervalMs: 10_000,
      enableQueuePause: false,
      next: (jobs) => {
        pages.push([...jobs]);
        return Promise.resolve();
      },
      logger: quietLogger,
      metrics: metrics.monitor,
      sleep: (ms) => {
        waits.push(ms);
        if (waits.length >= polls) controller.abort();
        return controller.signal.aborted ? Promise.reject(new Error('stopped')) : Promise.resolve();
      },
      ...overrides,
    });
    return { run: subject.run(controller.signal), metrics };
  }

  it('reads up to depth-limit pages per poll, oldest first, and keeps matching jobs', async () => {
    const ids = ['a', 'b', 'c', 'd', 'e'].map(
      (name) => sim.createJob({ command: name, queue: 'k8s', agentQueryRules: ['queue=k8s', 'os=linux'] }).id,
    );
    const { run, metrics } = monitor();
    expect(await run).toEqual({ kind: 'stopped' });
    expect(pages.map((page) => page.map((job) => job.id))).toEqual([ids.slice(0, 2), ids.slice(2, 4)]);
    expect(pages[0]?.[0]?.agentQueryRules).toEqual(['queue=k8s', 'os=linux']);
    expect(await metrics.monitor.jobsReturned.get()).toMatchObject({ values: [{ value: 4 }] });
  });

  it('continues from the cursor on the next poll instead of starting over', async () => {
    const ids = ['a', 'b', 'c', 'd', 'e'].map((name) => sim.createJob({ command: name, queue: 'k8s' }).id);
    const { run } = monitor({ depthLimit: 1 }, 3);
    await run;
    expect(pages.map((page) => page.map((job) => job.id))).toEqual([
      ids.slice(0, 2),
      ids.slice(2, 4),
      ids.slice(4),
    ]);
  });

  it('starts again from the oldest job once query-reset-interval has passed', async () => {
    const ids = ['a', 'b', 'c'].map((name) => sim.createJob({ command: name, queue: 'k8s' }).id);
    let now = 0;
    const { run } = monitor(
      {
        depthLimit: 1,
        now: () => now,
        next: (jobs) => {
          pages.push([...jobs]);
          now += 6000;
          if (pages.length === 3) controller.abort();
          return Promise.resolve();
        },
      },
      3,
    );
    await run;
    expect(pages.map((page) => page.map((job) => job.id))).toEqual([
      ids.slice(0, 2),
      ids.slice(2),
      ids.slice(0, 2),
    ]);
  });

  it('filters out jobs whose tags do not match, and counts them', async () => {
    const keep = sim.createJob({ command: 'x', queue: 'k8s', agentQueryRules: ['queue=k8s', 'os=*'] }).id;
    sim.createJob({ command: 'y', queue: 'k8s', agentQueryRules: ['queue=k8s', 'os=windows'] });
    const { run, metrics } = monitor();
    await run;
    expect(pages.flat().map((job) => job.id)).toEqual([keep]);
    expect(await metrics.monitor.jobsFilteredOut.get()).toMatchObject({ values: [{ value: 1 }] });
  });

  it('waits for Retry-After after a 429 and keeps polling', async () => {
    sim.injectFault({ endpoint: 'list-scheduled-jobs', status: 429, retryAfterSeconds: 7 });
    const { run, metrics } = monitor({}, 2);
    expect(await run).toEqual({ kind: 'stopped' });
    expect(waits[0]).toBe(7000);
    expect(await metrics.monitor.queryErrors.get()).toMatchObject({ values: [{ value: 1 }] });
  });

  it('stops on a permanent error', async () => {
    sim.injectFault({ endpoint: 'list-scheduled-jobs', status: 403 });
    const { run } = monitor();
    const end = await run;
    expect(end.kind).toBe('permanent');
  });

  it('does not dispatch from a paused queue when enable-queue-pause is on', async () => {
    sim.createJob({ command: 'x', queue: 'k8s' });
    sim.pauseQueue('k8s', true);
    await monitor({ enableQueuePause: true }).run;
    expect(pages).toEqual([]);
  });

  it('dispatches from a paused queue when enable-queue-pause is off, like upstream', async () => {
    sim.createJob({ command: 'x', queue: 'k8s' });
    sim.pauseQueue('k8s', true);
    await monitor().run;
    expect(pages.flat()).toHaveLength(1);
  });
});
