/**
 * Pod builder micro-benchmark: Jobs built per second on one thread, over the golden catalogue (default job,
 * podSpec + sidecars + checkout, podSpecPatch, resource class, agent-config hooks/signing), each round
 * timing parse + build (with the API-server validation) of every case in turn.
 *
 *   npm run bench:podspec -- [--rounds N] [--seconds S] [--json]
 */
import { Command } from 'commander';
import { buildJob, parseJob } from '../src/podspec/build.js';
import { GOLDEN_CASES } from '../test/podspec/golden-cases.js';
import { percentile } from './stats.js';

interface Options {
  readonly rounds: number;
  readonly seconds: number;
  readonly json: boolean;
}

const program = new Command()
  .option('--rounds <n>', 'timed rounds', (v) => Number.parseInt(v, 10), 7)
  .option('--seconds <s>', 'length of each round', Number.parseFloat, 1)
  .option('--json', 'print one JSON document', false)
  .parse();
const options = program.opts<Options>();

/** Builds the whole catalogue once; throws if a case no longer builds (then the figure would be a lie). */
function buildAll(): number {
  for (const c of GOLDEN_CASES) {
    const parsed = parseJob(c.job, c.config);
    if (!parsed.ok) throw new Error(`case ${c.name} does not parse: ${parsed.message}`);
    const built = buildJob({ parsed: parsed.parsed, config: c.config });
    if (!built.ok) throw new Error(`case ${c.name} does not build: ${built.message}`);
  }
  return GOLDEN_CASES.length;
}

/** Pods per second over one round of `seconds`. */
function round(seconds: number): number {
  const budget = BigInt(Math.round(seconds * 1e9));
  const start = process.hrtime.bigint();
  let pods = 0;
  let elapsed = 0n;
  while (elapsed < budget) {
    pods += buildAll();
    elapsed = process.hrtime.bigint() - start;
  }
  return pods / (Number(elapsed) / 1e9);
}

round(Math.max(0.5, options.seconds)); // warm-up: JIT and caches
const rates = Array.from({ length: options.rounds }, () => round(options.seconds));
const result = {
  benchmark: 'podspec',
  cases: GOLDEN_CASES.map((c) => c.name),
  rounds: options.rounds,
  secondsPerRound: options.seconds,
  podsPerSecond: {
    median: Math.round(percentile(rates, 50)),
    min: Math.round(Math.min(...rates)),
    max: Math.round(Math.max(...rates)),
  },
  spreadPercent: Number(
    ((100 * (Math.max(...rates) - Math.min(...rates))) / percentile(rates, 50)).toFixed(1),
  ),
  node: process.version,
};
if (options.json) {
  console.log(JSON.stringify(result, null, 2));
} else {
  const { median, min, max } = result.podsPerSecond;
  console.log(`podspec: ${median} pods/s median over ${options.rounds} rounds of ${options.seconds}s`);
  console.log(`  min ${min}, max ${max}, spread ${result.spreadPercent}% (${result.cases.join(', ')})`);
}
