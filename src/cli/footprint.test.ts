import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('what the controller process loads', () => {
  let dir: string;
  let loaded: string[];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'footprint-'));
    // A module resolve hook that writes down every module the entry point imports, statically or not.
    writeFileSync(
      join(dir, 'hooks.mjs'),
      `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(${JSON.stringify(join(dir, 'loaded'))}, resolved.url + '\\n');
  return resolved;
}`,
    );
    writeFileSync(
      join(dir, 'register.mjs'),
      `import { register } from 'node:module';\nregister(${JSON.stringify(new URL(`file://${join(dir, 'hooks.mjs')}`).href)});`,
    );
    const output = execFileSync(
      process.execPath,
      ['--import', 'tsx', '--import', join(dir, 'register.mjs'), 'src/cli/entry.ts', 'version'],
      { cwd: root, encoding: 'utf8' },
    );
    expect(output).toMatch(/^agent-stack-k8s /);
    loaded = readFileSync(join(dir, 'loaded'), 'utf8').split('\n');
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('is the whole controller', () => {
    expect(loaded.filter((url) => url.endsWith('/src/controller.ts'))).not.toEqual([]);
  });

  it('leaves out @kubernetes/client-node (~75 MiB) and the simulators', () => {
    expect(loaded.filter((url) => url.includes('/node_modules/@kubernetes/client-node/'))).toEqual([]);
    expect(loaded.filter((url) => url.startsWith(`file://${root}sim/`))).toEqual([]);
  });
});
