// Prints the plain "N passed, N failed" line CI reads, summed over the vitest JSON reports given.
// A test file that failed without a failing test (an import or setup error) counts as one failure, and
// so does a report that is missing or holds no test (its run never got going: a failed build or global
// setup).
// Exits non-zero when anything failed or no test ran at all.
import { existsSync, readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
for (const path of process.argv.slice(2)) {
  if (!existsSync(path)) {
    console.error(`ci-summary: no report at ${path}; counting its run as one failure`);
    failed += 1;
    continue;
  }
  const report = JSON.parse(readFileSync(path, 'utf8'));
  if ((report.numTotalTests ?? 0) === 0) {
    console.error(`ci-summary: ${path} has no tests (did its global setup fail?); counting one failure`);
    failed += 1;
    continue;
  }
  const brokenFiles = (report.testResults ?? []).filter(
    (file) =>
      file.status === 'failed' && !(file.assertionResults ?? []).some((test) => test.status === 'failed'),
  ).length;
  passed += report.numPassedTests ?? 0;
  failed += (report.numFailedTests ?? 0) + brokenFiles;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
}
console.log(`${passed} passed, ${failed} failed` + (skipped > 0 ? `, ${skipped} skipped` : ''));
process.exit(failed > 0 || passed === 0 ? 1 : 0);
