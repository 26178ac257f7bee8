/**
 * Finds the Kubernetes credentials in upstream's order (controller-runtime's `GetConfig`): `KUBECONFIG`,
 * else the in-cluster service account, else `~/.kube/config`. Unlike client-node's `loadFromDefault`, it
 * never falls back to an unauthenticated `localhost:8080`: with nothing found it says so.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

export type KubeConfigResult =
  { readonly ok: true; readonly kubeConfig: KubeConfig } | { readonly ok: false; readonly reason: string };

export function loadKubeConfig(env: Readonly<Record<string, string | undefined>>): KubeConfigResult {
  const kubeConfig = new KubeConfig();
  try {
    const fromEnv = env.KUBECONFIG;
    const home = env.HOME ?? homedir();
    const defaultFile = join(home, '.kube', 'config');
    if (fromEnv !== undefined && fromEnv !== '') {
      const first = fromEnv.split(':').find((file) => existsSync(file));
      if (first === undefined) return { ok: false, reason: `KUBECONFIG names no existing file: ${fromEnv}` };
      kubeConfig.loadFromFile(first);
    } else if (env.KUBERNETES_SERVICE_HOST !== undefined) {
      kubeConfig.loadFromCluster();
    } else if (existsSync(defaultFile)) {
      kubeConfig.loadFromFile(defaultFile);
    } else {
      return {
        ok: false,
        reason:
          'no Kubernetes configuration found: set KUBECONFIG, create ~/.kube/config, or run inside a cluster',
      };
    }
  } catch (error) {
    return { ok: false, reason: `cannot load the Kubernetes configuration: ${(error as Error).message}` };
  }
  if (kubeConfig.getCurrentCluster() === null) {
    return { ok: false, reason: 'the Kubernetes configuration has no current cluster; set current-context' };
  }
  return { ok: true, kubeConfig };
}
