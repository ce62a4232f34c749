/**
 * Benchmark: reading a large change for `review` (readChange: repo root, two refs, merge base, diff, hunk map; then
 * diffForPrompt) against a bare `git diff` of the same commits, interleaved in the same process.
 */
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { diffForPrompt, readChange } from '../../src/cli/review-git.js';
import { tempRepo } from '../../test/support/review.js';
import { summary } from '../stats.js';

const FILES = Number(process.env.BENCH_REVIEW_FILES ?? 300);
const LINES = 400;
const ROUNDS = Number(process.env.BENCH_REVIEW_ROUNDS ?? 8);
const limits = { maxOutputBytes: 32 * 1024 * 1024, timeoutMs: 120_000, killGraceMs: 500 };

const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

export async function run(): Promise<Record<string, number>> {
  const repo = tempRepo('brutalist-bench-review-');
  try {
    for (let f = 0; f < FILES; f++) {
      repo.write(
        `src/m${f}.ts`,
        Array.from({ length: LINES }, (_, i) => `export const v${i} = ${i};`).join('\n'),
      );
    }
    repo.commit('base');
    repo.git('branch', 'base');
    for (let f = 0; f < FILES; f++) {
      repo.write(
        `src/m${f}.ts`,
        Array.from({ length: LINES }, (_, i) => `export const v${i} = ${i % 7 ? i : -i};`).join('\n'),
      );
    }
    repo.commit('change');
    const bare = () =>
      execFileSync('git', ['diff', 'base', 'HEAD'], { cwd: repo.dir, maxBuffer: 64 * 1024 * 1024 });
    const samples = { bare: [] as number[], readChange: [] as number[], prompt: [] as number[] };
    let diffChars = 0;
    let shown = 0;
    let omitted = 0;
    for (let r = 0; r < ROUNDS + 1; r++) {
      let t = process.hrtime.bigint();
      bare();
      const bareMs = ms(t);
      t = process.hrtime.bigint();
      const change = await readChange(repo.dir, { base: 'base', head: 'HEAD' }, limits);
      const readMs = ms(t);
      t = process.hrtime.bigint();
      const prompt = diffForPrompt(change.diff, 120_000);
      const promptMs = ms(t);
      if (r === 0) continue; // warm-up
      samples.bare.push(bareMs);
      samples.readChange.push(readMs);
      samples.prompt.push(promptMs);
      diffChars = change.diff.length;
      shown = prompt.text.length;
      omitted = prompt.omittedFiles.length;
    }
    const bareP50 = summary(samples.bare).p50;
    const readP50 = summary(samples.readChange).p50;
    const promptP50 = summary(samples.prompt).p50;
    console.log(
      `change: ${FILES} files, diff ${diffChars} chars; prompt shows ${shown} chars, ${omitted} files listed by name`,
    );
    console.log(`bare git diff            p50 ${bareP50.toFixed(1)} ms`);
    console.log(
      `readChange (5 git runs)  p50 ${readP50.toFixed(1)} ms  (${(readP50 / bareP50).toFixed(2)}x bare)`,
    );
    console.log(`diffForPrompt            p50 ${promptP50.toFixed(2)} ms`);
    return { diffChars, bareP50, readP50, promptP50 };
  } finally {
    repo.cleanup();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
