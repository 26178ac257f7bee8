/** Runs the external tools the image build uses (tar, npm, apt-get, dpkg-deb). */
import { spawn } from 'node:child_process';

/**
 * Runs `command` and resolves with its standard output. A build cannot go on without the step, so a
 * failure rejects with the command line, exit status and standard error, which the build script prints.
 */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { readonly cwd?: string; readonly env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => {
      reject(new Error(`${command}: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      if (code === 0) {
        resolve(stdout);
        return;
      }
      const status = signal === null ? `exited ${String(code)}` : `was killed by ${signal}`;
      reject(new Error(`${[command, ...args].join(' ')} ${status}\n${stderr.trim()}`));
    });
  });
}
