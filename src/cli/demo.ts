/**
 * `agent-stack-k8s demo [--jobs N] [--json]`: the controller against a simulated Buildkite and a fake
 * Kubernetes, no account or cluster needed. Exit 0 when every job ended where expected, 1 otherwise.
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { CliIO } from './main.js';

function jobCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000)
    throw new InvalidArgumentError('must be an integer from 1 to 10000');
  return n;
}

export function addDemoCommand(program: Command, io: CliIO, exit: (code: number) => void): void {
  program
    .command('demo')
    .description(
      'Run the controller against a simulated Buildkite and a fake Kubernetes (no account, no cluster)',
    )
    .option('--jobs <n>', 'how many jobs the sample pipeline creates', jobCount, 20)
    .option('--json', 'print only a JSON summary')
    .action(async (flags: { jobs: number; json?: boolean }) => {
      const json = flags.json === true;
      // Loaded only for this command: the simulators (and client-node under them) cost the controller memory.
      const { runDemo } = await import('../demo/demo.js');
      const result = await runDemo({
        jobs: flags.jobs,
        ...(json
          ? {}
          : {
              print: (line: string) => {
                io.stdout(`${line}\n`);
              },
            }),
      });
      if (json) {
        io.stdout(`${JSON.stringify(result.summary)}\n`);
      } else {
        const s = result.summary;
        io.stdout(
          [
            '',
            `jobs ${s.jobs}: ${s.created} Kubernetes Jobs created, ${s.succeeded} succeeded, ${s.failed} failed, ` +
              `${s.cancelled} cancelled; ${s.duplicates} duplicates, ${s.lost} lost`,
            `dispatch latency (Buildkite job created -> Kubernetes Job created): p50 ${s.dispatch_latency_seconds.p50}s, ` +
              `p99 ${s.dispatch_latency_seconds.p99}s`,
            result.ok ? 'every job ended as expected' : 'NOT as expected:',
            ...result.unexpected.map((line) => `  ${line}`),
            '',
          ].join('\n'),
        );
      }
      if (!result.ok && json) for (const line of result.unexpected) io.stderr(`demo: ${line}\n`);
      exit(result.ok ? 0 : 1);
    });
}
