import { defineConfig } from 'vitest/config';

/** The cluster tier: the scenario suite and test/cluster against one real control plane per run. */
export default defineConfig({
  test: {
    include: ['test/scenarios/*.scenario.ts', 'test/cluster/**/*.test.ts'],
    exclude: ['dist/**', 'node_modules/**'],
    globalSetup: ['test/cluster/global-setup.ts'],
    // A real control plane shares the machine's cores with the tests: generous but bounded.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One file at a time: the control plane needs the cores as much as the tests do.
    fileParallelism: false,
  },
});
