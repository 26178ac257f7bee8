import { describe, expect, it } from 'vitest';
import { Deduper } from './deduper.js';
import { JobLedger } from './ledger.js';
import { intakeJob, kubeJob, nameOf, testMetrics } from './test-support.js';
import type { DispatchOutcome } from './types.js';

describe('Deduper', () => {
  it('refuses a job that already has a Kubernetes Job, finished or not', async () => {
    const ledger = new JobLedger();
    await ledger.handler.onAdd?.(kubeJob('done', 'Complete'), true);
    const calls: string[] = [];
    const deduper = new Deduper({
      ledger,
      metrics: testMetrics().deduper,
      dispatch: (job) => {
        calls.push(nameOf(job.id));
        return Promise.resolve({ kind: 'created' });
      },
    });
    expect(await deduper.handle(intakeJob('done'))).toEqual({ kind: 'duplicate' });
    expect(await deduper.handle(intakeJob('new'))).toEqual({ kind: 'created' });
    expect(calls).toEqual(['new']);
  });

  it('refuses a second dispatch of a job being created', async () => {
    let release: (outcome: DispatchOutcome) => void = () => undefined;
    const deduper = new Deduper({
      ledger: new JobLedger(),
      metrics: testMetrics().deduper,
      dispatch: () => new Promise((resolve) => (release = resolve)),
    });
    const first = deduper.handle(intakeJob('a'));
    expect(await deduper.handle(intakeJob('a'))).toEqual({ kind: 'duplicate' });
    release({ kind: 'failed', message: 'x' });
    expect(await first).toEqual({ kind: 'failed', message: 'x' });
    const again = deduper.handle(intakeJob('a'));
    release({ kind: 'created' });
    expect(await again).toEqual({ kind: 'created' });
  });
});
