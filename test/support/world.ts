/**
 * The usual surroundings of a test that talks to both sides: the Buildkite simulator with a registered
 * stack, the fake Kubernetes API and a client for it. Closed in reverse order by `close()`.
 */
import { startBuildkiteSim, type BuildkiteSim } from '../../sim/buildkite/server.js';
import { startFakeKube, type FakeKube } from '../../sim/kube/index.js';
import { StacksJobSource } from '../../src/buildkite/stacks/client.js';
import { KubeClient } from '../../src/kube/client.js';
import { createLogger } from '../../src/observability/logger.js';

export const QUEUE = 'k8s';
const TOKEN = 'bkct_test_world';
const logger = createLogger({ format: 'json', level: 'error', write: () => undefined });

export interface TestWorld {
  readonly sim: BuildkiteSim;
  readonly kube: FakeKube;
  readonly client: KubeClient;
  /** The stack `stack`, registered for the `k8s` queue. */
  readonly source: StacksJobSource;
  /** Another registered stack on the same queue (closed with the world). */
  stack(key: string): Promise<StacksJobSource>;
  /** A job on the queue, reserved by `source` unless asked to stay scheduled. */
  job(input?: {
    command?: string;
    env?: Record<string, string>;
    state?: 'scheduled' | 'reserved';
  }): Promise<string>;
  close(): Promise<void>;
}

export async function startTestWorld(options: { jobController?: boolean } = {}): Promise<TestWorld> {
  const sim = await startBuildkiteSim({ agentToken: TOKEN, rateLimits: false });
  const kube = await startFakeKube({ jobController: options.jobController ?? false });
  const client = new KubeClient({ kubeConfig: kube.kubeConfig, qps: 1000, burst: 1000 });
  const sources: StacksJobSource[] = [];
  const stack = async (key: string): Promise<StacksJobSource> => {
    const source = new StacksJobSource({
      endpoint: sim.agentEndpoint,
      agentToken: TOKEN,
      timeoutMs: 2000,
      version: 'test',
      logger,
      stackKey: key,
      queueKey: QUEUE,
      retry: { attempts: 1, baseMs: 1, maxMs: 1, maxRetryAfterMs: 1000 },
      notifications: { intervalMs: 5 },
    });
    sources.push(source);
    const registered = await source.register();
    if (!registered.ok) throw new Error(registered.error.message);
    return source;
  };
  const source = await stack('stack');
  return {
    sim,
    kube,
    client,
    source,
    stack,
    async job(input = {}) {
      const created = sim.createJob({
        queue: QUEUE,
        command: input.command ?? 'true',
        ...(input.env ? { env: input.env } : {}),
      });
      if ((input.state ?? 'reserved') === 'reserved') {
        const reserved = await source.reserveJobs([created.id], 0);
        if (!reserved.ok) throw new Error(reserved.error.message);
      }
      return created.id;
    },
    async close() {
      for (const each of sources) await each.close();
      await client.close();
      await kube.close();
      await sim.close();
    },
  };
}
