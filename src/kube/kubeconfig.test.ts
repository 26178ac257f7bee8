import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadKubeConfig } from './kubeconfig.js';

const yaml = `apiVersion: v1
kind: Config
clusters:
  - name: one
    cluster: { server: 'https://one.example:6443' }
users:
  - name: u
    user: { token: t }
contexts:
  - name: first
    context: { cluster: one, user: u, namespace: buildkite }
current-context: first
`;

describe('loadKubeConfig', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
    file = join(dir, 'config');
    writeFileSync(file, yaml);
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const server = (result: ReturnType<typeof loadKubeConfig>) =>
    result.ok ? result.kubeConfig.getCurrentCluster()?.server : result.reason;

  it('loads the first existing file of KUBECONFIG', () => {
    expect(server(loadKubeConfig({ KUBECONFIG: `${join(dir, 'nope')}:${file}`, HOME: dir }))).toBe(
      'https://one.example:6443',
    );
  });

  it('falls back to ~/.kube/config', () => {
    mkdirSync(join(dir, '.kube'));
    writeFileSync(join(dir, '.kube', 'config'), yaml);
    expect(server(loadKubeConfig({ HOME: dir }))).toBe('https://one.example:6443');
  });

  it('says so when nothing is found instead of falling back to localhost:8080', () => {
    expect(loadKubeConfig({ HOME: dir })).toEqual({
      ok: false,
      reason:
        'no Kubernetes configuration found: set KUBECONFIG, create ~/.kube/config, or run inside a cluster',
    });
    expect(loadKubeConfig({ KUBECONFIG: join(dir, 'nope'), HOME: dir })).toEqual({
      ok: false,
      reason: `KUBECONFIG names no existing file: ${join(dir, 'nope')}`,
    });
  });

  it('reports a malformed file', () => {
    writeFileSync(file, 'clusters: [');
    const result = loadKubeConfig({ KUBECONFIG: file, HOME: dir });
    expect(result.ok ? '' : result.reason).toMatch(/^cannot load the Kubernetes configuration: /);
  });

  it('requires a current cluster', () => {
    writeFileSync(file, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
    expect(loadKubeConfig({ KUBECONFIG: file, HOME: dir })).toEqual({
      ok: false,
      reason: 'the Kubernetes configuration has no current cluster; set current-context',
    });
  });
});
