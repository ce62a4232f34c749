import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reporter: ['text-summary', 'text'],
      // The gate (issue 19): `npm test` fails under this branch coverage. Set at the level the full run reaches,
      // rounded down (docs/testing.md); the target is 90.
      thresholds: { branches: 83 },
    },
  },
});
