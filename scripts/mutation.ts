/**
 * Mutation testing (StrykerJS, stryker.config.mjs) of src/resilience, src/security and src/process, one folder at a
 * time, each under a time budget; prints each folder's score and writes reports/mutation/summary.json.
 *
 *   npm run test:mutation [-- <folder>...] [--minutes N] [--concurrency N] [--target PCT]
 *
 * MUTATION_MUTATE and MUTATION_TESTS (comma-separated globs) narrow a run to some files and their tests.
 *
 * Exits 1 when a folder that finished scores under the target (default 75%), 2 when a budget ran out.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FOLDERS = ['resilience', 'security', 'process'] as const;
const DEFAULT_MINUTES = 40;
const DEFAULT_CONCURRENCY = 2;
const DEFAULT_TARGET_PCT = 75;
const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

interface Options {
  readonly folders: readonly string[];
  readonly minutes: number;
  readonly concurrency: number;
  readonly targetPct: number;
}

export interface FolderScore {
  readonly folder: string;
  readonly finished: boolean;
  readonly scorePct?: number;
  readonly detected?: number;
  readonly undetected?: number;
  readonly survivors?: readonly string[];
  readonly seconds: number;
}

function parseArgs(argv: readonly string[]): Options {
  const folders: string[] = [];
  const numbers: Record<string, number> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith('--')) numbers[arg.slice(2)] = Number(argv[++i]);
    else folders.push(arg);
  }
  for (const folder of folders) {
    if (!(FOLDERS as readonly string[]).includes(folder)) throw new Error(`unknown folder ${folder}`);
  }
  return {
    folders: folders.length > 0 ? folders : FOLDERS,
    minutes: numbers.minutes ?? DEFAULT_MINUTES,
    concurrency: numbers.concurrency ?? DEFAULT_CONCURRENCY,
    targetPct: numbers.target ?? DEFAULT_TARGET_PCT,
  };
}

/** Runs Stryker on one folder; resolves false when the budget ran out and the run was stopped. */
function runStryker(folder: string, options: Options): Promise<boolean> {
  const env = { ...process.env, MUTATION_FOLDER: folder, MUTATION_CONCURRENCY: String(options.concurrency) };
  const child = spawn('npx', ['stryker', 'run', 'stryker.config.mjs'], {
    env,
    stdio: 'inherit',
    detached: true,
  });
  return new Promise((resolve) => {
    const budget = setTimeout(() => {
      console.error(`mutation: ${folder} ran out of its ${options.minutes}-minute budget; stopping it`);
      try {
        process.kill(-(child.pid ?? 0), 'SIGTERM');
      } catch {
        // already gone
      }
    }, options.minutes * 60_000);
    child.once('exit', (code) => {
      clearTimeout(budget);
      resolve(code === 0);
    });
  });
}

interface ReportMutant {
  readonly status: string;
  readonly mutatorName: string;
  readonly location: { readonly start: { readonly line: number } };
}

/** The score of a Stryker JSON report: detected / (detected + undetected), errors and ignored left out. */
export function scoreOf(report: { files: Record<string, { mutants: ReportMutant[] }> }) {
  let detected = 0;
  let undetected = 0;
  const survivors: string[] = [];
  for (const [file, { mutants }] of Object.entries(report.files)) {
    for (const mutant of mutants) {
      if (DETECTED.has(mutant.status)) detected++;
      if (!UNDETECTED.has(mutant.status)) continue;
      undetected++;
      survivors.push(`${file}:${mutant.location.start.line} ${mutant.mutatorName} (${mutant.status})`);
    }
  }
  const total = detected + undetected;
  return { detected, undetected, survivors, scorePct: total === 0 ? 100 : (100 * detected) / total };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const results: FolderScore[] = [];
  for (const folder of options.folders) {
    const started = performance.now();
    const finished = await runStryker(folder, options);
    const seconds = Math.round((performance.now() - started) / 1000);
    const path = join('reports', 'mutation', `${folder}.json`);
    if (!finished || !existsSync(path)) {
      results.push({ folder, finished: false, seconds });
      continue;
    }
    results.push({ folder, finished: true, seconds, ...scoreOf(JSON.parse(readFileSync(path, 'utf8'))) });
  }
  mkdirSync(join('reports', 'mutation'), { recursive: true });
  writeFileSync(join('reports', 'mutation', 'summary.json'), `${JSON.stringify(results, null, 2)}\n`);
  for (const r of results) {
    const score =
      r.scorePct === undefined
        ? 'unfinished'
        : `${r.scorePct.toFixed(1)}% (${r.detected}/${(r.detected ?? 0) + (r.undetected ?? 0)})`;
    console.log(`mutation ${r.folder}: ${score} in ${r.seconds}s`);
  }
  if (results.some((r) => !r.finished)) process.exit(2);
  if (results.some((r) => (r.scorePct ?? 0) < options.targetPct)) process.exit(1);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
