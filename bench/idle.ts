/**
 * Idle memory benchmark: starts the controller against the Buildkite simulator and the fake Kubernetes
 * tier with no jobs, lets it poll for `--settle` seconds and reports its RSS (VmRSS) then, per round.
 *
 *   npm run bench:idle -- [--rounds N] [--settle S] [--controller-cmd CMD] [--json]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { startBuildkiteSim } from '../sim/buildkite/server.js';
import { startFakeTier } from '../src/demo/fake-cluster.js';
import { sleep } from '../src/backoff.js';
import {
  DEFAULT_CONTROLLER_COMMAND,
  startControllerProcess,
  type ProcessUsage,
} from './controller-process.js';
import { percentile } from './stats.js';

const AGENT_TOKEN = 'idle-bench-agent-token';

interface IdleRound {
  readonly rssMiB: number;
  readonly peakRssMiB: number;
  readonly cpuSeconds: number;
}

async function idleRound(command: string, settleSeconds: number): Promise<IdleRound> {
  const sim = await startBuildkiteSim({ agentToken: AGENT_TOKEN, rateLimits: false });
  const tier = await startFakeTier({ agentToken: AGENT_TOKEN });
  const dir = mkdtempSync(join(tmpdir(), 'bench-idle-'));
  const controller = startControllerProcess({
    command,
    dir,
    kubeconfigYaml: tier.kubeconfigYaml,
    endpoint: sim.agentEndpoint,
    namespace: tier.namespace,
    queue: 'idle',
    settings: ['log-level: warn'],
  });
  try {
    let usage: ProcessUsage | undefined;
    for (let second = 0; second < settleSeconds; second += 1) {
      await sleep(1000);
      controller.assertRunning();
      usage = controller.usage();
    }
    if (usage === undefined) throw new Error('--settle must be at least 1 second');
    return { rssMiB: usage.rssMiB, peakRssMiB: usage.peakRssMiB, cpuSeconds: usage.cpuSeconds };
  } finally {
    await controller.stop();
    await tier.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const int = (v: string): number => Number.parseInt(v, 10);
const program = new Command()
  .option('--rounds <n>', 'controller starts to measure', int, 3)
  .option('--settle <s>', 'seconds of idle polling before RSS is read', int, 15)
  .option(
    '--controller-cmd <cmd>',
    'controller command line, `--config <file>` appended',
    DEFAULT_CONTROLLER_COMMAND,
  )
  .option('--json', 'print JSON', false)
  .parse();
const options = program.opts<{ rounds: number; settle: number; controllerCmd: string; json: boolean }>();

const rounds: IdleRound[] = [];
for (let round = 0; round < options.rounds; round += 1) {
  rounds.push(await idleRound(options.controllerCmd, options.settle));
}
const median = (values: number[]): number => Math.round(percentile(values, 50) * 10) / 10;
const summary = {
  command: options.controllerCmd,
  settleSeconds: options.settle,
  rounds,
  medianRssMiB: median(rounds.map((r) => r.rssMiB)),
  medianPeakRssMiB: median(rounds.map((r) => r.peakRssMiB)),
};
if (options.json) {
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
} else {
  for (const [index, r] of rounds.entries()) {
    process.stdout.write(
      `round ${String(index + 1)}: RSS ${r.rssMiB.toFixed(1)} MiB, peak ${r.peakRssMiB.toFixed(1)} MiB, CPU ${r.cpuSeconds.toFixed(2)} s\n`,
    );
  }
  process.stdout.write(
    `median RSS ${String(summary.medianRssMiB)} MiB, median peak ${String(summary.medianPeakRssMiB)} MiB\n`,
  );
}
