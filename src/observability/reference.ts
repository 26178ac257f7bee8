/** Renders docs/metrics.md from a fresh registry, so the metrics reference cannot drift from the code. */
import { Registry } from 'prom-client';
import { createInformerMetrics } from '../kube/informer.js';
import { createMetrics } from './metrics.js';

export async function metricsReference(): Promise<string> {
  const registry = new Registry();
  createMetrics(registry, { defaultMetrics: false });
  createInformerMetrics(registry);
  const lines = [
    '# Metrics reference',
    '',
    '<!-- Generated from src/observability/metrics.ts and src/kube/informer.ts by `npm run docs`; a test fails when this file is stale. -->',
    '',
    'When `prometheus-port` is set, the controller serves these on `GET /metrics` of that port, in the Prometheus',
    'text format, together with the standard Node.js process metrics (`process_*`, `nodejs_*`).',
    '',
    '| Name | Type | Labels | Meaning |',
    '|---|---|---|---|',
  ];
  const metrics = (await registry.getMetricsAsJSON()).sort((a, b) => a.name.localeCompare(b.name));
  for (const metric of metrics) {
    const labels = labelNamesOf(registry.getSingleMetric(metric.name));
    lines.push(
      `| \`${metric.name}\` | ${metric.type} | ${labelsText(labels)} | ${escapeCell(metric.help)} |`,
    );
  }
  return lines.join('\n') + '\n';
}

// prom-client keeps label names on the metric instance but leaves them out of its MetricObject type.
function labelNamesOf(metric: object | undefined): readonly string[] {
  if (metric === undefined) return [];
  const names: unknown = (metric as { labelNames?: unknown }).labelNames;
  return Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string') : [];
}

function labelsText(names: readonly string[]): string {
  return names.length === 0 ? '-' : names.map((n) => `\`${n}\``).join(', ');
}

function escapeCell(text: string): string {
  return text.replaceAll('|', '\\|');
}
