/**
 * The cluster tier's kubelet stand-in: every PodLifecycle outcome, driven through the KWOK stages on the
 * run's control plane, shows the pod status a kubelet would report, and the tier's namespace is its own.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startClusterTier } from '../../sim/cluster/tier.js';
import type { KubeTier } from '../../src/demo/fake-cluster.js';
import type { PodInfo } from '../../src/demo/pod-agent.js';
import { KubeClient } from '../../src/kube/client.js';
import type { Pod } from '../../src/kube/types.js';
import { createLogger } from '../../src/observability/logger.js';
import { UUID_LABEL } from '../../src/podspec/labels.js';

const controlPlane = inject('controlPlane');
if (controlPlane === undefined) throw new Error('run with npm run test:cluster (no control plane provided)');

let tier: KubeTier;
let client: KubeClient;

beforeAll(async () => {
  tier = await startClusterTier({
    kubeconfigYaml: controlPlane.kubeconfigYaml,
    agentToken: 'bkct_stages',
    logger: createLogger({ format: 'json', level: 'warn', write: (line) => process.stderr.write(line) }),
  });
  client = new KubeClient({ kubeConfig: tier.kubeConfig, qps: 100, burst: 100 });
});
afterAll(async () => {
  await tier.close();
  await client.close();
});

/** A Job like the controller's (labelled pod, restartPolicy Never, no retries); resolves with its pod. */
async function podOfNewJob(
  uuid: string,
  initContainers: { name: string; restartPolicy?: string }[] = [],
): Promise<PodInfo> {
  const image = 'buildkite/agent:3';
  const created = await client.jobs.create(tier.namespace, {
    metadata: { name: uuid, labels: { [UUID_LABEL]: uuid } },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { labels: { [UUID_LABEL]: uuid } },
        spec: {
          restartPolicy: 'Never',
          initContainers: initContainers.map((container) => ({ ...container, image })),
          containers: [
            { name: 'agent', image },
            { name: 'container-0', image: 'alpine:3' },
          ],
        },
      },
    },
  });
  expect(created.ok).toBe(true);
  for (let i = 0; i < 600; i++) {
    const pod = (await tier.pods.list()).find((p) => p.jobUuid === uuid);
    if (pod !== undefined) return pod;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no pod for Job ${uuid}`);
}

async function podNamed(name: string): Promise<Pod> {
  const got = await client.pods.get(tier.namespace, name);
  if (!got.ok) throw new Error(`pod ${name}: ${got.error.kind}`);
  return got.value;
}

const states = (statuses: { name: string; state?: object }[] | undefined) =>
  Object.fromEntries((statuses ?? []).map((s) => [s.name, Object.keys(s.state ?? {})[0]]));

describe('KWOK pod stages of the cluster tier', () => {
  it('keeps a scheduled pod Pending until told, then runs it and completes it with exit 0', async () => {
    const pod = await podOfNewJob('stage-succeed');
    for (let i = 0; i < 600 && (await podNamed(pod.name)).spec?.nodeName === undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // KWOK acts on a scheduled pod within milliseconds; this window would show a stage that matched.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const waiting = await podNamed(pod.name);
    expect(waiting.spec?.nodeName).toBe('kwok-node-0');
    expect(waiting.status?.phase).toBe('Pending');

    await tier.pods.run(pod);
    const running = await podNamed(pod.name);
    expect(running.status?.phase).toBe('Running');
    expect(states(running.status?.containerStatuses)).toEqual({ agent: 'running', 'container-0': 'running' });
    expect(running.status?.startTime).toBeDefined();

    await tier.pods.succeed(pod);
    const done = await podNamed(pod.name);
    expect(done.status?.phase).toBe('Succeeded');
    expect(done.status?.containerStatuses?.map((s) => s.state?.terminated?.exitCode)).toEqual([0, 0]);
  });

  it('runs a pod with its init containers completed and native sidecars running', async () => {
    const pod = await podOfNewJob('stage-sidecar', [
      { name: 'copy-agent' },
      { name: 'logger', restartPolicy: 'Always' },
    ]);
    await tier.pods.run(pod);
    const running = await podNamed(pod.name);
    expect(states(running.status?.initContainerStatuses)).toEqual({
      'copy-agent': 'terminated',
      logger: 'running',
    });
    expect(
      running.status?.initContainerStatuses?.find((s) => s.name === 'copy-agent')?.state?.terminated
        ?.exitCode,
    ).toBe(0);
  });

  it('fails the agent container with the exit code asked for, the others with 0', async () => {
    const pod = await podOfNewJob('stage-fail');
    await tier.pods.run(pod);
    await tier.pods.fail(pod, 42);
    const failed = await podNamed(pod.name);
    expect(failed.status?.phase).toBe('Failed');
    const exitCodes = Object.fromEntries(
      (failed.status?.containerStatuses ?? []).map((s) => [s.name, s.state?.terminated?.exitCode]),
    );
    expect(exitCodes).toEqual({ agent: 42, 'container-0': 0 });
  });

  it('leaves a pod Pending with the image failure on the named container and a start time', async () => {
    const init = await podOfNewJob('stage-image-init', [{ name: 'copy-agent' }]);
    await tier.pods.imagePullFailure(init, 'copy-agent', 'ErrImagePull');
    const initPending = await podNamed(init.name);
    expect(initPending.status?.phase).toBe('Pending');
    expect(initPending.status?.initContainerStatuses?.[0]?.state?.waiting?.reason).toBe('ErrImagePull');
    expect(initPending.status?.containerStatuses?.map((s) => s.state?.waiting?.reason)).toEqual([
      'PodInitializing',
      'PodInitializing',
    ]);
    for (const reason of ['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName'] as const) {
      const pod = await podOfNewJob(`stage-image-${reason.toLowerCase()}`);
      await tier.pods.imagePullFailure(pod, 'container-0', reason);
      const pending = await podNamed(pod.name);
      expect(pending.status?.phase).toBe('Pending');
      expect(pending.status?.startTime).toBeDefined();
      const byName = new Map(
        (pending.status?.containerStatuses ?? []).map((s) => [s.name, s.state?.waiting]),
      );
      expect(byName.get('container-0')?.reason).toBe(reason);
      expect(byName.get('container-0')?.message).toContain('alpine:3');
      expect(byName.get('agent')?.reason).toBe('ContainerCreating');
    }
  });

  it('fails a pod at its init container: earlier ones completed, later ones and the app never started', async () => {
    const pod = await podOfNewJob('stage-init', [
      { name: 'copy-agent' },
      { name: 'checkout-init' },
      { name: 'last' },
    ]);
    await tier.pods.failInit(pod, 'checkout-init', 3);
    const failed = await podNamed(pod.name);
    expect(failed.status?.phase).toBe('Failed');
    const init = failed.status?.initContainerStatuses ?? [];
    expect(init.map((s) => [s.name, s.state?.terminated?.exitCode ?? s.state?.waiting?.reason])).toEqual([
      ['copy-agent', 0],
      ['checkout-init', 3],
      ['last', 'PodInitializing'],
    ]);
    expect(states(failed.status?.containerStatuses)).toEqual({ agent: 'waiting', 'container-0': 'waiting' });
  });

  it('completes the deletion of a pod, and says so when asked to drive a pod that is gone', async () => {
    const pod = await podOfNewJob('stage-delete');
    const deleted = await client.pods.delete(tier.namespace, pod.name);
    expect(deleted.ok).toBe(true);
    for (let i = 0; i < 600 && (await tier.pods.list()).some((p) => p.name === pod.name); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await tier.pods.list()).some((p) => p.name === pod.name)).toBe(false);
    await expect(tier.pods.run(pod)).rejects.toThrow(`cannot run pod ${pod.name}: it is gone`);
  });

  it('stops pod creation with a pods quota of 0: a new Job gets no pod', async () => {
    // A namespace that never had a pod, as in the scenarios.
    const fresh = await startClusterTier({
      kubeconfigYaml: controlPlane.kubeconfigYaml,
      agentToken: 'bkct_stages',
      logger: createLogger({ format: 'json', level: 'warn', write: (line) => process.stderr.write(line) }),
    });
    try {
      fresh.stopPodCreation();
      // The quota is created in the background, and the API server's admission sees it through a cache:
      // wait until the quota controller has counted it (by then the admission has it too).
      const quota = `/api/v1/namespaces/${fresh.namespace}/resourcequotas/no-pods`;
      const counted = async (): Promise<boolean> => {
        const got = await client.request<{ status?: { hard?: { pods?: string } } }>({
          method: 'GET',
          path: quota,
        });
        return got.ok && got.value.status?.hard?.pods === '0';
      };
      for (let i = 0; i < 400 && !(await counted()); i++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      const created = await client.jobs.create(fresh.namespace, {
        metadata: { name: 'stage-no-pod' },
        spec: {
          template: {
            spec: { restartPolicy: 'Never', containers: [{ name: 'agent', image: 'buildkite/agent:3' }] },
          },
        },
      });
      expect(created.ok).toBe(true);
      // The Job controller's refused attempt shows as a FailedCreate event on the Job.
      const refused = async (): Promise<boolean> => {
        const events = await client.events.list(fresh.namespace, {
          fieldSelector: 'involvedObject.name=stage-no-pod,reason=FailedCreate',
        });
        return events.ok && events.value.items.length > 0;
      };
      for (let i = 0; i < 600 && !(await refused()); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(await refused()).toBe(true);
      const pods = await client.pods.list(fresh.namespace, { labelSelector: 'job-name=stage-no-pod' });
      expect(pods.ok && pods.value.items.length).toBe(0);
    } finally {
      await fresh.close();
    }
  });
});
