import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeKube, type FakeKube, type KubeObject } from './index.js';

async function until<T>(read: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 1000; i++) {
    const value = read();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface JobStatus {
  active?: number;
  succeeded?: number;
  failed?: number;
  startTime?: string;
  completionTime?: string;
  conditions?: { type: string; status: string; reason: string }[];
}

describe('fake Job controller and pod driver', () => {
  let kube: FakeKube;
  let now: Date;

  beforeEach(async () => {
    now = new Date('2026-01-01T00:00:00Z');
    kube = await startFakeKube({ jobControllerTickMs: 10, now: () => now });
  });
  afterEach(async () => {
    await kube.close();
  });

  function createJob(name: string, extra: Record<string, unknown> = {}): KubeObject {
    const result = kube.store.create('jobs', {
      metadata: {
        name,
        namespace: 'default',
        uid: `uid-${name}`,
        labels: { 'buildkite.com/job-uuid': name },
      },
      spec: {
        backoffLimit: 0,
        template: {
          metadata: {
            labels: {
              'buildkite.com/job-uuid': name,
              'batch.kubernetes.io/controller-uid': `uid-${name}`,
              'batch.kubernetes.io/job-name': name,
              'controller-uid': `uid-${name}`,
              'job-name': name,
            },
          },
          spec: {
            restartPolicy: 'Never',
            initContainers: [{ name: 'copy-agent', image: 'agent' }],
            containers: [
              { name: 'agent', image: 'agent' },
              { name: 'container-0', image: 'alpine' },
            ],
          },
        },
        ...extra,
      },
    });
    if (!result.ok) throw new Error(result.reason);
    return result.object;
  }

  const podOf = (job: string) => until(() => kube.pods.podsOfJob('default', job)[0], `pod of ${job}`);
  const status = (job: string) => (kube.store.get('jobs', 'default', job)?.status ?? {}) as JobStatus;
  const conditionTypes = (job: string) => (status(job).conditions ?? []).map((c) => `${c.type}:${c.reason}`);

  it('creates one owned, labelled pod per Job and marks the Job active', async () => {
    const job = createJob('build');
    const pod = await podOf('build');
    expect(pod.metadata.name).toMatch(/^build-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(pod.metadata.labels).toMatchObject({
      'buildkite.com/job-uuid': 'build',
      'job-name': 'build',
      'batch.kubernetes.io/job-name': 'build',
      'controller-uid': job.metadata.uid,
    });
    expect(pod.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'batch/v1',
        kind: 'Job',
        name: 'build',
        uid: job.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(pod.status).toMatchObject({ phase: 'Pending' });
    await until(() => (status('build').active === 1 ? true : undefined), 'active Job');
  });

  it('refuses pods of a ServiceAccount other than default, with the API server FailedCreate event', async () => {
    const spec = { containers: [{ name: 'agent', image: 'agent' }] };
    createJob('robot', { template: { spec: { ...spec, serviceAccount: 'robot' } } });
    createJob('named', {
      template: { spec: { ...spec, serviceAccountName: 'default', serviceAccount: 'x' } },
    });
    await until(() => status('robot').startTime, 'the Job to start');
    await podOf('named');
    expect(kube.pods.podsOfJob('default', 'robot')).toEqual([]);
    expect(status('robot').active).toBe(0);
    const events = kube.store
      .list('events', 'default')
      .filter((e) => (e.involvedObject as { name?: string } | undefined)?.name === 'robot');
    expect(events).toEqual([
      expect.objectContaining({
        type: 'Warning',
        reason: 'FailedCreate',
        message:
          'Error creating: pods "robot-" is forbidden: error looking up service account default/robot: serviceaccount "robot" not found',
      }),
    ]);
  });

  it('completes the Job when its pod succeeds', async () => {
    createJob('ok');
    const pod = await podOf('ok');
    const name = pod.metadata.name ?? '';
    expect(kube.pods.run('default', name)).toBe(true);
    expect(kube.store.get('pods', 'default', name)?.status).toMatchObject({
      phase: 'Running',
      initContainerStatuses: [
        { name: 'copy-agent', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
      ],
      containerStatuses: [
        { name: 'agent', ready: true, state: { running: {} } },
        { name: 'container-0', ready: true },
      ],
    });
    kube.pods.succeed('default', name);
    await until(() => (status('ok').completionTime === undefined ? undefined : true), 'completion');
    expect(conditionTypes('ok')).toEqual([
      'SuccessCriteriaMet:CompletionsReached',
      'Complete:CompletionsReached',
    ]);
    expect(status('ok')).toMatchObject({ active: 0, succeeded: 1 });
  });

  it('fails the Job when its pod fails with an exit code', async () => {
    createJob('bad');
    const name = (await podOf('bad')).metadata.name ?? '';
    kube.pods.fail('default', name, { 'container-0': 2 });
    expect(kube.store.get('pods', 'default', name)?.status).toMatchObject({
      phase: 'Failed',
      containerStatuses: [
        { name: 'agent', state: { terminated: { exitCode: 0 } } },
        { name: 'container-0', state: { terminated: { exitCode: 2, reason: 'Error' } } },
      ],
    });
    await until(() => (status('bad').failed === 1 ? true : undefined), 'failure');
    expect(conditionTypes('bad')).toEqual([
      'FailureTarget:BackoffLimitExceeded',
      'Failed:BackoffLimitExceeded',
    ]);
  });

  it('fails the Job when a pod is deleted before it finishes (backoffLimit 0)', async () => {
    createJob('gone');
    const name = (await podOf('gone')).metadata.name ?? '';
    kube.store.delete('pods', 'default', name);
    await until(() => (status('gone').conditions ? true : undefined), 'failure');
    expect(conditionTypes('gone')).toContain('Failed:BackoffLimitExceeded');
  });

  it('fails an active Job past activeDeadlineSeconds and removes its pod', async () => {
    createJob('slow', { activeDeadlineSeconds: 60 });
    await podOf('slow');
    await until(() => status('slow').startTime, 'start');
    now = new Date('2026-01-01T00:01:00Z');
    await until(() => (status('slow').conditions ? true : undefined), 'deadline');
    expect(conditionTypes('slow')).toEqual(['FailureTarget:DeadlineExceeded', 'Failed:DeadlineExceeded']);
    expect(kube.pods.podsOfJob('default', 'slow')).toEqual([]);
  });

  it('reports image pull failures on init and app containers as waiting reasons', async () => {
    createJob('img');
    const name = (await podOf('img')).metadata.name ?? '';
    kube.pods.imagePullFailure('default', name, 'copy-agent', 'ErrImagePull');
    kube.pods.imagePullFailure('default', name, 'container-0', 'InvalidImageName', 'bad name');
    const podStatus = kube.store.get('pods', 'default', name)?.status;
    expect(podStatus).toMatchObject({
      phase: 'Pending',
      initContainerStatuses: [
        {
          name: 'copy-agent',
          state: {
            waiting: { reason: 'ErrImagePull', message: 'Failed to pull image "agent": ErrImagePull' },
          },
        },
      ],
      containerStatuses: [
        { name: 'agent', state: { waiting: { reason: 'ContainerCreating' } } },
        { name: 'container-0', state: { waiting: { reason: 'InvalidImageName', message: 'bad name' } } },
      ],
    });
    kube.pods.failInit('default', name, 'copy-agent', 1);
    expect(kube.store.get('pods', 'default', name)?.status).toMatchObject({
      phase: 'Failed',
      initContainerStatuses: [{ state: { terminated: { exitCode: 1 } } }],
      containerStatuses: [{ state: { waiting: { reason: 'PodInitializing' } } }, {}],
    });
    expect(kube.pods.run('default', 'no-such-pod')).toBe(false);
  });

  it('records Events that a field selector finds', async () => {
    kube.pods.addEvent({
      namespace: 'default',
      involvedObject: { kind: 'Job', name: 'j1' },
      type: 'Warning',
      reason: 'FailedCreate',
      message: 'Error creating: pods "j1-abcde" is forbidden: exceeded quota',
    });
    kube.pods.addEvent({
      namespace: 'default',
      involvedObject: { kind: 'Job', name: 'j2' },
      type: 'Normal',
      reason: 'SuccessfulCreate',
      message: 'Created pod',
    });
    const response = await fetch(
      `${kube.url}/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dj1,involvedObject.kind%3DJob`,
      { headers: { authorization: `Bearer ${kube.token}` } },
    );
    const list = (await response.json()) as { items: { reason: string; type: string }[] };
    expect(list.items).toEqual([expect.objectContaining({ reason: 'FailedCreate', type: 'Warning' })]);
  });
});
