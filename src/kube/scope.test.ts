import { describe, expect, it } from 'vitest';
import { parseLabelSelector } from '../../sim/kube/selectors.js';
import { watchLabelSelector } from './scope.js';

function selects(controllerId: string, labels: Record<string, string>): boolean {
  const parsed = parseLabelSelector(watchLabelSelector(controllerId));
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.selector(labels);
}

describe('watchLabelSelector', () => {
  const uuid = { 'buildkite.com/job-uuid': '0190' };

  it('with an ID: only Jobs labelled with that ID', () => {
    expect(watchLabelSelector('blue')).toBe('buildkite.com/job-uuid,buildkite.com/controller-id=blue');
    expect(selects('blue', { ...uuid, 'buildkite.com/controller-id': 'blue' })).toBe(true);
    expect(selects('blue', { ...uuid, 'buildkite.com/controller-id': 'green' })).toBe(false);
    expect(selects('blue', uuid)).toBe(false);
  });

  it('without an ID: only Jobs without one (pre-ID Jobs stay visible)', () => {
    expect(selects('', uuid)).toBe(true);
    expect(selects('', { ...uuid, 'buildkite.com/controller-id': 'blue' })).toBe(false);
  });

  it('never selects objects without a job UUID', () => {
    expect(selects('', {})).toBe(false);
    expect(selects('blue', { 'buildkite.com/controller-id': 'blue' })).toBe(false);
  });
});
