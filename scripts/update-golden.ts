/** Rewrites test/golden/*.json from src/podspec/golden-cases.ts. Run after a deliberate output change. */
import { writeFileSync } from 'node:fs';
import { renderJob } from '../src/podspec/build.js';
import { GOLDEN_CASES } from '../test/podspec/golden-cases.js';

for (const { name, job, config } of GOLDEN_CASES) {
  const result = renderJob(job, config);
  if (!result.ok) throw new Error(`${name}: ${result.message}`);
  writeFileSync(
    new URL(`../test/golden/${name}.json`, import.meta.url),
    `${JSON.stringify(result.job, null, 2)}\n`,
  );
}
