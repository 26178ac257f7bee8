/** Scenarios of the job watcher, pod watcher and cancel checker: every runtime failure reaches Buildkite. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PodInfo } from '../../src/demo/pod-agent.js';
import { KUBERNETES_PLUGIN_KEY as KUBERNETES_PLUGIN } from '../../src/podspec/plugins.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness;

/** The first pod of a job, once the controller's Job has one. */
async function podOf(jobUuid: string): Promise<PodInfo> {
  let found: PodInfo | undefined;
  await h.until(async () => {
    found = (await h.kube.pods.list()).find((p) => p.jobUuid === jobUuid);
    return found !== undefined;
  }, `a pod for ${jobUuid}`);
  if (found === undefined) throw new Error('unreachable: until returned without a pod');
  return found;
}

async function podGone(pod: PodInfo): Promise<void> {
  await h.until(
    async () => !(await h.kube.pods.list()).some((p) => p.name === pod.name),
    `pod ${pod.name} to be deleted`,
  );
}

async function failedByStack(jobUuid: string): Promise<string> {
  await h.until(() => h.sim.job(jobUuid)?.state === 'finished', `job ${jobUuid} to be failed`);
  const job = h.sim.job(jobUuid);
  expect(job?.finishedBy).toBe('stack');
  expect(job?.exitStatus).toBe(-1);
  return job?.detail ?? '';
}

/** The controller keeps working after a failure: a fresh job still runs to completion. */
async function nextJobRuns(): Promise<void> {
  const [next = ''] = h.createJobs(1);
  await h.until(() => h.sim.job(next)?.state === 'finished', 'the next job to run');
  expect(h.sim.job(next)?.finishedBy).toBe('agent');
}

describe('scenarios of the watchers', () => {
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('fails a job whose agent image cannot be pulled after the grace period, and deletes the pod', async () => {
    const [id = ''] = h.createJobs(1);
    h.plans.set(id, { kind: 'absent' });
    const run = h.start({ config: ['image-pull-backoff-grace-period: 1s'] });
    await run.ready;
    const pod = await podOf(id);
    await h.kube.pods.imagePullFailure(pod, 'agent', 'ImagePullBackOff');
    const detail = await failedByStack(id);
    expect(detail).toMatch(
      /^The following containers could not be created or their images could not be pulled:\n\n/,
    );
    expect(detail).toContain('agent');
    expect(detail).toContain('ImagePullBackOff');
    await podGone(pod);
    await nextJobRuns();
  });

  it('fails a job with an InvalidImageName at once, without waiting for the grace period', async () => {
    const [id = ''] = h.createJobs(1);
    h.plans.set(id, { kind: 'absent' });
    const run = h.start({ config: ['image-pull-backoff-grace-period: 1h'] });
    await run.ready;
    const pod = await podOf(id);
    await h.kube.pods.imagePullFailure(pod, 'agent', 'InvalidImageName');
    const detail = await failedByStack(id);
    expect(detail).toContain('InvalidImageName');
    await podGone(pod);
  });

  it('fails a job whose init container exits non-zero, with the container table', async () => {
    const [id = ''] = h.createJobs(1);
    h.plans.set(id, { kind: 'absent' });
    const run = h.start();
    await run.ready;
    const pod = await podOf(id);
    await h.kube.pods.failInit(pod, 'copy-agent', 3);
    const detail = await failedByStack(id);
    expect(detail).toMatch(/^The following init containers failed:\n\n/);
    expect(detail).toContain('copy-agent');
    await nextJobRuns();
  });

  it('fails a job whose pod stays Pending past pod-pending-timeout, and deletes the pod', async () => {
    const [id = ''] = h.createJobs(1);
    h.plans.set(id, { kind: 'absent' });
    const run = h.start({ config: ['pod-pending-timeout: 1s'] });
    await run.ready;
    const pod = await podOf(id);
    const detail = await failedByStack(id);
    expect(detail).toMatch(/^The pod has been in Pending state for \d+s without starting\./);
    await podGone(pod);
  });

  it('fails a Job that never gets a pod after empty-job-grace-period and sets its deadline to 1 s', async () => {
    h.kube.stopPodCreation();
    const [id = ''] = h.createJobs(1);
    const run = h.start({ config: ['empty-job-grace-period: 1s'] });
    await run.ready;
    const detail = await failedByStack(id);
    expect(detail).toMatch(/^The Kubernetes job spent .+ without starting a pod\.\n/);
    await h.until(async () => {
      const job = (await h.kube.jobs()).find((j) => j.metadata.labels?.['buildkite.com/job-uuid'] === id);
      return (job?.spec as { activeDeadlineSeconds?: number } | undefined)?.activeDeadlineSeconds === 1;
    }, 'the stalled Job to get activeDeadlineSeconds 1');
  });

  it("fails a job whose pod names a missing ServiceAccount, with the API server's refusal", async () => {
    // Upstream's missing-service-account.yaml: admission refuses every pod the Job controller tries.
    const plugin = { podSpec: { serviceAccount: 'does-not-exist', containers: [{ image: 'alpine' }] } };
    const [id = ''] = h.createJobs(1, {
      env: { BUILDKITE_PLUGINS: JSON.stringify([{ [KUBERNETES_PLUGIN]: plugin }]) },
    });
    const run = h.start({ config: ['empty-job-grace-period: 1s'] });
    await run.ready;
    const detail = await failedByStack(id);
    expect(detail).toMatch(/^The Kubernetes job spent .+ without starting a pod\.\n/);
    expect(detail).toContain('error looking up service account');
    expect(await h.kube.pods.list()).toEqual([]);
  });

  it('deletes the Pending pod of a job cancelled in Buildkite, without failing the job', async () => {
    const [id = ''] = h.createJobs(1);
    h.plans.set(id, { kind: 'absent' });
    const run = h.start({ config: ['job-cancel-checker-poll-interval: 1s'] });
    await run.ready;
    const pod = await podOf(id);
    h.sim.cancelJob(id);
    await podGone(pod);
    expect(h.sim.job(id)?.state).toBe('canceled');
    expect(h.sim.requestCounts()['finish-job'] ?? 0).toBe(0);
  });
});
