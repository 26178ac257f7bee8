import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JobState } from '../../src/buildkite/types.js';
import { BuildkiteModel } from './model.js';

type Op =
  | { kind: 'create'; queue: 'a' | 'b' }
  | { kind: 'reserve'; pick: number[]; stack: 's1' | 's2'; expiry: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'cancel'; pick: number }
  | { kind: 'finish'; pick: number }
  | { kind: 'acquire'; pick: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), queue: fc.constantFrom('a' as const, 'b' as const) }),
  fc.record({
    kind: fc.constant('reserve' as const),
    pick: fc.array(fc.nat(30), { maxLength: 5 }),
    stack: fc.constantFrom('s1' as const, 's2' as const),
    expiry: fc.integer({ min: 1, max: 30 }),
  }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 20_000 }) }),
  fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat(30) }),
  fc.record({ kind: fc.constant('finish' as const), pick: fc.nat(30) }),
  fc.record({ kind: fc.constant('acquire' as const), pick: fc.nat(30) }),
);

const TERMINAL: readonly JobState[] = ['finished', 'canceled'];

describe('BuildkiteModel state machine', () => {
  it('lists exactly the unreserved scheduled jobs, oldest first, and never revives a finished job', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        let clock = 1_000_000;
        const model = new BuildkiteModel({ now: () => clock, organizationSlug: 'o', defaultQueueKey: 'a' });
        const agent = model.registerAgent('agent', []);
        const ids: string[] = [];
        const ended = new Set<string>();
        const at = (i: number): string => ids[i % Math.max(1, ids.length)] ?? 'none';
        for (const step of ops) {
          switch (step.kind) {
            case 'create':
              ids.push(model.createJob({ queue: step.queue }).id);
              clock += 1;
              break;
            case 'reserve': {
              const picked = step.pick.map(at);
              const { reserved, notReserved } = model.reserve(step.stack, picked, step.expiry);
              expect([...reserved, ...notReserved].sort()).toEqual([...picked].sort());
              for (const id of reserved) expect(model.job(id)?.reservation?.stackKey).toBe(step.stack);
              break;
            }
            case 'advance':
              clock += step.ms;
              break;
            case 'cancel':
              model.cancel(at(step.pick));
              break;
            case 'finish':
              model.finishByStack(at(step.pick), -1, 'x');
              break;
            case 'acquire':
              model.acquire(agent, at(step.pick));
              break;
          }
          for (const id of ids) {
            const job = model.job(id);
            if (job === undefined) throw new Error('job vanished');
            if (ended.has(id)) expect(TERMINAL).toContain(job.state);
            if (TERMINAL.includes(job.state)) ended.add(id);
            if (job.state === 'reserved') expect(job.reservation?.expiresAt ?? 0).toBeGreaterThan(clock);
            else expect(job.reservation).toBeNull();
          }
          for (const queue of ['a', 'b']) {
            const listed = model.scheduledJobs(queue);
            const expected = ids
              .map((id) => model.job(id))
              .filter((j) => j?.queueKey === queue && j.state === 'scheduled')
              .map((j) => j?.id);
            expect(listed.map((j) => j.id)).toEqual(expected);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('treats _default and __default__ as the default queue', () => {
    const model = new BuildkiteModel({ now: () => 0, organizationSlug: 'o', defaultQueueKey: 'main' });
    const id = model.createJob({}).id;
    expect(model.scheduledJobs('_default').map((j) => j.id)).toEqual([id]);
    expect(model.scheduledJobs('__default__').map((j) => j.id)).toEqual([id]);
    expect(model.job(id)?.agentQueryRules).toEqual([]);
  });
});
