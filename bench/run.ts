/**
 * One benchmark run: the Buildkite simulator and a Kubernetes tier in this process, the counting proxy in
 * front of the tier, the controller under test as a child process configured the upstream way (YAML
 * config in upstream's keys, a kubeconfig, the agent token Secret, the simulator as
 * `agent-config.endpoint`), and the pod agent playing the agent in every pod.
 *
 * steady: jobs at a fixed rate; burst: all at once; soak: steady arrivals of jobs that run for a while
 * (some failing) with the controller's RSS sampled throughout, then a held batch of unfinished Jobs
 * for the memory figure. Every job must get exactly one Job (no duplicates, none lost) or the run fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBuildkiteSim } from '../sim/buildkite/server.js';
import { sleep } from '../src/backoff.js';
import type { ControlPlane } from '../sim/cluster/control-plane.js';
import { startClusterTier } from '../sim/cluster/tier.js';
import { isFinishedJob, startFakeTier, type KubeTier } from '../src/demo/fake-cluster.js';
import { PodAgent, type PodInfo, type PodLifecycle } from '../src/demo/pod-agent.js';
import { KubeClient } from '../src/kube/client.js';
import { UUID_LABEL } from '../src/podspec/labels.js';
import { createLogger } from '../src/observability/logger.js';
import { processUsage, startControllerProcess } from './controller-process.js';
import { startCountingProxy } from './proxy.js';
import { percentile } from './stats.js';

const AGENT_TOKEN = 'bkct_bench';
const QUEUE = 'k8s';
const RSS_SAMPLE_MS = 1000;

export type Scenario = 'steady' | 'burst' | 'soak';

export interface BenchOptions {
  readonly scenario: Scenario;
  /** Jobs to schedule (steady, burst; soak: the steady mix before the held batch). */
  readonly jobs: number;
  /** Jobs per second (steady, soak). */
  readonly rate: number;
  /** The controller's max-in-flight; 0 is no limit. */
  readonly maxInFlight: number;
  /** `k8s-client-rate-limiter-qps`/`-burst`; the controller's defaults when absent. */
  readonly qps?: number | undefined;
  readonly burst?: number | undefined;
  /** The cluster tier's control plane (a namespace of it per run); the in-process fake tier when absent. */
  readonly controlPlane?: ControlPlane | undefined;
  /** Shell command line of the controller; `--config <file>` is appended. */
  readonly command: string;
  /** soak: unfinished Jobs held at once for the memory figure (0: skip that phase). */
  readonly active: number;
  /** soak: how long each job of the mix runs. */
  readonly jobSeconds: number;
  /** soak: every n-th job of the mix exits 1 (0: none fail). */
  readonly failEvery: number;
  /** soak: seconds finished Jobs are kept (`job-ttl`); the bench deletes them after it on the fake tier. */
  readonly jobTtlSeconds: number;
  /** The controller's `log-level` (warn unless told); its last lines are shown when a run fails. */
  readonly logLevel?: string;
  /** Progress lines for a person watching; results go in the return value. */
  readonly progress?: (line: string) => void;
}

export interface LatencySummary {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export interface SoakResult {
  /** RSS (MiB) at seconds since the mix started, one sample per second of the mix. */
  readonly rssSamples: readonly { readonly t: number; readonly rssMiB: number }[];
  /** Mean RSS over the last third of the mix against the middle third, in percent. */
  readonly rssGrowthPercent: number;
  /** Growth under 10 %: memory did not keep climbing with the jobs that went through. */
  readonly rssSettled: boolean;
  readonly active?: {
    readonly jobs: number;
    /** Seconds from scheduling the batch until every job had its Job. */
    readonly dispatchedSeconds: number;
    /** RSS once every Job existed and every pod was running, and the peak so far. */
    readonly rssMiB: number;
    readonly peakRssMiB: number;
  };
}

export interface BenchResult {
  readonly scenario: Scenario;
  readonly kube: 'fake' | 'cluster';
  readonly command: string;
  readonly jobs: number;
  readonly ratePerSecond?: number;
  readonly pollInterval: '1s';
  readonly maxInFlight: number;
  readonly qps?: number;
  readonly burst?: number;
  /** Scheduled in the simulator -> Job ADDED in Kubernetes, seconds (soak: the mix only). */
  readonly latencySeconds: LatencySummary;
  /** From the first job scheduled until every job (of the mix, for soak) had its Job. */
  readonly allDispatchedSeconds: number;
  readonly controller: { readonly cpuSeconds: number; readonly peakRssMiB: number };
  /**
   * CPU seconds of this process (simulator, fake API server, proxy, pod agent) over the same window: when
   * it nears the wall time, the harness, not the controller, sets the pace.
   */
  readonly harnessCpuSeconds: number;
  /** The controller's Buildkite requests per dispatched job, by simulator endpoint. */
  readonly buildkiteRequestsPerJob: Record<string, number>;
  /** The pod agent's own calls, kept apart from the controller's. */
  readonly podAgentRequestsPerJob: Record<string, number>;
  /** The controller's Kubernetes requests per dispatched job, `<verb> <resource>` from the proxy. */
  readonly kubernetesRequestsPerJob: Record<string, number>;
  /** The same as totals over the run (start-up excluded), where per-job figures round to 0. */
  readonly kubernetesRequests: Record<string, number>;
  /** Requests the proxy could not forward (answered 502), by request and cause: none on a sound run. */
  readonly kubernetesProxyFailures: Record<string, number>;
  readonly duplicates: number;
  readonly lost: number;
  readonly soak?: SoakResult;
  readonly node: string;
}

const round = (v: number, digits = 3): number => Number(v.toFixed(digits));

function diff(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after)
      .map(([k, v]): [string, number] => [k, v - (before[k] ?? 0)])
      .filter(([, v]) => v > 0),
  );
}

