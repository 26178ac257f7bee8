/** Checks of the chart's files that need no helm: its version, and a dashboard that shows our metrics. */
import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createInformerMetrics } from '../../src/kube/informer.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { VERSION } from '../../src/version.js';

const chartFile = (path: string): string =>
  readFileSync(new URL(`../../charts/agent-stack-k8s/${path}`, import.meta.url), 'utf8');

interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly targets?: { readonly expr: string }[];
}

describe('chart files', () => {
  it('carries this build version as the chart and app version', () => {
    const chart = parseYaml(chartFile('Chart.yaml')) as Record<string, unknown>;
    expect(chart).toMatchObject({ name: 'agent-stack-k8s', version: VERSION, appVersion: VERSION });
    expect(chart.kubeVersion).toBe('>=1.29.0-0');
    expect(parseYaml(chartFile('values.yaml'))).toMatchObject({ image: `agent-stack-k8s:${VERSION}` });
  });

  it('fails with the message docs/troubleshooting.md quotes when no token is given', () => {
    const message = /required "([^"]+)" \.Values\.agentToken/.exec(chartFile('templates/secrets.yaml'))?.[1];
    expect(message).toBe('agentToken must be set');
    const page = readFileSync(new URL('../../docs/troubleshooting.md', import.meta.url), 'utf8');
    expect(page).toContain(`): ${message ?? ''}\``);
  });

  it('has a Grafana dashboard whose every query names a metric the controller serves', async () => {
    const registry = new Registry();
    createMetrics(registry);
    createInformerMetrics(registry);
    const served = new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
    const dashboard = JSON.parse(chartFile('dashboards/agent-stack-k8s.json')) as { panels: Panel[] };
    const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    expect(queries.length).toBeGreaterThan(20);
    const names = new Set(
      queries.flatMap((expr) =>
        [...expr.matchAll(/\b((?:buildkite|process|nodejs)_[a-z0-9_]+)/g)].map((m) => m[1] ?? ''),
      ),
    );
    for (const name of names) {
      const metric = name.replace(/_(bucket|sum|count)$/, '');
      expect(served, `${name} in the dashboard`).toContain(metric);
      // Histogram series only exist with the suffix; a bare histogram name matches nothing.
      if (name === metric) expect((await registry.getSingleMetric(name)?.get())?.type).not.toBe('histogram');
    }
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
