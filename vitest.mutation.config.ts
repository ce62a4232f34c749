// Vitest config for mutation runs (stryker.config.mjs): only the tests of the folder under mutation
// (MUTATION_FOLDER: resilience | security | process), so each mutant runs the tests that can notice it.
import { defineConfig } from 'vitest/config';

const folder = process.env.MUTATION_FOLDER ?? 'resilience';
/** MUTATION_TESTS (comma-separated globs) narrows the tests, e.g. to the fast unit tests of the mutated files. */
const narrowed = process.env.MUTATION_TESTS?.split(',');
/**
 * Tests left out of mutation runs, by name: the adversarial-input timing properties take seconds each and would run
 * once per mutant of the sanitizers (hours); they catch slowness, which the mutants here do not introduce.
 * MUTATION_SKIP_NAMES (a regex source) replaces the default list.
 */
const SKIP_NAMES = process.env.MUTATION_SKIP_NAMES ?? 'stays linear|regex-killer|never lets a planted secret';

export default defineConfig({
  test: {
    include: narrowed ?? [
      `test/{unit,integration,fuzz}/${folder}-*.test.ts`,
      `test/fuzz/${folder === 'security' ? 'paths' : folder}.fuzz.test.ts`,
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    testNamePattern: new RegExp(`^(?!.*(?:${SKIP_NAMES}))`),
  },
});
