/**
 * `startFakeKube()`: an in-process Kubernetes API server on 127.0.0.1 for tests, benchmarks and the
 * demo, with a Job controller, a pod-lifecycle driver and fault injection.
 *
 * Where it is simpler than kube-apiserver (check these against the cluster tier, not here): merge patch
 * only (strategic-merge and JSON patch get 415); deletes are immediate (no graceful termination,
 * finalizers or deletionTimestamp); list pages after the first show current objects under the first
 * page's resourceVersion; one pod per Job (no parallelism, indexes or pod failure policy);
 * `activeDeadlineSeconds` is checked on a tick; no TTL-after-finished cleanup, scheduling or quota; the only
 * ServiceAccount is `default` (pods naming another are refused with the API server's FailedCreate event).
 */
import { KubeConfig } from '@kubernetes/client-node';
import { Faults } from './faults.js';
import { FakeJobController } from './job-controller.js';
import { PodDriver } from './pod-driver.js';
import { FakeApiServer, type FakeTls } from './server.js';
import { FakeStore } from './store.js';

export { Faults, type FaultAction, type FaultRule, type FaultVerb, type FaultHandle } from './faults.js';
export { FakeStore, type KubeObject, type Change } from './store.js';
export type { FakeTls } from './server.js';
export { PodDriver, type PodTransition, type ContainerStateSpec, type EventInput } from './pod-driver.js';
export { FakeJobController } from './job-controller.js';

export interface FakeKubeOptions {
  /** Bearer token the server requires; default `fake-token`. */
  readonly token?: string;
  /** Namespaces that exist besides `default` and `kube-system`. */
  readonly namespaces?: readonly string[];
  readonly bookmarkIntervalMs?: number;
  /** Changes retained for watch resumption; older resourceVersions get 410 Expired. */
  readonly historyLimit?: number;
  /** Run the Job controller (default true). */
  readonly jobController?: boolean;
  readonly jobControllerTickMs?: number;
  readonly now?: () => Date;
  /** Serve HTTPS with this key pair; the kubeconfig then trusts `cert` as its CA. */
  readonly tls?: FakeTls;
}

export interface FakeKube {
  readonly url: string;
  readonly token: string;
  /** A KubeConfig whose current context points at the fake with the token. */
  readonly kubeConfig: KubeConfig;
  /** The same as a kubeconfig YAML document, for processes that read a file. */
  readonly kubeconfigYaml: string;
  readonly store: FakeStore;
  readonly faults: Faults;
  readonly jobController: FakeJobController | undefined;
  readonly pods: PodDriver;
  requestCounts(): Record<string, number>;
  close(): Promise<void>;
}

export async function startFakeKube(options: FakeKubeOptions = {}): Promise<FakeKube> {
  const token = options.token ?? 'fake-token';
  const store = new FakeStore({
    ...(options.historyLimit === undefined ? {} : { historyLimit: options.historyLimit }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  for (const namespace of options.namespaces ?? []) store.createNamespace(namespace);
  const faults = new Faults();
  const server = new FakeApiServer({
    store,
    faults,
    token,
    ...(options.tls === undefined ? {} : { tls: options.tls }),
    ...(options.bookmarkIntervalMs === undefined ? {} : { bookmarkIntervalMs: options.bookmarkIntervalMs }),
  });
  const url = await server.listen();
  const jobController =
    options.jobController === false
      ? undefined
      : new FakeJobController({
          store,
          ...(options.jobControllerTickMs === undefined ? {} : { tickMs: options.jobControllerTickMs }),
        });
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'fake',
        cluster:
          options.tls === undefined
            ? { server: url, 'insecure-skip-tls-verify': true }
            : { server: url, 'certificate-authority-data': Buffer.from(options.tls.cert).toString('base64') },
      },
    ],
    users: [{ name: 'fake', user: { token } }],
    contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake', namespace: 'default' } }],
    'current-context': 'fake',
  };
  const kubeconfigYaml = JSON.stringify(config, null, 2); // JSON is YAML
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(kubeconfigYaml);
  return {
    url,
    token,
    kubeConfig,
    kubeconfigYaml,
    store,
    faults,
    jobController,
    pods: new PodDriver({ store }),
    requestCounts: () => server.requestCounts(),
    close: async () => {
      jobController?.stop();
      await server.close();
    },
  };
}
