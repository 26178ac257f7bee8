import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBuildkiteSim, type BuildkiteSim } from '../sim/buildkite/server.js';
import { startFakeKube, type FakeKube } from '../sim/kube/index.js';
import { loadConfig } from './config/load.js';
import type { Config } from './config/schema.js';
import { ownedSelector, runController, type ControllerExit } from './controller.js';
import { createLogger } from './observability/logger.js';

const TOKEN = 'bkct_controller';

function config(sim: BuildkiteSim, extra = ''): Config {
  const yaml = [
    `agent-config: {endpoint: "${sim.agentEndpoint}"}`,
    'queue: k8s',
    'poll-interval: 1s',
    extra,
  ].join('\n');
  const loaded = loadConfig({ configPath: 'c.yaml', readFile: () => yaml });
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  return loaded.config;
}

describe('ownedSelector', () => {
  it('selects by job-uuid and the controller id, exactly as upstream', () => {
    expect(ownedSelector('')).toBe('buildkite.com/job-uuid,!buildkite.com/controller-id');
    expect(ownedSelector('ci')).toBe('buildkite.com/job-uuid,buildkite.com/controller-id=ci');
  });
});

describe('runController', () => {
  let sim: BuildkiteSim;
  let kube: FakeKube;
  let lines: Record<string, unknown>[];
  const logger = () =>
    createLogger({
      format: 'json',
      level: 'info',
      write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
    });

  beforeEach(async () => {
    lines = [];
    sim = await startBuildkiteSim({ agentToken: TOKEN, rateLimits: false });
    kube = await startFakeKube({ jobController: false });
  });
  afterEach(async () => {
    await kube.close();
    await sim.close();
  });

  function addTokenSecret(token = TOKEN): void {
    kube.store.create('secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'buildkite-agent-token', namespace: 'default' },
      data: { BUILDKITE_AGENT_TOKEN: Buffer.from(token).toString('base64') },
    });
  }

  async function run(
    cfg: Config,
    whenReady?: (stop: () => void) => Promise<void> | void,
  ): Promise<ControllerExit> {
    const shutdown = new AbortController();
    return runController({
      config: cfg,
      logger: logger(),
      kubeConfig: kube.kubeConfig,
      signal: shutdown.signal,
      version: 'test',
      onReady: () => {
        void Promise.resolve(
          whenReady?.(() => {
            shutdown.abort();
          }),
        ).catch(() => {
          shutdown.abort();
        });
      },
    });
  }

  async function until(condition: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 400 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
    if (!condition()) throw new Error(`timed out waiting for ${what}`);
  }

  it('turns scheduled jobs into Kubernetes Jobs, then shuts down gracefully and deregisters', async () => {
    addTokenSecret();
    const ids = [
      sim.createJob({ command: 'echo 1', queue: 'k8s' }).id,
      sim.createJob({ command: 'echo 2', queue: 'k8s' }).id,
    ];
    const end = await run(config(sim), async (stop) => {
      await until(() => ids.every((id) => kube.store.get('jobs', 'default', `buildkite-${id}`)), 'the Jobs');
      stop();
    });
    expect(end).toEqual({ code: 0 });
    expect(sim.model.stacks.get('agent-stack-k8s')?.state).toBe('disconnected');
    for (const id of ids) {
      expect(sim.job(id)?.state).toBe('reserved');
      expect(sim.job(id)?.notifications.map((n) => n.detail)).toContain(
        'K8s Job created successfully, waiting for Agent to start...',
      );
    }
  });

  it('exits 1 with one clear line when the agent token Secret is missing', async () => {
    const end = await run(config(sim));
    expect(end).toEqual({
      code: 1,
      reason: expect.stringMatching(
        /^cannot read the agent token Secret default\/buildkite-agent-token: NotFound \(404\)/,
      ) as string,
    });
    expect(lines.filter((l) => l.level === 'error')).toHaveLength(1);
  });

  it('exits 1 when the token is not accepted', async () => {
    addTokenSecret('bkct_wrong');
    const end = await run(config(sim));
    expect(end.code).toBe(1);
    expect(end.code === 1 && end.reason).toMatch(/^agent token check failed: HTTP 401/);
  });

  it('exits 1 for an unclustered token with the upstream message', async () => {
    await sim.close();
    sim = await startBuildkiteSim({ agentToken: TOKEN, rateLimits: false, unclusteredToken: true });
    addTokenSecret();
    const end = await run(config(sim));
    expect(end.code === 1 && end.reason).toContain(
      'Detected unclustered agent token, please upgrade to a cluster agent token',
    );
  });

  it('serves /metrics and /readyz on prometheus-port once polling works', async () => {
    addTokenSecret();
    const port = await freePort();
    const end = await run(config(sim, `prometheus-port: ${port}`), async (stop) => {
      const base = `http://127.0.0.1:${port}`;
      await untilAsync(async () => (await fetch(`${base}/readyz`)).status === 200, 'readiness');
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toContain('buildkite_monitor_job_queries_total');
      expect(metrics).toContain('buildkite_informer_cache_objects');
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      stop();
    });
    expect(end).toEqual({ code: 0 });
  });

  async function untilAsync(condition: () => Promise<boolean>, what: string): Promise<void> {
    for (let i = 0; i < 200; i++) {
      if (await condition()) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`timed out waiting for ${what}`);
  }
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