function perJob(counts: Record<string, number>, jobs: number): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, round(v / jobs, 2)]));
}

function pick(counts: Record<string, number>, keep: (key: string) => boolean): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).filter(([k]) => keep(k)));
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}

/** Polls `condition` every 10 ms; throws with `what` (and the controller's last words) after the timeout. */
async function until(condition: () => boolean, what: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await sleep(10);
  }
}

/** At most this many pod agents start and finish their jobs at once. */
const AGENTS_AT_ONCE = 100;

/**
 * Pods that stay Running for `ms` before their agent starts the job (jobs that take a while), and that
 * can be held Running until released. Agents go on a few at a time: thousands finishing at once overrun
 * the simulator's socket backlog and fail with "fetch failed".
 */
class PacedPods {
  readonly pods: PodLifecycle;
  #held = false;
  #free = AGENTS_AT_ONCE;
  #waiting: { go: () => void; stop: (error: Error) => void }[] = [];
  #parked = 0;
  #abandoned = false;
  /** Pods whose agents hold a place, by name; a place frees when the pod finishes. */
  readonly #going = new Set<string>();

  constructor(inner: PodLifecycle, ms: number) {
    const done = (pod: PodInfo): void => {
      if (!this.#going.delete(pod.name)) return;
      this.#free++;
      this.#next();
    };
    this.pods = {
      ...inner,
      run: async (pod) => {
        await inner.run(pod);
        await sleep(ms);
        this.#parked++;
        await new Promise<void>((go, stop) => {
          if (this.#abandoned) throw new Error('the benchmark run was abandoned');
          this.#waiting.push({ go, stop });
          this.#next();
        }).finally(() => {
          this.#parked--;
        });
        this.#going.add(pod.name);
      },
      succeed: async (pod) => {
        await inner.succeed(pod).finally(() => {
          done(pod);
        });
      },
      fail: async (pod, exitCode) => {
        await inner.fail(pod, exitCode).finally(() => {
          done(pod);
        });
      },
    };
  }

  /** Pods Running whose agents wait to start. */
  get parked(): number {
    return this.#parked;
  }

  hold(): void {
    this.#held = true;
  }

  release(): void {
    this.#held = false;
    this.#next();
  }

  /** A run that failed: agents still waiting give up, so the pod agent can stop. */
  abandon(): void {
    this.#abandoned = true;
    for (const { stop } of this.#waiting.splice(0)) stop(new Error('the benchmark run was abandoned'));
  }

  #next(): void {
    while (!this.#held && this.#free > 0) {
      const next = this.#waiting.shift();
      if (next === undefined) return;
      this.#free--;
      next.go();
    }
  }
}

/**
 * Stands in for the TTL-after-finished controller the fake tier lacks: deletes each finished Job (its
 * pods with it) `ttlSeconds` after it finished, so a long soak holds what a cluster would.
 */
function startJanitor(tier: KubeTier, ttlSeconds: number): () => Promise<void> {
  const client = new KubeClient({ kubeConfig: tier.kubeConfig, qps: 1000, burst: 1000 });
  const timers = new Set<NodeJS.Timeout>();
  const pending = new Set<string>();
  const unsubscribe = tier.onJobChange(({ type, job }) => {
    const name = job.metadata.name ?? '';
    if (type !== 'MODIFIED' || pending.has(name) || !isFinishedJob(job)) return;
    pending.add(name);
    const timer = setTimeout(() => {
      timers.delete(timer);
      // A failed delete leaves one Job behind, which only makes the soak's figure more conservative.
      void client.jobs
        .delete(tier.namespace, name, { propagationPolicy: 'Background' })
        .catch(() => undefined);
    }, ttlSeconds * 1000);
    timers.add(timer);
  });
  return async () => {
    unsubscribe();
    for (const timer of timers) clearTimeout(timer);
    await client.close();
  };
}

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const progress = options.progress ?? ((): void => undefined);
  const soak = options.scenario === 'soak';
  const sim = await startBuildkiteSim({ agentToken: AGENT_TOKEN, rateLimits: false });
  const tier: KubeTier =
    options.controlPlane === undefined
      ? await startFakeTier({ agentToken: AGENT_TOKEN })
      : await startClusterTier({
          kubeconfigYaml: options.controlPlane.kubeconfigYaml,
          agentToken: AGENT_TOKEN,
          logger: createLogger({ format: 'json', level: 'error', write: () => undefined }),
          // KWOK works through thousands of patched pods at a few dozen a second: a held pod may wait
          // minutes for its stage, which is the cluster's pace, not a fault.
          stageTimeoutMs: 600_000,
        });
  const proxy = await startCountingProxy({ kubeConfig: tier.kubeConfig, namespace: tier.namespace });
  const failing = new Set<string>();
  const paced = new PacedPods(tier.pods, soak ? options.jobSeconds * 1000 : 0);
  const agent = new PodAgent({
    endpoint: sim.agentEndpoint,
    agentToken: AGENT_TOKEN,
    pods: paced.pods,
    plan: (uuid) => ({ kind: 'run', exitStatus: failing.has(uuid) ? 1 : 0 }),
  });
  const agentStop = new AbortController();
  const agentRun = agent.run(agentStop.signal);
  // A real control plane runs the TTL-after-finished controller itself.
  const stopJanitor =
    soak && options.controlPlane === undefined ? startJanitor(tier, options.jobTtlSeconds) : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'bench-dispatch-'));

  const scheduledAt = new Map<string, number>();
  const jobAddedAt = new Map<string, number>();
  const jobsCreated = new Map<string, number>();
  const unsubscribe = tier.onJobChange(({ type, job }) => {
    if (type !== 'ADDED') return;
    const uuid = job.metadata.labels?.[UUID_LABEL] ?? '';
    jobsCreated.set(uuid, (jobsCreated.get(uuid) ?? 0) + 1);
    if (!jobAddedAt.has(uuid)) jobAddedAt.set(uuid, performance.now());
  });

  const controller = startControllerProcess({
    command: options.command,
    dir,
    kubeconfigYaml: proxy.kubeconfigYaml,
    endpoint: sim.agentEndpoint,
    namespace: tier.namespace,
    queue: QUEUE,
    settings: [
      `max-in-flight: ${String(options.maxInFlight)}`,
      ...(options.qps === undefined ? [] : [`k8s-client-rate-limiter-qps: ${String(options.qps)}`]),
      ...(options.burst === undefined ? [] : [`k8s-client-rate-limiter-burst: ${String(options.burst)}`]),
      ...(soak ? [`job-ttl: ${String(options.jobTtlSeconds)}s`] : []),
      `log-level: ${options.logLevel ?? 'warn'}`,
    ],
  });
  const waitFor = async (condition: () => boolean, what: () => string, timeoutMs: number): Promise<void> => {
    await until(
      () => {
        controller.assertRunning();
        return condition();
      },
      () =>
        `${what()}; Kubernetes requests so far ${JSON.stringify(proxy.requestCounts())}, failed in the proxy ${JSON.stringify(proxy.failureCounts())}; the controller's last output:\n${controller.outputTail()}`,
      timeoutMs,
    );
  };
  const rssSamples: { t: number; rssMiB: number }[] = [];
  let sampler: NodeJS.Timeout | undefined;

  try {
    // Ready once the controller has polled Buildkite twice (its first poll may precede the informers' sync).
    const polls = (): number => sim.requestCounts()['list-scheduled-jobs'] ?? 0;
    await waitFor(
      () => polls() >= 2,
      () => 'the controller to poll Buildkite',
      30_000,
    );
    const bkBefore = sim.requestCounts();
    const kubeBefore = proxy.requestCounts();
    const usageBefore = controller.usage();
    const harnessBefore = process.cpuUsage();
    progress(`controller up (pid ${String(controller.pid)}); scheduling ${String(options.jobs)} jobs`);

    const start = performance.now();
    if (soak) {
      sampler = setInterval(() => {
        if (controller.exitCode() !== undefined) return;
        rssSamples.push({
          t: round((performance.now() - start) / 1000, 1),
          rssMiB: round(processUsage(controller.pid).rssMiB, 1),
        });
      }, RSS_SAMPLE_MS);
    }
    const ids: string[] = [];
    for (let i = 0; i < options.jobs; i++) {
      if (options.scenario !== 'burst') {
        await sleep(Math.max(0, start + (i * 1000) / options.rate - performance.now()));
      }
      const id = sim.createJob({ command: `echo ${String(i)}`, queue: QUEUE }).id;
      if (soak && options.failEvery > 0 && (i + 1) % options.failEvery === 0) failing.add(id);
      scheduledAt.set(id, performance.now());
      ids.push(id);
    }
    const scheduleSeconds = options.scenario === 'burst' ? 0 : options.jobs / options.rate;
    const createSeconds = options.jobs / (options.qps ?? 10);
    await waitFor(
      () => ids.every((id) => jobAddedAt.has(id)),
      () => `every job to get its Job (${String(jobAddedAt.size)} of ${String(ids.length)} have one)`,
      // The Kubernetes QPS budget alone needs jobs/qps seconds of creates.
      (scheduleSeconds + createSeconds * 2 + 60) * 1000,
    );
    const allDispatchedSeconds = (performance.now() - start) / 1000;
    progress(`all ${String(ids.length)} dispatched after ${allDispatchedSeconds.toFixed(1)} s`);
    await waitFor(
      () => ids.every((id) => sim.job(id)?.state === 'finished'),
      () =>
        `every job to finish (${String(ids.filter((id) => sim.job(id)?.state === 'finished').length)} of ${String(ids.length)} did; pod agent errors: ${agent.errors.slice(0, 3).join('; ')})`,
      // Pods of a large burst take a while to come up on a real control plane.
      (options.jobSeconds + 60 + options.jobs / 10) * 1000,
    );
    const latencies = ids.map((id) => ((jobAddedAt.get(id) ?? 0) - (scheduledAt.get(id) ?? 0)) / 1000);

    let soakResult: SoakResult | undefined;
    if (soak) {
      // Let the last Jobs pass their TTL so the mix's final samples show what stays behind.
      await sleep((options.jobTtlSeconds + 2) * 1000);
      clearInterval(sampler);
      const third = Math.floor(rssSamples.length / 3);
      const middle = mean(rssSamples.slice(third, 2 * third).map((s) => s.rssMiB));
      const last = mean(rssSamples.slice(2 * third).map((s) => s.rssMiB));
      const growth = round((last / middle - 1) * 100, 1);
      progress(`mix done: RSS growth last vs middle third ${String(growth)} %`);
      let active: SoakResult['active'];
      if (options.active > 0) {
        paced.hold();
        const held: string[] = [];
        const heldStart = performance.now();
        for (let i = 0; i < options.active; i++) {
          const id = sim.createJob({ command: `sleep ${String(i)}`, queue: QUEUE }).id;
          scheduledAt.set(id, performance.now());
          held.push(id);
          ids.push(id);
        }
        await waitFor(
          () => held.every((id) => jobAddedAt.has(id)),
          () =>
            `every held job to get its Job (${String(jobAddedAt.size)} of ${String(ids.length)} have one)`,
          // The creates' own pace, or what a busy real control plane manages, whichever is slower.
          (Math.max(options.active / (options.qps ?? 10), options.active / 20) * 2 + 120) * 1000,
        );
        const dispatchedSeconds = (performance.now() - heldStart) / 1000;
        progress(`${String(options.active)} Jobs exist after ${dispatchedSeconds.toFixed(1)} s`);
        await waitFor(
          () => paced.parked >= options.active,
          () =>
            `every held pod to run (${String(paced.parked)} of ${String(options.active)} do; pod agent errors: ${agent.errors.slice(0, 3).join('; ')})`,
          // A real control plane on 2 busy cores moves about 20 pods a second (Job controller,
          // scheduler, KWOK), far below what the fake does.
          (options.active / 20 + 120) * 1000,
        );
        // Time for the controller to take in the last pod and Job changes before the figure is read.
        await sleep(3000);
        const usage = controller.usage();
        active = {
          jobs: options.active,
          dispatchedSeconds: round(dispatchedSeconds),
          rssMiB: round(usage.rssMiB, 1),
          peakRssMiB: round(usage.peakRssMiB, 1),
        };
        progress(`RSS with ${String(options.active)} unfinished Jobs: ${usage.rssMiB.toFixed(1)} MiB`);
        paced.release();
        await waitFor(
          () => held.every((id) => sim.job(id)?.state === 'finished'),
          () =>
            `every held job to finish (${String(held.filter((id) => sim.job(id)?.state === 'finished').length)} of ${String(held.length)} did; pod agent errors: ${agent.errors.slice(0, 3).join('; ')})`,
          // Each finish waits for its pod to show Succeeded: the control plane's pace again.
          (options.active / 20 + 120) * 1000,
        );
      }
      soakResult = {
        rssSamples,
        rssGrowthPercent: growth,
        rssSettled: growth < 10,
        ...(active === undefined ? {} : { active }),
      };
    }
    await waitFor(
      () => polls() >= (bkBefore['list-scheduled-jobs'] ?? 0) + 2,
      () => 'two more polls',
      10_000,
    );
    const usageAfter = controller.usage();
    const harness = process.cpuUsage(harnessBefore);
    const bk = diff(sim.requestCounts(), bkBefore);
    const k8s = diff(proxy.requestCounts(), kubeBefore);

    const duplicates = ids.filter((id) => (jobsCreated.get(id) ?? 0) > 1).length;
    const lost = ids.filter((id) => !jobsCreated.has(id)).length;
    if (duplicates > 0 || lost > 0) {
      throw new Error(`precondition failed: ${String(duplicates)} duplicated, ${String(lost)} lost`);
    }
    if (agent.errors.length > 0) throw new Error(`pod agent errors: ${agent.errors.slice(0, 5).join('; ')}`);
    return {
      scenario: options.scenario,
      kube: options.controlPlane === undefined ? 'fake' : 'cluster',
      command: options.command,
      jobs: ids.length,
      ...(options.scenario === 'burst' ? {} : { ratePerSecond: options.rate }),
      pollInterval: '1s',
      maxInFlight: options.maxInFlight,
      ...(options.qps === undefined ? {} : { qps: options.qps }),
      ...(options.burst === undefined ? {} : { burst: options.burst }),
      latencySeconds: {
        p50: round(percentile(latencies, 50)),
        p90: round(percentile(latencies, 90)),
        p99: round(percentile(latencies, 99)),
        max: round(Math.max(...latencies)),
      },
      allDispatchedSeconds: round(allDispatchedSeconds),
      controller: {
        cpuSeconds: round(usageAfter.cpuSeconds - usageBefore.cpuSeconds),
        peakRssMiB: round(usageAfter.peakRssMiB, 1),
      },
      harnessCpuSeconds: round((harness.user + harness.system) / 1e6),
      buildkiteRequestsPerJob: perJob(
        pick(bk, (k) => !k.startsWith('agent-')),
        ids.length,
      ),
      podAgentRequestsPerJob: perJob(
        pick(bk, (k) => k.startsWith('agent-')),
        ids.length,
      ),
      kubernetesRequestsPerJob: perJob(k8s, ids.length),
      kubernetesRequests: k8s,
      kubernetesProxyFailures: proxy.failureCounts(),
      duplicates,
      lost,
      ...(soakResult === undefined ? {} : { soak: soakResult }),
      node: process.version,
    };
  } finally {
    clearInterval(sampler);
    await controller.stop();
    paced.abandon();
    agentStop.abort();
    await agentRun;
    unsubscribe();
    await stopJanitor?.();
    await proxy.close();
    await tier.close();
    if (options.controlPlane !== undefined) await namespaceGone(tier);
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Waits (bounded) until a cluster run's namespace is gone: the next run's Jobs would otherwise queue behind
 * the garbage collection of this one's.
 */
async function namespaceGone(tier: KubeTier): Promise<void> {
  const client = new KubeClient({ kubeConfig: tier.kubeConfig, qps: 1000, burst: 1000 });
  const path = `/api/v1/namespaces/${tier.namespace}`;
  for (let i = 0; i < 600; i++) {
    const found = await client.request({ method: 'GET', path });
    if (!found.ok && found.error.kind === 'NotFound') break;
    await sleep(500);
  }
  await client.close();
}
