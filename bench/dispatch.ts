/**
 * Dispatch benchmark: the Buildkite simulator and the fake Kubernetes API in this process, the compiled
 * controller (dist/) as a child process configured the upstream way (YAML config file, kubeconfig file,
 * agent token Secret, `agent-config.endpoint` = the simulator), and the pod agent finishing every job.
 *
 *   npm run bench -- [--scenario steady|burst] [--jobs N] [--rate R] [--json]
 *
 * steady: N jobs at R per second; latency per job = created in the simulator -> Job ADDED in the fake's store.
 * burst:  N jobs at once; the time until every one has its Job.
 * Either way every job must get exactly one Job (no duplicates, none lost) or the run fails.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { startBuildkiteSim } from '../sim/buildkite/server.js';
import { startFakeTier } from '../src/demo/fake-cluster.js';
import { PodAgent } from '../src/demo/pod-agent.js';
import { UUID_LABEL } from '../src/podspec/labels.js';
import { sleep } from '../src/backoff.js';
import { percentile } from './stats.js';

const AGENT_TOKEN = 'bkct_bench';
const QUEUE = 'k8s';
const ENTRY = resolve(import.meta.dirname, '../src/cli/entry.js');
/** Linux clock ticks per second for /proc/<pid>/stat times (USER_HZ, 100 on every mainstream arch). */
const CLOCK_TICKS = 100;

interface Options {
  readonly scenario: string;
  readonly jobs: number;
  readonly rate: number;
  readonly maxInFlight: number;
  readonly json: boolean;
}

const program = new Command()
  .option('--scenario <name>', 'steady or burst', 'steady')
  .option('--jobs <n>', 'jobs to schedule', (v) => Number.parseInt(v, 10), 200)
  .option('--rate <r>', 'jobs per second (steady)', Number.parseFloat, 10)
  .option('--max-in-flight <n>', 'controller max-in-flight (0: no limit)', (v) => Number.parseInt(v, 10), 25)
  .option('--json', 'print one JSON document', false)
  .parse();
const options = program.opts<Options>();
if (options.scenario !== 'steady' && options.scenario !== 'burst') {
  program.error(`--scenario must be steady or burst, not ${options.scenario}`);
}
if (!(options.jobs > 0) || !(options.rate > 0)) program.error('--jobs and --rate must be positive');
if (!(options.maxInFlight >= 0)) program.error('--max-in-flight must be 0 or more');

/** CPU seconds (user + system) and peak RSS in MiB of a live process. */
function processUsage(pid: number): { cpuSeconds: number; peakRssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name (which may hold spaces); utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return { cpuSeconds: ticks / CLOCK_TICKS, peakRssMiB: Number(hwm) / 1024 };
}

function diff(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after)
      .map(([k, v]): [string, number] => [k, v - (before[k] ?? 0)])
      .filter(([, v]) => v > 0),
  );
}

function perJob(counts: Record<string, number>, jobs: number): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, Number((v / jobs).toFixed(2))]));
}

function pick(counts: Record<string, number>, keep: (key: string) => boolean): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).filter(([k]) => keep(k)));
}

async function until(
  condition: () => boolean,
  what: string | (() => string),
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    }
    await sleep(10);
  }
}

