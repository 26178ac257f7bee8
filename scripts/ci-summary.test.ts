import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const SCRIPT = resolve(import.meta.dirname, 'ci-summary.mjs');
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ci-summary-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function report(name: string, body: object): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(body));
  return path;
}

async function summary(...paths: string[]): Promise<{ line: string; code: number }> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [SCRIPT, ...paths]);
    return { line: stdout.trim(), code: 0 };
  } catch (error) {
    const failed = error as { stdout: string; code: number };
    return { line: failed.stdout.trim(), code: failed.code };
  }
}

const passing = {
  numTotalTests: 12,
  numPassedTests: 10,
  numFailedTests: 0,
  numPendingTests: 2,
  testResults: [],
};

describe('ci-summary', () => {
  it('sums several reports into one line', async () => {
    const unit = report('unit.json', passing);
    const cluster = report('cluster.json', { numTotalTests: 5, numPassedTests: 4, numFailedTests: 1 });
    expect(await summary(unit, cluster)).toEqual({ line: '14 passed, 1 failed, 2 skipped', code: 1 });
    expect(await summary(unit)).toEqual({ line: '10 passed, 0 failed, 2 skipped', code: 0 });
  });

  it('counts a file that failed without a failing test (an import error) as one failure', async () => {
    const broken = report('broken.json', {
      ...passing,
      testResults: [{ status: 'failed', assertionResults: [] }],
    });
    expect(await summary(broken)).toEqual({ line: '10 passed, 1 failed, 2 skipped', code: 1 });
  });

  it('counts a missing report, or one with no tests (a failed global setup), as one failure', async () => {
    const unit = report('unit.json', passing);
    const empty = report('empty.json', { numTotalTests: 0, testResults: [] });
    expect(await summary(unit, join(dir, 'missing.json'))).toEqual({
      line: '10 passed, 1 failed, 2 skipped',
      code: 1,
    });
    expect(await summary(unit, empty)).toEqual({ line: '10 passed, 1 failed, 2 skipped', code: 1 });
  });
});
