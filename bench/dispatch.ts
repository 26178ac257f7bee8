/**
 * Dispatch benchmark CLI (see bench/run.ts for what one run does):
 *
 *   npm run bench -- [--kube fake|cluster] [--scenario steady|burst|soak] [--jobs N] [--rate R] [--max-in-flight N]
 *                    [--qps Q] [--burst B] [--controller-cmd CMD]... [--rounds N] [--json]
 *
 * With two `--controller-cmd`s the runs alternate A B A B on identical work and each metric is reported
 * for both (median over rounds) with the ratio B/A.
 */
import { Command } from 'commander';
import { startControlPlane } from '../sim/cluster/control-plane.js';
import { DEFAULT_CONTROLLER_COMMAND } from './controller-process.js';
import { runBench, type BenchOptions, type BenchResult, type Scenario } from './run.js';
import { percentile } from './stats.js';

interface CliOptions {
  readonly kube: string;
  readonly scenario: string;
  readonly jobs: number;
  readonly rate: number;
  readonly maxInFlight: number | undefined;
  readonly qps: number | undefined;
  readonly burst: number | undefined;
  readonly controllerCmd: string[];
  readonly rounds: number | undefined;
  readonly active: number;
  readonly jobSeconds: number;
  readonly failEvery: number;
  readonly logLevel: string;
  readonly json: boolean;
}

const int = (v: string): number => Number.parseInt(v, 10);
const program = new Command()
  .option('--kube <tier>', 'fake (in-process API server) or cluster (real control plane, KWOK nodes)', 'fake')
  .option('--scenario <name>', 'steady, burst or soak', 'steady')
  .option('--jobs <n>', 'jobs to schedule (soak: the steady mix)', int, 200)
  .option('--rate <r>', 'jobs per second (steady, soak)', Number.parseFloat, 10)
  .option('--max-in-flight <n>', 'controller max-in-flight, 0: no limit (default 25; soak 0)', int)
  .option('--qps <q>', 'k8s-client-rate-limiter-qps (default: the controller default; soak 100)', int)
  .option('--burst <b>', 'k8s-client-rate-limiter-burst (default: the controller default; soak 200)', int)
  .option(
    '--controller-cmd <cmd>',
    'controller command line, `--config <file>` appended; give two to compare',
    (v: string, previous: string[]) => [...previous, v],
    [],
  )
  .option('--rounds <n>', 'runs per command (default 2 with two commands, else 1)', int)
  .option('--active <n>', 'soak: unfinished Jobs held at once for the memory figure (0: skip)', int, 5000)
  .option('--job-seconds <s>', 'soak: how long each job of the mix runs', Number.parseFloat, 5)
  .option('--fail-every <n>', 'soak: every n-th job of the mix fails (0: none)', int, 10)
  .option('--log-level <level>', "the controller's log-level", 'warn')
  .option('--json', 'print one JSON document', false)
  .parse();
const options = program.opts<CliOptions>();
if (!['steady', 'burst', 'soak'].includes(options.scenario)) {
  program.error(`--scenario must be steady, burst or soak, not ${options.scenario}`);
}
const scenario = options.scenario as Scenario;
if (options.kube !== 'fake' && options.kube !== 'cluster') {
  program.error(`--kube must be fake or cluster, not ${options.kube}`);
}
if (!(options.jobs > 0) || !(options.rate > 0)) program.error('--jobs and --rate must be positive');
if (options.controllerCmd.length > 2) program.error('--controller-cmd may be given at most twice');
const commands = options.controllerCmd.length > 0 ? options.controllerCmd : [DEFAULT_CONTROLLER_COMMAND];
const rounds = options.rounds ?? (commands.length === 2 ? 2 : 1);
if (!(rounds >= 1)) program.error('--rounds must be 1 or more');
for (const [name, value] of Object.entries({
  '--max-in-flight': options.maxInFlight,
  '--qps': options.qps,
  '--burst': options.burst,
  '--active': options.active,
  '--fail-every': options.failEvery,
  '--job-seconds': options.jobSeconds,
})) {
  if (value !== undefined && !(value >= 0)) program.error(`${name} must be 0 or more`);
}

const soak = scenario === 'soak';
const base: Omit<BenchOptions, 'command'> = {
  scenario,
  jobs: options.jobs,
  rate: options.rate,
  maxInFlight: options.maxInFlight ?? (soak ? 0 : 25),
  // 5,000 creates at the default 10 QPS take over 8 minutes; the soak raises the budget unless told.
  qps: options.qps ?? (soak ? 100 : undefined),
  burst: options.burst ?? (soak ? 200 : undefined),
  active: options.active,
  jobSeconds: options.jobSeconds,
  failEvery: options.failEvery,
  jobTtlSeconds: 5,
  logLevel: options.logLevel,
  progress: (line) => {
    console.error(`[bench] ${line}`);
  },
};

