import fc from 'fast-check';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { startFakeKube } from '../../sim/kube/index.js';
import { createLogger } from '../observability/logger.js';
import { KubeClient } from './client.js';
import { createInformerMetrics, Informer, isTombstone } from './informer.js';
import type { Job } from './types.js';

type Op =
  | { kind: 'create' | 'update' | 'delete'; name: string }
  | { kind: 'drop' | 'expire' | 'stall' | 'compact' | 'blackout' | 'pause' };

const names = fc.constantFrom('a', 'b', 'c', 'd', 'e');
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constantFrom('create', 'update', 'delete'), name: names }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constantFrom('drop', 'expire', 'stall', 'compact', 'fail-watch') }),
  },
) as fc.Arbitrary<Op>;

describe('Informer under random changes and faults', () => {
  it('converges to the server state with a consistent add/update/delete history', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 60 }), async (ops) => {
        const kube = await startFakeKube({ jobController: false, historyLimit: 8, bookmarkIntervalMs: 30 });
        const client = new KubeClient({ kubeConfig: kube.kubeConfig, qps: 10_000, burst: 10_000 });
        const informer = new Informer<Job>({
          resource: 'jobs',
          namespace: 'default',
          source: client.jobs,
          logger: createLogger({ format: 'json', level: 'error', write: () => undefined }),
          metrics: createInformerMetrics(new Registry()),
          backoff: { baseMs: 2, maxMs: 10 },
          idleTimeoutMs: 80,
          pageSize: 2,
        });
        const seen = new Map<string, string>();
        const violations: string[] = [];
        informer.addHandler({
          onAdd: (job) => {
            const name = job.metadata?.name ?? '';
            if (seen.has(name)) violations.push(`duplicate add of ${name}`);
            seen.set(name, job.metadata?.resourceVersion ?? '');
          },
          onUpdate: (_old, job) => {
            const name = job.metadata?.name ?? '';
            if (!seen.has(name)) violations.push(`update of unknown ${name}`);
            seen.set(name, job.metadata?.resourceVersion ?? '');
          },
          onDelete: (job) => {
            const name = (isTombstone(job) ? job.object : job).metadata?.name ?? '';
            if (!seen.delete(name)) violations.push(`delete of unknown ${name}`);
          },
        });
        informer.start();
        try {
          await informer.waitForSync();
          let generation = 0;
          for (const step of ops) {
            switch (step.kind) {
              case 'create':
                kube.store.create('jobs', { metadata: { name: step.name, namespace: 'default' } });
                break;
              case 'update':
                kube.store.mutate('jobs', 'default', step.name, (job) => {
                  job.metadata.labels = { generation: String(++generation) };
                });
                break;
              case 'delete':
                kube.store.delete('jobs', 'default', step.name);
                break;
              case 'drop':
                kube.faults.dropWatches();
                break;
              case 'expire':
                kube.faults.inject({ verb: 'watch', action: { kind: 'expired' } });
                kube.faults.dropWatches();
                break;
              case 'stall':
                kube.faults.stallWatches();
                break;
              case 'compact':
                kube.store.compact();
                break;
              case 'blackout':
                // Watches fail for a while; changes meanwhile may fall out of the retained history.
                kube.faults.inject({ verb: 'watch', times: 3, action: { kind: 'status', code: 500 } });
                kube.faults.dropWatches();
                break;
              case 'pause':
                await new Promise((resolve) => setTimeout(resolve, 15));
                break;
            }
            await new Promise((resolve) => setImmediate(resolve));
          }
          const expected = (): string =>
            JSON.stringify(kube.store.list('jobs').map((j) => [j.metadata.name, j.metadata.resourceVersion]));
          const cached = (): string =>
            JSON.stringify(
              informer
                .list()
                .map((j) => [j.metadata?.name, j.metadata?.resourceVersion])
                .sort(),
            );
          for (let i = 0; i < 400 && cached() !== expected(); i++) {
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
          expect(cached()).toBe(expected());
          expect(JSON.stringify([...seen].sort())).toBe(expected());
          expect(violations).toEqual([]);
        } finally {
          await informer.stop();
          await client.close();
          await kube.close();
        }
      }),
      { numRuns: 20 },
    );
  });
});
