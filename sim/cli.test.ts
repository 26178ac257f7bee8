import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));

describe('sim/cli.ts', () => {
  it('prints the listening line and serves the agent API until SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', cli, '--port', '0', '--agent-token', 'bkct_cli'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      let output = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (data: Buffer) => {
          output += data.toString();
          const match = /buildkite simulator listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(output);
          if (match?.[1] !== undefined) resolve(match[1]);
        });
        child.once('exit', (code) => {
          reject(new Error(`simulator exited early with ${String(code)}: ${output}`));
        });
      });
      const ok = await fetch(`${url}/v3/token`, { headers: { authorization: 'Token bkct_cli' } });
      expect(ok.status).toBe(200);
      const refused = await fetch(`${url}/v3/token`, { headers: { authorization: 'Token other' } });
      expect(refused.status).toBe(401);
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('refuses to start without an agent token', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).not.toBe(0);
    expect(stderr).toContain('--agent-token');
  });
});