/** The figures compared between controllers, by name. */
function metrics(result: BenchResult): Record<string, number> {
  const sum = (counts: Record<string, number>): number =>
    Number(
      Object.values(counts)
        .reduce((a, b) => a + b, 0)
        .toFixed(2),
    );
  return {
    'latency p50 s': result.latencySeconds.p50,
    'latency p90 s': result.latencySeconds.p90,
    'latency p99 s': result.latencySeconds.p99,
    'latency max s': result.latencySeconds.max,
    'all dispatched s': result.allDispatchedSeconds,
    'controller CPU s': result.controller.cpuSeconds,
    'controller peak RSS MiB': result.controller.peakRssMiB,
    ...(result.soak?.active === undefined
      ? {}
      : { [`RSS with ${String(result.soak.active.jobs)} active Jobs MiB`]: result.soak.active.rssMiB }),
    ...(result.soak === undefined ? {} : { 'soak RSS growth %': result.soak.rssGrowthPercent }),
    'Kubernetes requests/job': sum(result.kubernetesRequestsPerJob),
    'Buildkite requests/job': sum(result.buildkiteRequestsPerJob),
  };
}

function printRun(result: BenchResult): void {
  const l = result.latencySeconds;
  console.log(result.command);
  console.log(
    `  ${result.scenario} on the ${result.kube} tier, ${String(result.jobs)} jobs, poll 1s: 0 duplicates, 0 lost`,
  );
  console.log(
    `  latency p50 ${String(l.p50)}s p90 ${String(l.p90)}s p99 ${String(l.p99)}s max ${String(l.max)}s`,
  );
  console.log(`  all dispatched after ${String(result.allDispatchedSeconds)}s`);
  console.log(
    `  controller ${String(result.controller.cpuSeconds)} CPU s, peak RSS ${String(result.controller.peakRssMiB)} MiB; harness ${String(result.harnessCpuSeconds)} CPU s`,
  );
  if (result.soak !== undefined) {
    const { rssSamples, rssGrowthPercent, rssSettled, active } = result.soak;
    const every = Math.max(1, Math.ceil(rssSamples.length / 10));
    const shown = rssSamples
      .filter((_, i) => i % every === 0)
      .map((s) => `${String(s.t)}s:${String(s.rssMiB)}`);
    console.log(`  RSS MiB over the mix ${shown.join(' ')}`);
    console.log(
      `  RSS growth last vs middle third ${String(rssGrowthPercent)} % (${rssSettled ? 'settled' : 'GROWING'})`,
    );
    if (active !== undefined) {
      console.log(
        `  ${String(active.jobs)} unfinished Jobs after ${String(active.dispatchedSeconds)}s: RSS ${String(active.rssMiB)} MiB (peak ${String(active.peakRssMiB)})`,
      );
    }
  }
  console.log(`  Buildkite requests/job ${JSON.stringify(result.buildkiteRequestsPerJob)}`);
  console.log(`  Kubernetes requests/job ${JSON.stringify(result.kubernetesRequestsPerJob)}`);
}

async function main(): Promise<void> {
  const runs: BenchResult[][] = commands.map(() => []);
  // A failed run is reported and the rounds go on: one bad run must not throw away the others.
  const failures: { command: string; round: number; error: string }[] = [];
  // One control plane for every run (each gets its own namespace): starting one takes a while.
  const controlPlane = options.kube === 'cluster' ? await startControlPlane() : undefined;
  try {
    for (let r = 0; r < rounds; r++) {
      for (const [i, command] of commands.entries()) {
        base.progress?.(`round ${String(r + 1)}/${String(rounds)}: ${command}`);
        try {
          const result = await runBench({ ...base, command, controlPlane });
          runs[i]?.push(result);
          if (!options.json) printRun(result);
        } catch (err) {
          const error = err instanceof Error ? err.message : String(err);
          failures.push({ command, round: r + 1, error });
          base.progress?.(`round ${String(r + 1)} of ${command} FAILED: ${error}`);
        }
      }
    }
  } finally {
    await controlPlane?.stop();
  }
  const medians = runs.map((results) => {
    const all = results.map(metrics);
    return Object.fromEntries(
      Object.keys(all[0] ?? {}).map((name) => [
        name,
        percentile(
          all.map((m) => m[name] ?? Number.NaN),
          50,
        ),
      ]),
    );
  });
  if (failures.length > 0) process.exitCode = 1;
  const [a, b] = medians;
  const comparison =
    a === undefined || b === undefined || runs.some((results) => results.length === 0)
      ? undefined
      : Object.fromEntries(
          Object.keys(a).map((name) => {
            const av = a[name] ?? Number.NaN;
            const bv = b[name] ?? Number.NaN;
            return [name, { A: av, B: bv, 'B/A': av === 0 ? null : Number((bv / av).toFixed(2)) }];
          }),
        );
  if (options.json) {
    console.log(
      JSON.stringify(
        { benchmark: 'dispatch', commands, rounds, runs, failures, medians, comparison },
        null,
        2,
      ),
    );
    return;
  }
  for (const { command, round, error } of failures) {
    console.log(`FAILED: round ${String(round)} of ${command}: ${error}`);
  }
  if (comparison !== undefined) {
    console.log(
      `\nA = ${commands[0] ?? ''}\nB = ${commands[1] ?? ''}\nmedian of ${String(rounds)} rounds each:`,
    );
    for (const [name, row] of Object.entries(comparison)) {
      console.log(
        `  ${name.padEnd(34)} A ${String(row.A).padStart(9)}  B ${String(row.B).padStart(9)}  B/A ${String(row['B/A'])}`,
      );
    }
  }
}

// Ending through exit() runs the control plane's exit hook, which kills its components; dying of the
// signal itself would leave etcd, the API server and the rest running.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`[bench] ${signal}: stopping`);
    process.exit(1);
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
