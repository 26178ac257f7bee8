/**
 * Entry point: `agent-stack-k8s [flags]` runs the controller; subcommands `config` and `version`.
 * Exit status: 0 success, 1 failure, 2 usage or configuration error (nothing started).
 */
import { Command, CommanderError, Option } from 'commander';
import { formatGoDuration } from '../config/duration.js';
import { processEnvironment } from '../config/environment.js';
import { loadConfig, printableConfig, type ConfigInput, type LoadResult } from '../config/load.js';
import { CONFIG_KEYS, OPTIONS, envName, type ConfigKey, type OptionSpec } from '../config/schema.js';
import { AGENT_VERSION } from '../config/schema.js';
import { addRenderCommand } from './render.js';
import { VERSION } from '../version.js';
import { createLogger } from '../observability/logger.js';
import { runController } from '../controller.js';
import { loadKubeConfig } from '../kube/kubeconfig.js';
import { addLintCommand } from './lint.js';
import { addDemoCommand } from './demo.js';

export interface CliIO {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile?: (path: string) => string;
  /** Whether stdout is a terminal (colours in logfmt output). */
  readonly isTTY?: boolean;
  /** Subscribes to SIGTERM/SIGINT; the handler answers 'exit' to end the process at once. */
  readonly onSignal?: (handler: (signal: string) => 'exit' | 'continue') => () => void;
}

/** Upstream's behaviour: the first signal shuts down gracefully, a second one exits at once. */
function onProcessSignal(handler: (signal: string) => 'exit' | 'continue'): () => void {
  const listener = (signal: NodeJS.Signals): void => {
    if (handler(signal) === 'exit') process.exit(130);
  };
  process.on('SIGTERM', listener);
  process.on('SIGINT', listener);
  return () => {
    process.off('SIGTERM', listener);
    process.off('SIGINT', listener);
  };
}

const processIO = (): CliIO => ({
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: processEnvironment(),
  isTTY: process.stdout.isTTY,
});

export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  let status = 0;
  const program = buildProgram(io, (code) => {
    status = code;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version output end here too; they are not errors.
      return error.exitCode === 0 ? 0 : 2;
    }
    throw error;
  }
  return status;
}

function buildProgram(io: CliIO, exit: (code: number) => void): Command {
  const program = new Command('agent-stack-k8s')
    .description(
      'Buildkite Agent Stack for Kubernetes: runs Buildkite jobs from a cluster queue as Kubernetes Jobs',
    )
    .exitOverride()
    .enablePositionalOptions()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run with --help for usage)');
  addConfigFlags(program).action(async (flags: Record<string, unknown>) => {
    const loaded = load(flags, io);
    if (!loaded.ok) {
      exit(reportConfigErrors(loaded, io));
      return;
    }
    const logger = createLogger({
      format: loaded.config['log-format'],
      level: loaded.config['log-level'],
      debug: loaded.config.debug,
      color: !loaded.config['no-color'] && io.isTTY === true,
      write: io.stdout,
    });
    logger.debug({ config: printableConfig(loaded.config) }, 'configuration loaded');
    const kube = loadKubeConfig(io.env);
    if (!kube.ok) {
      logger.error(kube.reason);
      exit(1);
      return;
    }
    const shutdown = new AbortController();
    const unsubscribe = (io.onSignal ?? onProcessSignal)((signal) => {
      if (shutdown.signal.aborted) {
        logger.warn({ signal }, 'second signal: exiting now');
        return 'exit';
      }
      logger.info({ signal }, 'signal received: shutting down gracefully (send it again to exit at once)');
      shutdown.abort();
      return 'continue';
    });
    try {
      const end = await runController({
        config: loaded.config,
        logger,
        kubeConfig: kube.kubeConfig,
        signal: shutdown.signal,
        version: VERSION,
      });
      exit(end.code);
    } finally {
      unsubscribe();
    }
  });

  program
    .command('version')
    .description('Print the version of agent-stack-k8s and of the agent image it uses by default')
    .action(() => {
      io.stdout(`agent-stack-k8s ${VERSION} (buildkite-agent ${AGENT_VERSION})\n`);
    });

  addLintCommand(program, io, exit);

  addConfigFlags(
    program
      .command('config')
      .description('Print the effective configuration as JSON (file keys; secrets redacted)')
      .option('--explain', 'show for each key the layer it came from: default, file, env or flag'),
  ).action((flags: Record<string, unknown>) => {
    const loaded = load(flags, io);
    if (!loaded.ok) {
      exit(reportConfigErrors(loaded, io));
      return;
    }
    const printable = printableConfig(loaded.config);
    const output =
      flags.explain === true
        ? Object.fromEntries(
            CONFIG_KEYS.map((key) => [key, { value: printable[key], from: loaded.sources[key] }]),
          )
        : printable;
    io.stdout(JSON.stringify(output, null, 2) + '\n');
  });
  addRenderCommand(program, io, exit);
  addDemoCommand(program, io, exit);
  return program;
}

/** Adds `--config/-f` and one flag per configuration key that is not file-only. */
function addConfigFlags(command: Command): Command {
  command.addOption(new Option('-f, --config <file>', 'YAML config file (env: CONFIG)'));
  for (const key of CONFIG_KEYS) {
    const spec: OptionSpec = OPTIONS[key];
    if (spec.fileOnly === true) continue;
    const option = new Option(`--${key} ${spec.kind === 'bool' ? '[bool]' : '<value>'}`, flagHelp(key, spec));
    // `--no-color` is a key of its own, not commander's negation of a `color` flag.
    option.negate = false;
    if (spec.hidden === true) option.hideHelp();
    command.addOption(option);
  }
  return command;
}

function flagHelp(key: ConfigKey, spec: OptionSpec): string {
  const shown = spec.secret === true ? undefined : defaultText(spec);
  const details = [shown === undefined ? undefined : `default: ${shown}`, `env: ${envName(key) ?? '-'}`];
  return `${spec.description} (${details.filter((d) => d !== undefined).join(', ')})`;
}

function defaultText(spec: OptionSpec): string | undefined {
  const value = spec.default;
  if (value === undefined || value === '') return undefined;
  if (spec.kind === 'duration' && typeof value === 'number') return formatGoDuration(value);
  if (Array.isArray(value)) return value.length === 0 ? undefined : value.join(',');
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function load(flags: Record<string, unknown>, io: CliIO): LoadResult {
  const given: Partial<Record<ConfigKey, string | boolean>> = {};
  for (const key of CONFIG_KEYS) {
    const value = flags[attributeName(key)];
    if (typeof value === 'string' || typeof value === 'boolean') given[key] = value;
  }
  const input: ConfigInput = {
    flags: given,
    env: io.env,
    ...(typeof flags.config === 'string' ? { configPath: flags.config } : {}),
    ...(io.readFile ? { readFile: io.readFile } : {}),
  };
  return loadConfig(input);
}

/** commander's attribute name for `--max-in-flight` is `maxInFlight`. */
function attributeName(key: string): string {
  return key.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function reportConfigErrors(result: LoadResult & { ok: false }, io: CliIO): number {
  for (const error of result.errors) io.stderr(`${error}\n`);
  return 2;
}
