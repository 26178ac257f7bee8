import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderJob } from './build.js';
import { GOLDEN_CASES } from '../../test/podspec/golden-cases.js';

describe('golden Jobs (test/golden, regenerate with `npx tsx scripts/update-golden.ts`)', () => {
  it.each(GOLDEN_CASES.map((c) => [c.name, c] as const))('%s', (name, { job, config }) => {
    const result = renderJob(job, config);
    if (!result.ok) throw new Error(result.message);
    const expected = readFileSync(new URL(`../../test/golden/${name}.json`, import.meta.url), 'utf8');
    expect(`${JSON.stringify(result.job, null, 2)}\n`).toBe(expected);
  });
});
