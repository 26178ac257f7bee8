import { describe, expect, it } from 'vitest';
import { JobLedger, isJobFinished } from './ledger.js';
import { kubeJob, uuidOf } from './test-support.js';

describe('JobLedger', () => {
  it('counts unfinished Jobs and reports freed slots', async () => {
    const ledger = new JobLedger();
    const changes: unknown[] = [];
    ledger.onChange((change) => changes.push(change));
    await ledger.handler.onAdd?.(kubeJob('a'), true);
    await ledger.handler.onAdd?.(kubeJob('b', 'Complete'), true);
    expect(ledger.unfinishedCount).toBe(1);
    expect(ledger.has(uuidOf('b'))).toBe(true);
    await ledger.handler.onUpdate?.(kubeJob('a'), kubeJob('a', 'Failed'));
    expect(ledger.unfinishedCount).toBe(0);
    await ledger.handler.onDelete?.(kubeJob('b', 'Complete'));
    expect(ledger.has(uuidOf('b'))).toBe(false);
    expect(changes).toEqual([
      { uuid: uuidOf('a'), freedSlot: false },
      { uuid: uuidOf('b'), freedSlot: false },
      { uuid: uuidOf('a'), freedSlot: true },
      { uuid: uuidOf('b'), freedSlot: false },
    ]);
  });

  it('frees a slot when an unfinished Job is deleted, also through a tombstone', async () => {
    const ledger = new JobLedger();
    await ledger.handler.onAdd?.(kubeJob('a'), false);
    await ledger.handler.onAdd?.(kubeJob('b'), false);
    await ledger.handler.onDelete?.(kubeJob('a'));
    await ledger.handler.onDelete?.({
      kind: 'DeletedFinalStateUnknown',
      key: `default/buildkite-${uuidOf('b')}`,
      object: kubeJob('b'),
    });
    expect(ledger.unfinishedCount).toBe(0);
    expect(ledger.size).toBe(0);
  });

  it('does not double count repeated adds or updates', async () => {
    const ledger = new JobLedger();
    await ledger.handler.onAdd?.(kubeJob('a'), true);
    await ledger.handler.onAdd?.(kubeJob('a'), false);
    await ledger.handler.onUpdate?.(kubeJob('a'), kubeJob('a'));
    expect(ledger.unfinishedCount).toBe(1);
  });

  it('ignores Jobs without the job-uuid label', async () => {
    const ledger = new JobLedger();
    await ledger.handler.onAdd?.({ metadata: { name: 'other' } }, true);
    expect(ledger.size).toBe(0);
  });
});

describe('isJobFinished', () => {
  it('needs a true Complete or Failed condition', () => {
    expect(isJobFinished(kubeJob('a', 'Complete'))).toBe(true);
    expect(isJobFinished(kubeJob('a', 'Failed'))).toBe(true);
    expect(isJobFinished({ status: { conditions: [{ type: 'Failed', status: 'False' }] } })).toBe(false);
    expect(isJobFinished({ status: { conditions: [{ type: 'Suspended', status: 'True' }] } })).toBe(false);
    expect(isJobFinished({})).toBe(false);
  });
});
