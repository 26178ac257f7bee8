/** `tsx sim/cli.ts --port P --agent-token T [--api-token A]`: runs the Buildkite simulator until SIGINT/SIGTERM. */
import { Command, InvalidArgumentError } from 'commander';
import { startBuildkiteSim } from './buildkite/server.js';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
}

const program = new Command('buildkite-sim')
  .description(
    'Simulated Buildkite (Stacks API, agent API, GraphQL subset, admin API under /_sim/) on 127.0.0.1',
  )
  .option('--port <port>', 'port to listen on (0 picks a free one)', port, 0)
  .requiredOption('--agent-token <token>', 'cluster agent token the simulator accepts')
  .option('--api-token <token>', 'API token accepted by GraphQL')
  .option('--org <slug>', 'organization slug', 'sim-org')
  .option('--no-rate-limits', 'disable the per-endpoint rate limits')
  .parse();

const opts = program.opts<{
  port: number;
  agentToken: string;
  apiToken?: string;
  org: string;
  rateLimits: boolean;
}>();
const sim = await startBuildkiteSim({
  port: opts.port,
  agentToken: opts.agentToken,
  organizationSlug: opts.org,
  ...(opts.apiToken === undefined ? {} : { apiToken: opts.apiToken }),
  ...(opts.rateLimits ? {} : { rateLimits: false as const }),
});
process.stdout.write(`buildkite simulator listening on ${sim.url}\n`);

const stop = (): void => {
  sim.close().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`closing the simulator failed: ${String(err)}\n`);
      process.exit(1);
    },
  );
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
