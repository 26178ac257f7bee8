/**
 * Loads the cluster connection settings: an explicit kubeconfig file, else `KubeConfig`'s default
 * search (KUBECONFIG, ~/.kube/config, in-cluster service account). Problems are values with a message
 * that says what to fix. Unlike a bare `loadFromDefault()`, finding nothing is an error rather than a
 * silent fallback to http://localhost:8080.
 */
import { KubeConfig } from '@kubernetes/client-node';

export interface KubeConfigSource {
  /** A kubeconfig file; the default search when absent. */
  readonly path?: string;
  /** Context to use instead of the file's current-context. */
  readonly context?: string;
}

export type KubeConfigResult =
  { readonly ok: true; readonly kubeConfig: KubeConfig } | { readonly ok: false; readonly message: string };

export function loadKubeConfig(source: KubeConfigSource = {}): KubeConfigResult {
  const kubeConfig = new KubeConfig();
  try {
    if (source.path === undefined) kubeConfig.loadFromDefault();
    else kubeConfig.loadFromFile(source.path);
  } catch (error) {
    const where = source.path === undefined ? 'the default kubeconfig' : `kubeconfig ${source.path}`;
    return {
      ok: false,
      message: `cannot load ${where}: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  if (source.context !== undefined) {
    if (kubeConfig.getContextObject(source.context) === null) {
      return { ok: false, message: `kubeconfig has no context named "${source.context}"` };
    }
    kubeConfig.setCurrentContext(source.context);
  }
  const cluster = kubeConfig.getCurrentCluster();
  if (cluster === null) {
    return {
      ok: false,
      message: 'kubeconfig has no current cluster; set current-context or choose a context',
    };
  }
  if (
    source.path === undefined &&
    kubeConfig.currentContext === 'loaded-context' &&
    cluster.server === 'http://localhost:8080'
  ) {
    return {
      ok: false,
      message:
        'no Kubernetes configuration found: not running in a pod with a service account, no KUBECONFIG and no ~/.kube/config',
    };
  }
  return { ok: true, kubeConfig };
}
