// StrykerJS mutation testing of one folder at a time (MUTATION_FOLDER), run by scripts/mutation.ts; not in CI (slow).
const folder = process.env.MUTATION_FOLDER ?? 'resilience';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  // MUTATION_MUTATE (comma-separated globs) narrows a run to some files, e.g. when a whole folder cannot finish.
  mutate: process.env.MUTATION_MUTATE?.split(',') ?? [`src/${folder}/**/*.ts`, `!src/${folder}/index.ts`],
  coverageAnalysis: 'perTest',
  ignoreStatic: true,
  concurrency: Number(process.env.MUTATION_CONCURRENCY ?? 2),
  timeoutMS: 10_000,
  reporters: ['clear-text', 'json', 'progress'],
  jsonReporter: { fileName: `reports/mutation/${folder}.json` },
  tempDirName: `.stryker-tmp/${folder}`,
  cleanTempDir: true,
};
