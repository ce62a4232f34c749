/** Benchmark: request validation (resolveTarget, checkTextLimits) against a bare realpath baseline, same process. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkTextLimits, resolveTarget } from '../../src/security/index.js';

const ITERATIONS = 10_000;
const WARMUP = 1_000;
const limits = { maxPathChars: 4_096, maxPathComponentChars: 255 };
const textLimits = { maxContextChars: 200_000, maxFieldChars: 10_000 };
const LONG_FIELDS = ['context', 'content'];

/** A roast request as an MCP client sends it: a target, a few KB of context, options and a short history. */
function roastArguments(): Record<string, unknown> {
  return {
    target: 'packages/api/src/handlers/orders.ts',
    context: 'We are launching next week; focus on data loss and concurrency. '.repeat(120),
    critics: ['claude', 'codex', 'gemini'],
    models: { claude: 'opus', codex: 'gpt-5-codex', gemini: 'gemini-2.5-pro' },
    domain: 'codebase',
    persona: 'staff engineer who has been paged at 3am',
    depth: 2,
    includeTests: true,
    history: [
      { role: 'user', text: 'Roast the order handler.' },
      { role: 'assistant', text: 'It retries non-idempotent writes. '.repeat(40) },
    ],
  };
}

type Case = () => unknown;

async function timeOnce(fn: Case): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1_000;
}

/**
 * Times the cases interleaved (one of each per round) so background load hits baseline and subject
 * alike and the ratio stays meaningful on a busy machine. Returns samples in µs per case.
 */
async function timeInterleaved(cases: readonly Case[]): Promise<number[][]> {
  for (let i = 0; i < WARMUP; i++) for (const fn of cases) await fn();
  const samples = cases.map(() => [] as number[]);
  for (let i = 0; i < ITERATIONS; i++) {
    for (let c = 0; c < cases.length; c++) samples[c]?.push(await timeOnce(cases[c]!));
  }
  return samples;
}

function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? Number.NaN;
}

const round = (n: number) => Math.round(n * 10) / 10;

/** Runs the benchmark and returns its numbers (µs); prints a small table too. */
export async function run(): Promise<Record<string, number>> {
  const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'brutalist-bench-sec-')));
  try {
    const root = path.join(base, 'repo');
    const relative = path.join('packages', 'api', 'src', 'handlers', 'orders.ts');
    fs.mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
    fs.writeFileSync(path.join(root, relative), 'export {};\n');
    const absolute = path.join(root, relative);
    const args = roastArguments();

    const [baseline = [], syscalls = [], resolve = [], text = [], request = []] = await timeInterleaved([
      () => fs.promises.realpath(absolute),
      // The I/O resolveTarget cannot avoid (realpath root, realpath target, lstat), with none of its logic.
      async () => {
        await fs.promises.realpath(root);
        await fs.promises.realpath(absolute);
        await fs.promises.lstat(absolute);
      },
      () => resolveTarget(relative, [root], limits),
      () => checkTextLimits(args, textLimits, LONG_FIELDS),
      // What one request pays: both checks back to back.
      async () => {
        checkTextLimits(args, textLimits, LONG_FIELDS);
        await resolveTarget(relative, [root], limits);
      },
    ]);

    const result = {
      realpathP50Us: round(percentile(baseline, 50)),
      realpathP99Us: round(percentile(baseline, 99)),
      syscallsP50Us: round(percentile(syscalls, 50)),
      syscallsP99Us: round(percentile(syscalls, 99)),
      resolveTargetP50Us: round(percentile(resolve, 50)),
      resolveTargetP99Us: round(percentile(resolve, 99)),
      checkTextLimitsP50Us: round(percentile(text, 50)),
      checkTextLimitsP99Us: round(percentile(text, 99)),
      validationP50Us: round(percentile(request, 50)),
      validationP99Us: round(percentile(request, 99)),
      resolveOverRealpathP50Ratio: round(percentile(resolve, 50) / percentile(baseline, 50)),
      resolveOverSyscallsP50Ratio: round(percentile(resolve, 50) / percentile(syscalls, 50)),
      validationOverRealpathP50Ratio: round(percentile(request, 50) / percentile(baseline, 50)),
    };
    console.log(`security/validation: ${ITERATIONS} iterations each, interleaved (after ${WARMUP} warm-up)`);
    console.log(
      `  fs.promises.realpath (baseline)  p50 ${result.realpathP50Us} µs  p99 ${result.realpathP99Us} µs`,
    );
    console.log(
      `  realpath+realpath+lstat (I/O)    p50 ${result.syscallsP50Us} µs  p99 ${result.syscallsP99Us} µs`,
    );
    console.log(
      `  resolveTarget                    p50 ${result.resolveTargetP50Us} µs  p99 ${result.resolveTargetP99Us} µs  (${result.resolveOverRealpathP50Ratio}x baseline, ${result.resolveOverSyscallsP50Ratio}x its I/O, p50)`,
    );
    console.log(
      `  checkTextLimits                  p50 ${result.checkTextLimitsP50Us} µs  p99 ${result.checkTextLimitsP99Us} µs`,
    );
    console.log(
      `  both, per request                p50 ${result.validationP50Us} µs  p99 ${result.validationP99Us} µs  (${result.validationOverRealpathP50Ratio}x baseline p50; target < 1000 µs)`,
    );
    return result;
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await run();
}
