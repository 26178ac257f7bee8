/**
 * The scenario harness: the Buildkite simulator, a Kubernetes tier (the fake today; a real control
 * plane provides the same {@link KubeTier}), the controller in-process or as a child process, and a
 * {@link PodAgent} playing the agent in every pod.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inject } from 'vitest';
import { startBuildkiteSim, type BuildkiteSim } from '../../sim/buildkite/server.js';
import { startClusterTier } from '../../sim/cluster/tier.js';
import { loadConfig } from '../../src/config/load.js';
import { runController } from '../../src/controller.js';
import { isFinishedJob, startFakeTier, type KubeTier } from '../../src/demo/fake-cluster.js';
import { PodAgent, type AgentPlan } from '../../src/demo/pod-agent.js';
import { UUID_LABEL } from '../../src/podspec/labels.js';
import { createLogger } from '../../src/observability/logger.js';

export const AGENT_TOKEN = 'bkct_scenarios';
export const API_TOKEN = 'bkua_scenarios';
export const QUEUE = 'k8s';
const REPO_ROOT = resolve(import.meta.dirname, '../..');

export interface Capabilities {
  /** The tier injects Kubernetes API faults (only the fake can); a real tier sets this false. */
  readonly kubeFaults: boolean;
}

/** Set by the cluster tier's global setup (`npm run test:cluster`); absent in the unit run. */
const controlPlane = inject('controlPlane');

export const CAPABILITIES: Capabilities = { kubeFaults: controlPlane === undefined };

/**
 * Waits (`until`) get this much longer on a real control plane: it shares two cores with the tests, and
 * its Job controller and scheduler add real latency. The conditions waited for are the same.
 */
const WAIT_SCALE = controlPlane === undefined ? 1 : 2;

/** The tier of this run: the fake, or a namespace of the run's control plane. */
function defaultTier(options: { readonly agentToken: string }): Promise<KubeTier> {
  if (controlPlane === undefined) return startFakeTier(options);
  return startClusterTier({
    ...options,
    kubeconfigYaml: controlPlane.kubeconfigYaml,
    logger: createLogger({ format: 'json', level: 'warn', write: (line) => process.stderr.write(line) }),
  });
}

export type LogLine = Record<string, unknown> & { msg?: string; level?: string | number };

export interface ControllerRun {
  /** Resolves once the controller polls Buildkite; rejects if it exits first. */
  readonly ready: Promise<void>;
  /** The exit status (in-process: the controller's code). */
  readonly exited: Promise<number>;
  /** Log lines, parsed. */
  readonly logs: LogLine[];
  /** SIGTERM (child) or abort (in-process); resolves with the exit status. */
  stop(): Promise<number>;
  /** SIGKILL; child processes only. */
  kill(): Promise<void>;
}

export interface StartOptions {
  /** Extra config file lines (YAML). */
  readonly config?: readonly string[];
  readonly mode?: 'in-process' | 'child';
}