async function main(): Promise<void> {
  const sim = await startBuildkiteSim({ agentToken: AGENT_TOKEN, rateLimits: false });
  const kube = await startFakeTier({ agentToken: AGENT_TOKEN });
  const agent = new PodAgent({ endpoint: sim.agentEndpoint, agentToken: AGENT_TOKEN, pods: kube.pods });
  const agentStop = new AbortController();
  const agentRun = agent.run(agentStop.signal);
  const dir = mkdtempSync(join(tmpdir(), 'bench-dispatch-'));

  const scheduledAt = new Map<string, number>();
  const jobAddedAt = new Map<string, number>();
  const jobsCreated = new Map<string, number>();
  const unsubscribe = kube.onJobChange(({ type, job }) => {
    if (type !== 'ADDED') return;
    const uuid = job.metadata.labels?.[UUID_LABEL] ?? '';
    jobsCreated.set(uuid, (jobsCreated.get(uuid) ?? 0) + 1);
    if (!jobAddedAt.has(uuid)) jobAddedAt.set(uuid, performance.now());
  });

  const kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(kubeconfigPath, kube.kubeconfigYaml);
  const configPath = join(dir, 'config.yaml');
  writeFileSync(
    configPath,
    [
      `agent-config: {endpoint: "${sim.agentEndpoint}"}`,
      `queue: ${QUEUE}`,
      `tags: ["queue=${QUEUE}"]`,
      'poll-interval: 1s',
      `max-in-flight: ${options.maxInFlight}`,
      'log-format: json',
      'log-level: warn',
    ].join('\n'),
  );
  const child = spawn(process.execPath, [ENTRY, '--config', configPath], {
    env: { KUBECONFIG: kubeconfigPath, HOME: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const errors: string[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    for (const line of chunk.split('\n')) if (/"level":(50|60|"error"|"fatal")/.test(line)) errors.push(line);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => errors.push(chunk));
  let exitCode: number | undefined;
  const exited = new Promise<void>((done) => {
    child.on('exit', (code) => {
      exitCode = code ?? 128;
      done();
    });
  });

  try {
    // Ready once the controller has polled Buildkite twice (its first poll may precede the informers' sync).
    const polls = (): number => sim.requestCounts()['list-scheduled-jobs'] ?? 0;
    await until(() => polls() >= 2 || exitCode !== undefined, 'the controller to poll', 30_000);
    if (exitCode !== undefined) throw new Error(`controller exited with ${exitCode}: ${errors.join('\n')}`);
    const bkBefore = sim.requestCounts();
    const kubeBefore = kube.requestCounts?.() ?? {};
    const usageBefore = processUsage(child.pid ?? 0);

    const start = performance.now();
    const ids: string[] = [];
    for (let i = 0; i < options.jobs; i++) {
      if (options.scenario === 'steady')
        await sleep(Math.max(0, start + (i * 1000) / options.rate - performance.now()));
      const id = sim.createJob({ command: `echo ${i}`, queue: QUEUE }).id;
      scheduledAt.set(id, performance.now());
      ids.push(id);
    }
    const scheduleSeconds = options.scenario === 'steady' ? options.jobs / options.rate : 0;
    await until(
      () => ids.every((id) => jobAddedAt.has(id)),
      () => `every job to get its Job (${jobAddedAt.size} of ${ids.length} have one)`,
      // The default Kubernetes QPS budget (10/s) alone needs jobs/10 seconds of creates.
      (scheduleSeconds + options.jobs / 5 + 60) * 1000,
    );
    const allDispatchedSeconds = (performance.now() - start) / 1000;
    await until(() => ids.every((id) => sim.job(id)?.state === 'finished'), 'every job to finish', 60_000);
    await until(() => polls() >= (bkBefore['list-scheduled-jobs'] ?? 0) + 2, 'two more polls', 10_000);
    const usageAfter = processUsage(child.pid ?? 0);
    const bk = diff(sim.requestCounts(), bkBefore);
    const k8s = diff(kube.requestCounts?.() ?? {}, kubeBefore);

    const duplicates = ids.filter((id) => (jobsCreated.get(id) ?? 0) > 1);
    const lost = ids.filter((id) => !jobsCreated.has(id));
    if (duplicates.length > 0 || lost.length > 0) {
      throw new Error(`precondition failed: ${duplicates.length} duplicated, ${lost.length} lost`);
    }
    const latencies = ids.map((id) => ((jobAddedAt.get(id) ?? 0) - (scheduledAt.get(id) ?? 0)) / 1000);
    const seconds = (v: number): number => Number(v.toFixed(3));
    const result = {
      benchmark: 'dispatch',
      scenario: options.scenario,
      jobs: options.jobs,
      ...(options.scenario === 'steady' ? { ratePerSecond: options.rate } : {}),
      pollInterval: '1s',
      maxInFlight: options.maxInFlight,
      latencySeconds: {
        p50: seconds(percentile(latencies, 50)),
        p90: seconds(percentile(latencies, 90)),
        p99: seconds(percentile(latencies, 99)),
        max: seconds(Math.max(...latencies)),
      },
      allDispatchedSeconds: seconds(allDispatchedSeconds),
      controller: {
        cpuSeconds: seconds(usageAfter.cpuSeconds - usageBefore.cpuSeconds),
        peakRssMiB: Number(usageAfter.peakRssMiB.toFixed(1)),
      },
      // The pod agent's own calls (agent-*) are the simulator's too; kept apart from the controller's.
      buildkiteRequestsPerJob: perJob(
        pick(bk, (k) => !k.startsWith('agent-')),
        options.jobs,
      ),
      podAgentRequestsPerJob: perJob(
        pick(bk, (k) => k.startsWith('agent-')),
        options.jobs,
      ),
      kubernetesRequestsPerJob: perJob(k8s, options.jobs),
      duplicates: 0,
      lost: 0,
      node: process.version,
    };
    if (options.json) {
      console.log(JSON.stringify(result, null, 2));
    } else {
      const l = result.latencySeconds;
      console.log(`dispatch (${options.scenario}, ${options.jobs} jobs, poll 1s): 0 duplicates, 0 lost`);
      console.log(`  latency p50 ${l.p50}s p90 ${l.p90}s p99 ${l.p99}s max ${l.max}s`);
      console.log(`  all dispatched after ${result.allDispatchedSeconds}s`);
      console.log(
        `  controller ${result.controller.cpuSeconds} CPU s, peak RSS ${result.controller.peakRssMiB} MiB`,
      );
      console.log(`  Buildkite requests/job ${JSON.stringify(result.buildkiteRequestsPerJob)}`);
      console.log(`  Kubernetes requests/job ${JSON.stringify(result.kubernetesRequestsPerJob)}`);
    }
  } finally {
    if (exitCode === undefined) child.kill('SIGTERM');
    await exited;
    agentStop.abort();
    await agentRun;
    unsubscribe();
    await kube.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
