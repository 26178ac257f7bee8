/** The plain manifests in docs/installation.md parse, grant exactly the RBAC the controller needs, and carry a valid config. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { CONTROLLER_ROLE_RULES } from '../support/rbac.js';

interface Manifest {
  readonly kind: string;
  readonly [key: string]: unknown;
}

function manifests(): Manifest[] {
  const text = readFileSync(new URL('../../docs/installation.md', import.meta.url), 'utf8');
  const blocks = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  const out: Manifest[] = [];
  for (const block of blocks) {
    for (const doc of parseAllDocuments(block)) {
      expect(doc.errors).toEqual([]);
      // Blocks without a kind are Helm values files, checked by test/cluster/chart.test.ts.
      const object = doc.toJS() as Partial<Manifest> | null;
      if (typeof object?.kind === 'string') out.push(object as Manifest);
    }
  }
  return out;
}

function byKind(kind: string): Record<string, unknown> {
  const found = manifests().find((m) => m.kind === kind);
  if (found === undefined) throw new Error(`no ${kind} in docs/installation.md`);
  return found;
}

describe('docs/installation.md manifests', () => {
  it('has every object the controller needs', () => {
    expect(manifests().map((m) => m.kind)).toEqual([
      'ServiceAccount',
      'Role',
      'RoleBinding',
      'ConfigMap',
      'Deployment',
    ]);
  });

  it('grants the RBAC rules of the upstream chart', () => {
    expect(byKind('Role').rules).toEqual(CONTROLLER_ROLE_RULES);
  });

  it('probes /healthz and /readyz on the metrics port the config sets', () => {
    const deployment = byKind('Deployment') as {
      spec: { template: { spec: { containers: Record<string, unknown>[] } } };
    };
    const [container] = deployment.spec.template.spec.containers;
    expect(container).toMatchObject({
      ports: [{ name: 'metrics', containerPort: 9216 }],
      livenessProbe: { httpGet: { path: '/healthz', port: 'metrics' } },
      readinessProbe: { httpGet: { path: '/readyz', port: 'metrics' } },
    });
  });

  it('ships a config file the controller accepts', () => {
    const configMap = byKind('ConfigMap') as { data: Record<string, string> };
    const file = configMap.data['config.yaml'] ?? '';
    const loaded = loadConfig({ configPath: 'config.yaml', env: {}, readFile: () => file });
    expect(loaded).toMatchObject({ ok: true });
    if (!loaded.ok) return;
    expect(loaded.config['prometheus-port']).toBe(9216);
    expect(loaded.config['agent-token-secret']).toBe('agent-stack-k8s-secrets');
  });
});
