/** scripts/helm/build.sh without building: a cached binary is reused, and a missing Go is explained (exit 3). */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('./build.sh', import.meta.url));
const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'helm-build-'));
  dirs.push(dir);
  return dir;
}

function run(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('/bin/bash', [SCRIPT], { env }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
    });
  });
}

/** A PATH with the tools the script uses but no `go`. */
function pathWithoutGo(): string {
  const bin = join(tempDir(), 'bin');
  mkdirSync(bin);
  for (const tool of ['date', 'mkdir', 'rm', 'mv', 'rmdir']) symlinkSync(`/bin/${tool}`, join(bin, tool));
  return bin;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('scripts/helm/build.sh', () => {
  it('reuses a helm already in HELM_DIR and prints its path last', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'helm'), '#!/bin/sh\n');
    chmodSync(join(dir, 'helm'), 0o755);
    const { code, stdout, stderr } = await run({ HELM_DIR: dir, HOME: dir, PATH: pathWithoutGo() });
    expect(code).toBe(0);
    expect(stdout.trim().split('\n').at(-1)).toBe(join(dir, 'helm'));
    expect(stderr).toContain('cached');
  });

  it('says why and exits 3 when Go is missing', async () => {
    const dir = tempDir();
    const { code, stdout, stderr } = await run({
      HELM_DIR: join(dir, 'helm'),
      HOME: dir,
      PATH: pathWithoutGo(),
    });
    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toContain('Go is not installed');
    expect(stderr).toContain('HELM_BIN');
  });
});
