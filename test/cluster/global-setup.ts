/**
 * Global setup of the cluster tier (`npm run test:cluster`): builds or reuses the control-plane binaries,
 * starts ONE control plane for the whole run and hands its kubeconfig to the test files through
 * `inject('controlPlane')`. Each scenario harness then works in its own namespace of it. When
 * `scripts/helm/build.sh` exists and `HELM_BIN` is not set, the path it prints on its last line becomes
 * `HELM_BIN` (the chart tests read it) and `inject('helmBin')`. Test files of their own should work in a
 * namespace of their own too.
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
  // A helm the caller chose (HELM_BIN) wins; otherwise the repository's build script provides one.
  let helmBin = process.env['HELM_BIN'];
  if ((helmBin === undefined || helmBin === '') && existsSync(HELM_BUILD)) {
    const { stdout } = await promisify(execFile)('bash', [HELM_BUILD], { maxBuffer: 16 * 1024 * 1024 });
    helmBin = stdout.trim().split('\n').pop();
    // The chart tests read HELM_BIN; test workers start after this and inherit the environment.
    if (helmBin !== undefined) process.env['HELM_BIN'] = helmBin;
  }
  const started = Date.now();
  const binDir = await controlPlaneBinDir();
  const plane = await startControlPlane({ binDir });
  console.log(`cluster tier: control plane at ${plane.url} ready in ${Date.now() - started} ms`);
  project.provide('controlPlane', {
    url: plane.url,
    kubeconfigYaml: plane.kubeconfigYaml,
    kubeconfigPath: plane.kubeconfigPath,
  });
  project.provide('helmBin', helmBin);
  return () => plane.stop();
}
