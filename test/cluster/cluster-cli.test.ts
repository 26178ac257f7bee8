/** `npm run cluster -- up | down`: a detached control plane that `down` stops without leaving a process. */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { processAlive as alive } from '../../sim/cluster/control-plane.js';

const CLI = resolve(import.meta.dirname, '../../sim/cluster/cli.ts');
const dir = mkdtempSync(join(tmpdir(), 'cluster-cli-'));
const stateFile = join(dir, 'state.json');

afterAll(async () => {
  // A failed assertion must not leave the detached control plane running.
  if (existsSync(stateFile)) await cli('down', '--state', stateFile);
  rmSync(dir, { recursive: true, force: true });
});

async function cli(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', CLI, ...args], {
    timeout: 120_000,
  });
  return stdout;
}

describe('npm run cluster', () => {
  it('starts a control plane detached, reports it, and stops every process it started', async () => {
    const up = await cli('up', '--state', stateFile);
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as {
      keeper: number;
      kubeconfigPath: string;
      dir: string;
      pids: Record<string, number>;
    };
    expect(up).toContain(`export KUBECONFIG=${state.kubeconfigPath}`);
    expect(Object.keys(state.pids).sort()).toEqual([
      'etcd',
      'kube-apiserver',
      'kube-controller-manager',
      'kube-scheduler',
      'kwok',
    ]);
    const pids = [state.keeper, ...Object.values(state.pids)];
    expect(pids.filter(alive)).toEqual(pids);
    expect(await cli('--state', stateFile, 'status')).toContain(state.kubeconfigPath);
    expect(await cli('up', '--state', stateFile)).toContain('already up');

    expect(await cli('down', '--state', stateFile)).toBe('stopped\n');
    expect(pids.filter(alive)).toEqual([]);
    expect(existsSync(state.dir)).toBe(false);
    expect(existsSync(stateFile)).toBe(false);
    expect(await cli('down', '--state', stateFile)).toBe('no control plane is up\n');
  }, 120_000);
});
