import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBuildkiteSim, type BuildkiteSim } from '../../sim/buildkite/server.js';
import { UUID_LABEL } from '../podspec/labels.js';
import { KubeClient } from '../kube/client.js';
import { startFakeTier, type KubeTier } from './fake-cluster.js';
import { PodAgent, type PodAgentEvent } from './pod-agent.js';

const TOKEN = 'bkct_pod_agent';

describe('PodAgent against the simulator and the fake tier', () => {
  let sim: BuildkiteSim;
  let tier: KubeTier;
  beforeEach(async () => {
    sim = await startBuildkiteSim({ agentToken: TOKEN, rateLimits: false });
    tier = await startFakeTier({ agentToken: TOKEN });
  });
  afterEach(async () => {
    await tier.close();
    await sim.close();
  });

  /** A Kubernetes Job for the Buildkite job, as the controller would create it (pod template labelled). */
  async function createJob(uuid: string): Promise<void> {
    const labels = { [UUID_LABEL]: uuid };
    const kube = new KubeClient({ kubeConfig: tier.kubeConfig, qps: 100, burst: 100 });
    const created = await kube.jobs.create(tier.namespace, {
      metadata: { name: `buildkite-${uuid}`, labels },
      spec: {
        backoffLimit: 0,
        template: {
          metadata: { labels },
          spec: { restartPolicy: 'Never', containers: [{ name: 'agent', image: 'buildkite/agent' }] },
        },
      },
    });
    await kube.close();
    expect(created.ok).toBe(true);
  }

  async function settle(agent: PodAgent, until: () => Promise<boolean>): Promise<void> {
    for (let i = 0; i < 200 && !(await until()); i++) {
      await agent.poll();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it('acquires, starts and finishes the pod job through the agent API, then completes the pod', async () => {
    const job = sim.createJob({ command: 'true', queue: 'k8s' });
    const events: PodAgentEvent['kind'][] = [];
    const agent = new PodAgent({
      endpoint: sim.agentEndpoint,
      agentToken: TOKEN,
      pods: tier.pods,
      onEvent: (e) => events.push(e.kind),
    });
    await createJob(job.id);
    await settle(agent, async () => (await tier.pods.list()).some((p) => p.phase === 'Succeeded'));
    expect(sim.job(job.id)).toMatchObject({ state: 'finished', exitStatus: '0', finishedBy: 'agent' });
    expect(events).toEqual(['pod', 'acquired', 'finished']);
    expect(agent.seen).toEqual([job.id]);
    expect(agent.errors).toEqual([]);
  });

  it('fails the pod, as the real agent exits non-zero, when its job can no longer be acquired', async () => {
    const job = sim.createJob({ command: 'true', queue: 'k8s' });
    sim.cancelJob(job.id);
    const events: PodAgentEvent[] = [];
    const agent = new PodAgent({
      endpoint: sim.agentEndpoint,
      agentToken: TOKEN,
      pods: tier.pods,
      onEvent: (e) => events.push(e),
    });
    await createJob(job.id);
    await settle(agent, async () => (await tier.pods.list()).some((p) => p.phase === 'Failed'));
    expect(events.map((e) => e.kind)).toEqual(['pod', 'refused']);
    expect(events[1]).toMatchObject({ reason: expect.stringContaining('canceled') as string });
    expect(sim.job(job.id)?.state).toBe('canceled');
  });

  it('tries a call again when its connection fails, as the real agent does', async () => {
    const job = sim.createJob({ command: 'true', queue: 'k8s' });
    // In front of the simulator: the first two connections are cut before any answer.
    let cut = 0;
    const front = createServer((request, response) => {
      if (cut < 2) {
        cut++;
        request.socket.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        void fetch(`${sim.agentEndpoint.replace(/\/v3$/, '')}${request.url ?? ''}`, {
          method: request.method ?? 'GET',
          headers: {
            authorization: request.headers.authorization ?? '',
            'content-type': 'application/json',
          },
          body: Buffer.concat(chunks),
        }).then(async (answer) => {
          response.writeHead(answer.status, { 'content-type': 'application/json' });
          response.end(await answer.text());
        });
      });
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = front.address() as AddressInfo;
      const agent = new PodAgent({
        endpoint: `http://127.0.0.1:${String(port)}/v3`,
        agentToken: TOKEN,
        pods: tier.pods,
      });
      await createJob(job.id);
      await settle(agent, async () => (await tier.pods.list()).some((p) => p.phase === 'Succeeded'));
      expect(cut).toBe(2);
      expect(agent.errors).toEqual([]);
      expect(sim.job(job.id)).toMatchObject({ state: 'finished', exitStatus: '0' });
    } finally {
      front.closeAllConnections();
      await new Promise((resolve) => front.close(resolve));
    }
  });

  it('stopPodCreation: Jobs start but never get a pod', async () => {
    tier.stopPodCreation();
    await createJob('6f0c5a0e-7d3b-4a53-9d2e-1f6b7c2d9e01');
    let started = false;
    for (let i = 0; i < 100 && !started; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      const [job] = await tier.jobs();
      started = (job?.status as { startTime?: string } | undefined)?.startTime !== undefined;
    }
    expect(started).toBe(true);
    expect(await tier.pods.list()).toEqual([]);
  });
});
