import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'src/**/*.test.ts',
      'sim/**/*.test.ts',
      'test/**/*.test.ts',
      'test/scenarios/*.scenario.ts',
      'scripts/**/*.test.ts',
      'bench/**/*.test.ts',
    ],
    exclude: ['dist/**', 'node_modules/**', 'test/cluster/**'],
    testTimeout: 20_000,
    pool: 'forks',
  },
});
