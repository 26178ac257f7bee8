/**
 * The API server the oracle tests ask: the cluster tier's control plane (test/cluster/global-setup.ts), a
 * KubeClient without client-side throttling and a namespace of their own, plus the few calls they make.
 */
import { randomBytes } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import { inject } from 'vitest';
import { KubeClient } from '../../src/kube/client.js';
import type { KubeError, KubeResult } from '../../src/kube/errors.js';
import type { Job, PodSpec } from '../../src/kube/types.js';

export interface OracleApi {
  readonly client: KubeClient;
  readonly namespace: string;
  close(): Promise<void>;
}

/** Connects to the tier's control plane and makes a namespace, deleted again by `close()`. */
export async function openOracleApi(): Promise<OracleApi> {
  const plane = inject('controlPlane');
  if (plane === undefined) {
    throw new Error('no control plane: run the cluster tier with `npm run test:cluster`');
  }
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(plane.kubeconfigYaml);
  const client = new KubeClient({ kubeConfig, qps: 10_000, burst: 10_000 });
  const namespace = `oracles-${randomBytes(4).toString('hex')}`;
  const path = '/api/v1/namespaces';
  const created = await client.request({
    method: 'POST',
    path,
    body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
  });
  if (!created.ok) {
    await client.close();
    throw new Error(`creating namespace ${namespace}: ${created.error.message}`);
  }
  return {
    client,
    namespace,
    close: async () => {
      // The PodTemplates the SMP differential created go with it.
      await client.request({ method: 'DELETE', path: `${path}/${namespace}` });
      await client.close();
    },
  };
}

/** `dryRun=All` create of a Job in the oracle namespace (whatever namespace the Job names). */
export function dryRunJob(api: OracleApi, job: Job): Promise<KubeResult<Job>> {
  const metadata = { ...job.metadata, namespace: api.namespace };
  return api.client.jobs.create(api.namespace, { ...job, metadata }, { dryRun: true });
}

interface PodTemplateObject {
  metadata: { name: string };
  template: { spec: PodSpec };
}

/** Creates a PodTemplate for real (a PATCH needs something to patch), or with `dryRun=All`. */
export function createPodTemplate(
  api: OracleApi,
  spec: unknown,
  options: { dryRun: boolean },
): Promise<KubeResult<PodTemplateObject>> {
  return api.client.request({
    method: 'POST',
    path: `/api/v1/namespaces/${api.namespace}/podtemplates`,
    query: options.dryRun ? { dryRun: 'All' } : {},
    body: {
      apiVersion: 'v1',
      kind: 'PodTemplate',
      metadata: { generateName: 'oracle-' },
      template: { spec },
    },
  });
}

/** Strategic merge patch of a PodTemplate's `template.spec`, `dryRun=All`. */
export function patchPodTemplateSpec(
  api: OracleApi,
  name: string,
  patch: unknown,
): Promise<KubeResult<PodTemplateObject>> {
  return api.client.request({
    method: 'PATCH',
    path: `/api/v1/namespaces/${api.namespace}/podtemplates/${name}`,
    query: { dryRun: 'All' },
    body: { template: { spec: patch } },
    contentType: 'application/strategic-merge-patch+json',
  });
}

/**
 * The field errors of a 422 as `<field>: <message>` lines, sorted; the object's name is left out so a
 * dry-run create and a patch of differently named objects compare equal.
 */
export function fieldErrors(error: KubeError): string[] {
  if (error.kind !== 'Invalid') return [`${error.kind}: ${error.message}`];
  return error.causes.map((c) => `${c.field ?? ''}: ${c.message ?? ''}`).sort();
}

/** Runs `work` over `items` with at most `limit` in flight, keeping the order of the results. */
export async function inBatches<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
