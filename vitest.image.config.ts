import { defineConfig } from 'vitest/config';

// `npm run test:image`: builds the container image, so it stays out of the unit suite.
export default defineConfig({
  test: {
    include: ['scripts/image/*.e2e.ts'],
    testTimeout: 60_000,
    hookTimeout: 900_000,
    pool: 'forks',
  },
});
