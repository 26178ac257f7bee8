/**
 * Global setup of the cluster tier (`npm run test:cluster`): builds or reuses the control-plane binaries,
 * starts ONE control plane for the whole run and hands its kubeconfig to the test files through
 * `inject('controlPlane')`. Each scenario harness then works in its own namespace of it. When
 * `scripts/helm/build.sh` exists, the path it prints on its last line is provided as `inject('helmBin')`
 * (and `HELM_BIN`). Test files of their own should work in a namespace of their own too.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { controlPlaneBinDir, startControlPlane } from '../../sim/cluster/control-plane.js';

export interface ClusterContext {
  readonly url: string;
  readonly kubeconfigYaml: string;
  readonly kubeconfigPath: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's control plane; undefined outside the cluster tier. */
    controlPlane: ClusterContext | undefined;
    /** A Helm binary for chart tests, when the repository can build one. */
    helmBin: string | undefined;
  }
}

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const HELM_BUILD = join(REPO_ROOT, 'scripts/helm/build.sh');

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const binDir = await controlPlaneBinDir();
  const plane = await startControlPlane({ binDir });
  console.log(`cluster tier: control plane at ${plane.url} ready in ${Date.now() - started} ms`);
  project.provide('controlPlane', {
    url: plane.url,
    kubeconfigYaml: plane.kubeconfigYaml,
    kubeconfigPath: plane.kubeconfigPath,
  });
  let helmBin: string | undefined;
  if (existsSync(HELM_BUILD)) {
    const { stdout } = await promisify(execFile)('bash', [HELM_BUILD], { maxBuffer: 16 * 1024 * 1024 });
    helmBin = stdout.trim().split('\n').pop();
    // Chart tests that spawn helm through a script find it here too (workers inherit the environment).
    if (helmBin !== undefined) process.env['HELM_BIN'] = helmBin;
  }
  project.provide('helmBin', helmBin);
  return () => plane.stop();
}
