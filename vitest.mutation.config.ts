// Vitest config for mutation runs (stryker.config.mjs): only the tests of the folder under mutation
// (MUTATION_FOLDER: resilience | security | process), so each mutant runs the tests that can notice it.
import { defineConfig } from 'vitest/config';

const folder = process.env.MUTATION_FOLDER ?? 'resilience';
/** MUTATION_TESTS (comma-separated globs) narrows the tests, e.g. to the fast unit tests of the mutated files. */
const narrowed = process.env.MUTATION_TESTS?.split(',');

export default defineConfig({
  test: {
    include: narrowed ?? [
      `test/{unit,integration,fuzz}/${folder}-*.test.ts`,
      `test/fuzz/${folder === 'security' ? 'paths' : folder}.fuzz.test.ts`,
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
