import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadKubeConfig } from './kubeconfig.js';

const yaml = `apiVersion: v1
kind: Config
clusters:
  - name: one
    cluster: { server: 'https://one.example:6443' }
  - name: two
    cluster: { server: 'https://two.example:6443' }
users:
  - name: u
    user: { token: t }
contexts:
  - name: first
    context: { cluster: one, user: u, namespace: buildkite }
  - name: second
    context: { cluster: two, user: u }
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

  it('loads a file and uses its current context', () => {
    const result = loadKubeConfig({ path: file });
    expect(result.ok && result.kubeConfig.getCurrentCluster()?.server).toBe('https://one.example:6443');
  });

  it('switches to a named context', () => {
    const result = loadKubeConfig({ path: file, context: 'second' });
    expect(result.ok && result.kubeConfig.getCurrentCluster()?.server).toBe('https://two.example:6443');
  });

  it('says which context is missing', () => {
    expect(loadKubeConfig({ path: file, context: 'third' })).toEqual({
      ok: false,
      message: 'kubeconfig has no context named "third"',
    });
  });

  it('reports an unreadable or malformed file with its path', () => {
    const missing = loadKubeConfig({ path: join(dir, 'nope') });
    expect(missing.ok ? '' : missing.message).toContain(`cannot load kubeconfig ${join(dir, 'nope')}`);
    writeFileSync(file, 'clusters: [');
    const malformed = loadKubeConfig({ path: file });
    expect(malformed.ok).toBe(false);
  });
});
