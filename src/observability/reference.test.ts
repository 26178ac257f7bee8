import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createInformerMetrics } from '../kube/informer.js';
import { createMetrics } from './metrics.js';
import { metricsReference } from './reference.js';

describe('docs/metrics.md', () => {
  it('is up to date (run `npm run docs` after changing a metric)', async () => {
    const reference = await metricsReference();
    expect(readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8')).toBe(reference);
  });

  it('lists every metric the controller registers, with its labels', async () => {
    const reference = await metricsReference();
    const registry = new Registry();
    createMetrics(registry, { defaultMetrics: false });
    createInformerMetrics(registry);
    const names = registry.getMetricsAsArray().map((m) => m.name);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(reference).toContain(`| \`${name}\` |`);
    expect(reference).toContain(
      '| `buildkite_informer_watch_restarts_total` | counter | `resource`, `reason` |',
    );
  });
});
