import { defineConfig } from 'vitest/config';

/**
 * Test files run at once: vitest's default (cores − 1, so one file at a time on a 2-core machine) unless
 * BRUTALIST_TEST_WORKERS says otherwise. The suite mostly waits on child processes: on 8 spawn-heavy files,
 * 1 worker took 202 s wall and 3 workers 121 s, the same ~41 s CPU. But the whole suite with 3 workers and
 * coverage on a machine loaded by other jobs (load 25 on 2 cores) failed 14 tests (load shedding answered
 * OVERLOADED, spawnSync tests and real gemini past their timeouts), so more workers is opt-in, not the default.
 */
const testWorkers = Number(process.env.BRUTALIST_TEST_WORKERS) || undefined;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    ...(testWorkers ? { maxWorkers: testWorkers } : {}),
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reporter: ['text-summary', 'text'],
      // The gate (issue 19): `npm test` fails under this branch coverage. Set at the level the full run reaches,
      // rounded down (docs/testing.md); the target is 90.
      // 86: the fresh-clone CI run of 2026-12-03 (session 5, after the cov-a/cov-b tests) measured 87.27%; one point
      // below it, as branches reached only under some timings move a little between runs.
      thresholds: { branches: 86 },
    },
  },
});
