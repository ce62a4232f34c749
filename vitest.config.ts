import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * Test files run at once. The suite mostly waits on child processes (fake and real critics, the built server),
 * so vitest's default of cores − 1 (one file at a time on a 2-core CI machine) leaves the CPU idle: measured on
 * 8 spawn-heavy files, 1 worker 202 s wall vs 3 workers 121 s, the same ~41 s CPU. 4 workers pushed the
 * spawnSync-heavy e2e tests past their timeouts on a loaded machine. BRUTALIST_TEST_WORKERS overrides it.
 */
const DEFAULT_TEST_WORKERS = Math.max(3, availableParallelism() - 1);

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    maxWorkers: Number(process.env.BRUTALIST_TEST_WORKERS) || DEFAULT_TEST_WORKERS,
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reporter: ['text-summary', 'text'],
    },
  },
});
