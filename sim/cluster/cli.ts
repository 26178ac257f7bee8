/**
 * `npm run cluster -- up | down | status`: a control plane for manual use (kubectl, the controller by
 * hand). `up` starts a detached keeper process that owns the components and stops them on SIGTERM;
 * its state (pids, kubeconfig path) is a JSON file in the temp directory, which `down` reads.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { sleep } from '../../src/backoff.js';
import { processAlive as alive, startControlPlane } from './control-plane.js';

const DEFAULT_STATE = join(tmpdir(), 'agent-stack-k8s-cluster.json');

interface State {
  readonly keeper: number;
  readonly url: string;
  readonly kubeconfigPath: string;
  readonly dir: string;
  readonly pids: Readonly<Record<string, number>>;
}

function readState(stateFile: string): State | undefined {
  if (!existsSync(stateFile)) return undefined;
  return JSON.parse(readFileSync(stateFile, 'utf8')) as State;
}

function runsIn(pid: number, dir: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir);
  } catch {
    return false;
  }
}

function describe(state: State): string {
  return [
    `control plane at ${state.url}`,
    `  export KUBECONFIG=${state.kubeconfigPath}`,
    `  logs: ${state.dir}/<component>.log`,
    '  stop: npm run cluster -- down',
  ].join('\n');
}

/** Runs in the detached keeper: start, record the state, stop everything on SIGTERM/SIGINT. */
async function keep(stateFile: string): Promise<void> {
  const plane = await startControlPlane();
  const state: State = {
    keeper: process.pid,
    url: plane.url,
    kubeconfigPath: plane.kubeconfigPath,
    dir: plane.dir,
    pids: plane.pids,
  };
  writeFileSync(stateFile, JSON.stringify(state, null, 2));
  const stop = (): void => {
    plane.stop().then(
      () => {
        rmSync(stateFile, { force: true });
        process.exit(0);
      },
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

async function up(stateFile: string): Promise<number> {
  const logFile = stateFile.replace(/(\.json)?$/, '.log');
  const existing = readState(stateFile);
  if (existing !== undefined && alive(existing.keeper)) {
    console.log(`already up\n${describe(existing)}`);
    return 0;
  }
  rmSync(stateFile, { force: true });
  const log = openSync(logFile, 'w');
  const args = [...process.execArgv, import.meta.filename, '--state', stateFile, 'keep'];
  const keeper = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  keeper.unref();
  // Building the binaries from cold takes many minutes; starting takes seconds.
  for (let waited = 0; waited < 60 * 60; waited++) {
    const state = readState(stateFile);
    if (state !== undefined) {
      console.log(describe(state));
      return 0;
    }
    if (keeper.exitCode !== null) break;
    await sleep(1000);
  }
  console.error(`the control plane did not start; see ${logFile}:\n${readFileSync(logFile, 'utf8')}`);
  if (keeper.pid !== undefined && alive(keeper.pid)) process.kill(keeper.pid, 'SIGTERM');
  return 1;
}

async function down(stateFile: string): Promise<number> {
  const state = readState(stateFile);
  if (state === undefined) {
    console.log('no control plane is up');
    return 0;
  }
  if (alive(state.keeper)) process.kill(state.keeper, 'SIGTERM');
  for (let waited = 0; waited < 300 && alive(state.keeper); waited++) await sleep(100);
  // Only what this tool started: recorded component pids still running with this plane's directory in
  // their command line (so a recycled pid is never touched), if the keeper could not stop them.
  const left = Object.entries(state.pids).filter(
    ([, pid]) => pid > 0 && alive(pid) && runsIn(pid, state.dir),
  );
  for (const [, pid] of left) process.kill(pid, 'SIGKILL');
  rmSync(state.dir, { recursive: true, force: true });
  rmSync(stateFile, { force: true });
  console.log(left.length === 0 ? 'stopped' : `stopped (killed ${left.map(([name]) => name).join(', ')})`);
  return 0;
}

const program = new Command('cluster')
  .description('A real control plane on 127.0.0.1 for manual use')
  .option('--state <file>', 'where up records the running control plane (pids, kubeconfig)', DEFAULT_STATE);
const stateFile = (): string => program.opts<{ state: string }>().state;
program
  .command('up')
  .description('start it detached and print the kubeconfig path')
  .action(async () => {
    process.exitCode = await up(stateFile());
  });
program
  .command('down')
  .description('stop it and everything it started')
  .action(async () => {
    process.exitCode = await down(stateFile());
  });
program
  .command('status')
  .description('print where it is')
  .action(() => {
    const state = readState(stateFile());
    const running = state !== undefined && alive(state.keeper);
    console.log(running ? describe(state) : 'no control plane is up');
  });
program.command('keep', { hidden: true }).action(() => keep(stateFile()));
await program.parseAsync();
