import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each file in its own process: the ISA cap and thread count are process-wide.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
