import { describe, expect, it } from 'vitest';
import { JobLedger } from './ledger.js';
import { Limiter, type LimiterOptions } from './limiter.js';
import { intakeJob, kubeJob, nameOf, quietLogger, testMetrics } from './test-support.js';
import type { DispatchOutcome, IntakeJob } from './types.js';

/** A dispatch whose creations the test completes by hand, like a Kubernetes API that answers later. */
function controlledDispatch(ledger: JobLedger) {
  const pending = new Map<string, (outcome: DispatchOutcome) => void>();
  const started: string[] = [];
  let maxObserved = 0;
  return {
    started,
    pending,
    get maxObserved() {
      return maxObserved;
    },
    dispatch: (job: IntakeJob) =>
      new Promise<DispatchOutcome>((resolve) => {
        started.push(nameOf(job.id));
        pending.set(nameOf(job.id), resolve);
        maxObserved = Math.max(maxObserved, ledger.unfinishedCount + pending.size);
      }),
    /** The API answers "created" and the informer then shows the Job. */
    async create(id: string) {
      pending.get(id)?.({ kind: 'created' });
      pending.delete(id);
      await Promise.resolve();
      await ledger.handler.onAdd?.(kubeJob(id), false);
    },
    async fail(id: string) {
      pending.get(id)?.({ kind: 'failed', message: 'boom' });
      pending.delete(id);
      await flush();
    },
  };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

function limiter(overrides: Partial<LimiterOptions> & Pick<LimiterOptions, 'dispatch' | 'ledger'>) {
  return new Limiter({
    maxInFlight: 0,
    concurrency: 25,
    workQueueLimit: 1000,
    logger: quietLogger,
    metrics: testMetrics().limiter,
    ...overrides,
  });
}

describe('Limiter', () => {
  it('dispatches higher priority first and FIFO among equal priorities', async () => {
    const ledger = new JobLedger();
    const order: string[] = [];
    const subject = limiter({
      ledger,
      concurrency: 1,
      dispatch: (job) => {
        order.push(nameOf(job.id));
        return Promise.resolve({ kind: 'created' });
      },
    });
    subject.handle([
      intakeJob('low', 0),
      intakeJob('high-1', 5),
      intakeJob('high-2', 5),
      intakeJob('mid', 1),
    ]);
    for (let i = 0; i < 5; i++) await flush();
    expect(order).toEqual(['high-1', 'high-2', 'mid', 'low']);
  });

  it('never has more than max-in-flight unfinished Jobs, and starts more as Jobs finish', async () => {
    const ledger = new JobLedger();
    const api = controlledDispatch(ledger);
    const subject = limiter({ ledger, maxInFlight: 3, concurrency: 10, dispatch: api.dispatch });
    subject.handle(Array.from({ length: 8 }, (_, i) => intakeJob(`job-${i}`)));
    expect(api.started).toEqual(['job-0', 'job-1', 'job-2']);

    for (const id of ['job-0', 'job-1', 'job-2']) await api.create(id);
    await flush();
    expect(api.started).toHaveLength(3);
    expect(subject.available).toBe(0);

    await ledger.handler.onUpdate?.(kubeJob('job-0'), kubeJob('job-0', 'Complete'));
    await flush();
    expect(api.started).toEqual(['job-0', 'job-1', 'job-2', 'job-3']);

    await ledger.handler.onDelete?.(kubeJob('job-1'));
    await flush();
    expect(api.started).toHaveLength(5);
    expect(api.maxObserved).toBeLessThanOrEqual(3);
  });

  it('counts Jobs that already exist after a restart', async () => {
    const ledger = new JobLedger();
    await ledger.handler.onAdd?.(kubeJob('old-1'), true);
    await ledger.handler.onAdd?.(kubeJob('old-2'), true);
    await ledger.handler.onAdd?.(kubeJob('old-done', 'Complete'), true);
    const api = controlledDispatch(ledger);
    const subject = limiter({ ledger, maxInFlight: 3, dispatch: api.dispatch });
    subject.handle([intakeJob('new-1'), intakeJob('new-2')]);
    expect(api.started).toEqual(['new-1']);
  });

  it('frees the slot of a job whose creation failed', async () => {
    const ledger = new JobLedger();
    const api = controlledDispatch(ledger);
    const metrics = testMetrics().limiter;
    const subject = limiter({ ledger, maxInFlight: 1, dispatch: api.dispatch, metrics });
    subject.handle([intakeJob('a'), intakeJob('b')]);
    expect(api.started).toEqual(['a']);
    await api.fail('a');
    expect(api.started).toEqual(['a', 'b']);
    expect((await metrics.handlerErrors.get()).values).toEqual([{ labels: { reason: 'other' }, value: 1 }]);
  });

  it('holds the slot of a created Job until the informer shows it, but not forever', async () => {
    const ledger = new JobLedger();
    let now = 0;
    const api = controlledDispatch(ledger);
    const subject = limiter({
      ledger,
      maxInFlight: 1,
      dispatch: api.dispatch,
      now: () => now,
      unseenCreationTimeoutMs: 60_000,
    });
    subject.handle([intakeJob('a'), intakeJob('b')]);
    api.pending.get('a')?.({ kind: 'created' });
    await flush();
    expect(api.started).toEqual(['a']);
    now = 61_000;
    subject.handle([]);
    expect(api.started).toEqual(['a', 'b']);
  });

  it('starts the next job when a created Job is first seen already finished (watch was down)', async () => {
    const ledger = new JobLedger();
    const api = controlledDispatch(ledger);
    const subject = limiter({ ledger, maxInFlight: 1, dispatch: api.dispatch });
    subject.handle([intakeJob('a'), intakeJob('b')]);
    api.pending.get('a')?.({ kind: 'created' });
    await flush();
    expect(api.started).toEqual(['a']);
    // The relist after the outage shows Job a for the first time, already Complete.
    await ledger.handler.onAdd?.(kubeJob('a', 'Complete'), false);
    await flush();
    expect(api.started).toEqual(['a', 'b']);
  });

  it('ignores jobs already queued or being created', () => {
    const ledger = new JobLedger();
    const api = controlledDispatch(ledger);
    const subject = limiter({ ledger, maxInFlight: 1, dispatch: api.dispatch });
    subject.handle([intakeJob('a'), intakeJob('b'), intakeJob('b')]);
    subject.handle([intakeJob('a'), intakeJob('b')]);
    expect(api.started).toEqual(['a']);
    expect(subject.queueLength).toBe(1);
  });

  it('drops the lowest-priority jobs beyond work-queue-limit', async () => {
    const ledger = new JobLedger();
    const api = controlledDispatch(ledger);
    const subject = limiter({ ledger, maxInFlight: 1, workQueueLimit: 2, dispatch: api.dispatch });
    subject.handle([intakeJob('running', 9)]);
    subject.handle([intakeJob('p1', 1), intakeJob('p3', 3), intakeJob('p2', 2)]);
    expect(subject.queueLength).toBe(2);
    await api.fail('running');
    await api.fail('p3');
    await api.fail('p2');
    expect(api.started).toEqual(['running', 'p3', 'p2']);
    expect(subject.queueLength).toBe(0);
  });

  it('drops jobs that waited longer than the stale timeout', async () => {
    const ledger = new JobLedger();
    let now = 0;
    const api = controlledDispatch(ledger);
    const metrics = testMetrics().limiter;
    const subject = limiter({
      ledger,
      maxInFlight: 1,
      dispatch: api.dispatch,
      staleAfterMs: 10_000,
      now: () => now,
      metrics,
    });
    subject.handle([intakeJob('a'), intakeJob('old')]);
    now = 20_000;
    await api.fail('a');
    expect(api.started).toEqual(['a']);
    expect((await metrics.handlerErrors.get()).values).toContainEqual({
      labels: { reason: 'stale' },
      value: 1,
    });
  });

  it('stop() waits for creations under way and takes no more work', async () => {
    const ledger = new JobLedger();
    const api = controlledDispatch(ledger);
    const subject = limiter({ ledger, maxInFlight: 1, dispatch: api.dispatch });
    subject.handle([intakeJob('a'), intakeJob('b')]);
    let stopped = false;
    const stopping = subject.stop().then(() => (stopped = true));
    await flush();
    expect(stopped).toBe(false);
    await api.create('a');
    await stopping;
    subject.handle([intakeJob('c')]);
    expect(api.started).toEqual(['a']);
  });

  it('survives a dispatch that throws', async () => {
    const ledger = new JobLedger();
    const seen: string[] = [];
    const subject = limiter({
      ledger,
      concurrency: 1,
      dispatch: (job) => {
        seen.push(nameOf(job.id));
        return nameOf(job.id) === 'bad'
          ? Promise.reject(new Error('bug'))
          : Promise.resolve({ kind: 'created' });
      },
    });
    subject.handle([intakeJob('bad', 1), intakeJob('good')]);
    for (let i = 0; i < 3; i++) await flush();
    expect(seen).toEqual(['bad', 'good']);
  });
});