export interface Harness {
  readonly sim: BuildkiteSim;
  readonly kube: KubeTier;
  readonly agent: PodAgent;
  readonly capabilities: Capabilities;
  /** Plans per job for the pod agent; jobs not in here run to exit 0. */
  readonly plans: Map<string, AgentPlan>;
  createJobs(count: number, input?: { priority?: number; env?: Record<string, string> }): string[];
  start(options?: StartOptions): ControllerRun;
  /** Polls until the condition holds (bounded); throws with `what` otherwise. */
  until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs?: number): Promise<void>;
  /** The Kubernetes Jobs that exist now, counted by Buildkite job UUID. */
  jobsByUuid(): Promise<Map<string, number>>;
  /** Kubernetes Jobs ever created (ADDED), by Buildkite job UUID: a deleted and re-created Job counts twice. */
  readonly createdPerJob: ReadonlyMap<string, number>;
  /** Whether every job is `finished` in Buildkite. */
  allFinished(ids: readonly string[]): boolean;
  /** Waits for `n` more polls of Buildkite, so "nothing happened" claims span real controller work. */
  morePolls(n: number): Promise<void>;
  /** Jobs not given exactly one Kubernetes Job (ever) and one pod, with their counts; empty when all is well. */
  notExactlyOnce(ids: readonly string[]): Promise<{ id: string; jobs: number; pods: number }[]>;
  /** Highest number of unfinished Jobs seen at once since the harness started. */
  readonly maxUnfinished: () => number;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Use `job-source: graphql` (the simulator then accepts the API token). */
  readonly graphql?: boolean;
  /** The Kubernetes tier; the fake API server when absent. A tier must hold the agent token Secret. */
  readonly tier?: (options: { readonly agentToken: string }) => Promise<KubeTier>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const sim = await startBuildkiteSim({
    agentToken: AGENT_TOKEN,
    rateLimits: false,
    ...(options.graphql === true ? { apiToken: API_TOKEN } : {}),
  });
  const kube = await (options.tier ?? defaultTier)({ agentToken: AGENT_TOKEN });
  const plans = new Map<string, AgentPlan>();
  const agent = new PodAgent({
    endpoint: sim.agentEndpoint,
    agentToken: AGENT_TOKEN,
    pods: kube.pods,
    plan: (uuid) => plans.get(uuid) ?? { kind: 'run', exitStatus: 0 },
  });
  const agentStop = new AbortController();
  const agentRun = agent.run(agentStop.signal);

  // Count unfinished Jobs at every change: the max-in-flight invariant is checked on every sample.
  const unfinished = new Set<string>();
  let maxUnfinished = 0;
  const createdPerJob = new Map<string, number>();
  const unsubscribe = kube.onJobChange(({ type, job }) => {
    const name = job.metadata.name ?? '';
    if (type === 'ADDED') {
      const uuid = job.metadata.labels?.[UUID_LABEL] ?? '';
      createdPerJob.set(uuid, (createdPerJob.get(uuid) ?? 0) + 1);
    }
    if (type === 'DELETED' || isFinishedJob(job)) unfinished.delete(name);
    else unfinished.add(name);
    maxUnfinished = Math.max(maxUnfinished, unfinished.size);
  });

  const dir = mkdtempSync(join(tmpdir(), 'scenarios-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(kubeconfigPath, kube.kubeconfigYaml);
  const runs: ControllerRun[] = [];
  let configs = 0;

  /** The base config with `extra` lines appended; an extra top-level key replaces the base line. */
  const configText = (extra: readonly string[]): string => {
    const keyOf = (line: string): string => line.slice(0, line.indexOf(':'));
    const overridden = new Set(extra.filter((line) => !line.startsWith(' ')).map(keyOf));
    const base = [
      `agent-config: {endpoint: "${sim.agentEndpoint}"}`,
      `namespace: ${kube.namespace}`,
      `queue: ${QUEUE}`,
      `tags: ["queue=${QUEUE}"]`,
      'poll-interval: 1s',
      'log-format: json',
      'log-level: info',
      ...(options.graphql === true
        ? [
            'job-source: graphql',
            `graphql-endpoint: "${sim.graphqlEndpoint}"`,
            `buildkite-token: ${API_TOKEN}`,
            `org: ${sim.model.organizationSlug}`,
          ]
        : []),
    ];
    return [...base.filter((line) => !overridden.has(keyOf(line))), ...extra].join('\n');
  };

  const startInProcess = (text: string): ControllerRun => {
    const logs: LogLine[] = [];
    const loaded = loadConfig({ configPath: 'scenario.yaml', readFile: () => text });
    if (!loaded.ok) throw new Error(`scenario config is invalid: ${loaded.errors.join('; ')}`);
    const shutdown = new AbortController();
    let markReady = (): void => undefined;
    const readyOrExit = new Promise<void>((resolve) => {
      markReady = resolve;
    });
    const exited = runController({
      config: loaded.config,
      logger: createLogger({
        format: 'json',
        level: loaded.config['log-level'],
        write: (line) => logs.push(JSON.parse(line) as LogLine),
      }),
      kubeConfig: kube.kubeConfig,
      signal: shutdown.signal,
      version: 'scenario',
      onReady: () => {
        markReady();
      },
    }).then((end) => end.code);
    const ready = Promise.race([
      readyOrExit,
      exited.then((code) => {
        throw new Error(`controller exited with ${code} before it was ready: ${lastError(logs)}`);
      }),
    ]);
    ready.catch(() => undefined);
    return {
      ready,
      exited,
      logs,
      stop: () => {
        shutdown.abort();
        return exited;
      },
      kill: () => Promise.reject(new Error('kill needs a child process')),
    };
  };

  const startChild = (text: string): ControllerRun => {
    const configPath = join(dir, `config-${++configs}.yaml`);
    writeFileSync(configPath, text);
    const logs: LogLine[] = [];
    const child: ChildProcess = spawn(
      process.execPath,
      ['--import', 'tsx', join(REPO_ROOT, 'src/cli/entry.ts'), '--config', configPath],
      { cwd: REPO_ROOT, env: { KUBECONFIG: kubeconfigPath, HOME: dir }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let markReady = (): void => undefined;
    const readyLine = new Promise<void>((resolve) => {
      markReady = resolve;
    });
    let partial = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() === '') continue;
        try {
          const parsed = JSON.parse(line) as LogLine;
          logs.push(parsed);
          if (parsed.msg === 'controller started') markReady();
        } catch {
          logs.push({ msg: line });
        }
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      logs.push({ msg: chunk, level: 'stderr' });
    });
    const exited = new Promise<number>((resolve) => {
      child.on('exit', (code, signal) => {
        resolve(code ?? (signal === 'SIGKILL' ? 137 : 128));
      });
    });
    const ready = Promise.race([
      readyLine,
      exited.then((code) => {
        throw new Error(`controller process exited with ${code} before it was ready: ${lastError(logs)}`);
      }),
    ]);
    ready.catch(() => undefined);
    return {
      ready,
      exited,
      logs,
      stop: () => {
        child.kill('SIGTERM');
        return exited;
      },
      kill: async () => {
        child.kill('SIGKILL');
        await exited;
      },
    };
  };

  const until = async (
    condition: () => boolean | Promise<boolean>,
    what: string,
    timeoutMs = 15_000,
  ): Promise<void> => {
    const deadline = Date.now() + timeoutMs * WAIT_SCALE;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  const jobsByUuid = async (): Promise<Map<string, number>> => {
    const counts = new Map<string, number>();
    for (const job of await kube.jobs()) {
      const uuid = job.metadata.labels?.[UUID_LABEL] ?? '';
      counts.set(uuid, (counts.get(uuid) ?? 0) + 1);
    }
    return counts;
  };

  return {
    sim,
    kube,
    agent,
    capabilities: CAPABILITIES,
    plans,
    createJobs: (count, input = {}) =>
      Array.from(
        { length: count },
        (_, i) => sim.createJob({ command: `echo ${i}`, queue: QUEUE, ...input }).id,
      ),
    start: (startOptions = {}) => {
      const text = configText(startOptions.config ?? []);
      const run = startOptions.mode === 'child' ? startChild(text) : startInProcess(text);
      runs.push(run);
      return run;
    },
    until,
    jobsByUuid,
    allFinished: (ids) => ids.every((id) => sim.job(id)?.state === 'finished'),
    morePolls: async (n) => {
      const polls = (): number => sim.requestCounts()['list-scheduled-jobs'] ?? 0;
      const target = polls() + n;
      await until(() => polls() >= target, `${n} more polls`);
    },
    createdPerJob,
    notExactlyOnce: (ids) =>
      Promise.resolve(
        ids
          .map((id) => ({ id, jobs: createdPerJob.get(id) ?? 0, pods: agent.podsPerJob.get(id) ?? 0 }))
          .filter((c) => c.jobs !== 1 || c.pods !== 1),
      ),
    maxUnfinished: () => maxUnfinished,
    close: async () => {
      // Child processes first (SIGKILL: nothing of theirs matters any more), then the agent and tiers.
      await Promise.all(
        runs.map(async (run) => {
          await run.kill().catch(async () => run.stop());
        }),
      );
      agentStop.abort();
      await agentRun;
      unsubscribe();
      await kube.close();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function lastError(logs: readonly LogLine[]): string {
  const errors = logs.filter((l) => l.level === 'error' || l.level === 50 || l.level === 'stderr');
  const last = errors[errors.length - 1];
  return last === undefined ? '(no error logged)' : String(last.msg);
}
