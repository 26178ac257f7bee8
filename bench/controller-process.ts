/**
 * The controller under test as a child process, started the way upstream's is deployed (`--config <file>`,
 * `KUBECONFIG`), and what /proc says about it: CPU seconds, current and peak RSS.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join, resolve } from 'node:path';

/** Linux clock ticks per second for /proc/<pid>/stat times (USER_HZ, 100 on every mainstream arch). */
const CLOCK_TICKS = 100;
const OUTPUT_LINES_KEPT = 40;

/** Our compiled controller: what `--controller-cmd` defaults to. */
export const DEFAULT_CONTROLLER_COMMAND = `${process.execPath} ${resolve(import.meta.dirname, '../src/cli/entry.js')}`;

export interface ProcessUsage {
  readonly cpuSeconds: number;
  readonly rssMiB: number;
  readonly peakRssMiB: number;
}

export interface ControllerProcess {
  readonly pid: number;
  /** The exit status once it has exited (signals as 128 + n). */
  exitCode(): number | undefined;
  /** The last lines it wrote (stdout and stderr), for saying why it failed. */
  outputTail(): string;
  /** Throws, with its exit status and last lines, once it has exited: a benchmark cannot go on without it. */
  assertRunning(): void;
  usage(): ProcessUsage;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

/**
 * Runs `command` (a shell command line) with `--config <configPath>` appended and `KUBECONFIG` set. The
 * shell `exec`s it, so the pid and /proc figures are the controller's own, not a shell's.
 */
export function startControllerProcess(options: {
  readonly command: string;
  /** Holds the kubeconfig and config file written here, and is the controller's HOME. */
  readonly dir: string;
  readonly kubeconfigYaml: string;
  /** The Buildkite agent API the controller talks to (`agent-config.endpoint`). */
  readonly endpoint: string;
  readonly namespace: string;
  readonly queue: string;
  /** More config file lines in upstream's keys, e.g. `max-in-flight: 0`. */
  readonly settings: readonly string[];
}): ControllerProcess {
  const kubeconfigPath = join(options.dir, 'kubeconfig');
  writeFileSync(kubeconfigPath, options.kubeconfigYaml);
  const configPath = join(options.dir, 'config.yaml');
  writeFileSync(
    configPath,
    [
      `agent-config: {endpoint: "${options.endpoint}"}`,
      `namespace: ${options.namespace}`,
      `queue: ${options.queue}`,
      `tags: ["queue=${options.queue}"]`,
      'poll-interval: 1s',
      'log-format: json',
      ...options.settings,
    ].join('\n'),
  );
  const child = spawn('/bin/sh', ['-c', `exec ${options.command} --config "$BENCH_CONFIG"`], {
    env: {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      HOME: options.dir,
      KUBECONFIG: kubeconfigPath,
      BENCH_CONFIG: configPath,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`cannot start the controller: ${options.command}`);
  const pid = child.pid;
  const lines: string[] = [];
  const keep = (chunk: string): void => {
    lines.push(...chunk.split('\n').filter((line) => line !== ''));
    lines.splice(0, Math.max(0, lines.length - OUTPUT_LINES_KEPT));
  };
  child.stdout.setEncoding('utf8').on('data', keep);
  child.stderr.setEncoding('utf8').on('data', keep);
  let code: number | undefined;
  const exited = new Promise<void>((done) => {
    child.on('exit', (exitCode, signal) => {
      code = exitCode ?? 128 + (signal === null ? 0 : constants.signals[signal]);
      done();
    });
  });
  return {
    pid,
    exitCode: () => code,
    outputTail: () => lines.join('\n'),
    assertRunning: () => {
      if (code !== undefined) throw new Error(`controller exited with ${String(code)}:\n${lines.join('\n')}`);
    },
    usage: () => processUsage(pid),
    stop: async () => {
      if (code === undefined) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** CPU seconds (user + system), RSS and peak RSS in MiB of a live process, from /proc. */
export function processUsage(pid: number): ProcessUsage {
  const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
  // Fields after the parenthesised command name (which may hold spaces); utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${String(pid)}/status`, 'utf8');
  const kib = (name: string): number => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1]);
  return { cpuSeconds: ticks / CLOCK_TICKS, rssMiB: kib('VmRSS') / 1024, peakRssMiB: kib('VmHWM') / 1024 };
}
