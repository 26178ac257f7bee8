import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findRepoRoot } from './control-plane.js';

describe('findRepoRoot', () => {
  const made: string[] = [];
  afterEach(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('finds the checkout from sim/cluster and from its compiled copy in dist/', () => {
    const root = resolve(import.meta.dirname, '../..');
    expect(findRepoRoot(import.meta.dirname)).toBe(root);
    expect(findRepoRoot(join(root, 'dist/sim/cluster'))).toBe(root);
  });

  it('names what it looked for and where when the module is outside a checkout', () => {
    const outside = mkdtempSync(join(tmpdir(), 'no-repo-'));
    made.push(outside);
    const from = join(outside, 'a/b/c');
    mkdirSync(from, { recursive: true });
    expect(() => findRepoRoot(from)).toThrow(
      `control plane: cannot find the repository root from ${from}: looked for scripts/control-plane/build.sh in ${join(outside, 'a')} and ${outside}`,
    );
  });
});
