/**
 * Benchmark: what findings add to a roast of this repository, against baselines in the same process: the run-start
 * snapshot against the cache fingerprint walk every roast already does, and quote checks + merge of 4 critics × 50
 * findings against reading the same files.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { fingerprintTarget } from '../../src/engine/fingerprint.js';
import { checkFindings, FINDINGS_FENCE, parseFindings, takeSnapshot } from '../../src/findings/index.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const ROUNDS = 10;
const CRITICS = ['claude', 'codex', 'gemini', 'agy'];
const OPTIONS = {
  maxFileBytes: 1024 * 1024,
  maxFilesChecked: 100,
  nearLines: 3,
  maxPathChars: 4096,
  maxPathComponentChars: 255,
};

async function time(fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm-up
  const start = performance.now();
  for (let i = 0; i < ROUNDS; i++) await fn();
  return (performance.now() - start) / ROUNDS;
}

/** 50 findings per critic quoting real lines of src/ (every 7th one hallucinated), as a findings block. */
function answers(): { critic: string; text: string }[] {
  const files = readdirSync(path.join(ROOT, 'src/engine')).map((f) => `src/engine/${f}`);
  return CRITICS.map((critic, c) => {
    const entries = Array.from({ length: 50 }, (_, i) => {
      const file = files[(i + c) % files.length]!;
      const lines = readFileSync(path.join(ROOT, file), 'utf8').split('\n');
      const line = ((i * 13 + c) % Math.max(1, lines.length - 1)) + 1;
      const quote = i % 7 === 0 ? 'this text is not in the file' : lines[line - 1]!.trim() || 'x';
      return {
        severity: 'medium',
        category: 'design',
        title: `Finding ${i} in ${file}`,
        file,
        line,
        quote,
        why: 'w',
      };
    });
    return { critic, text: `Prose.\n\n\`\`\`${FINDINGS_FENCE}\n${JSON.stringify(entries)}\n\`\`\`\n` };
  });
}

export async function run(): Promise<Record<string, number>> {
  const fingerprintMs = await time(() => fingerprintTarget(ROOT, 20_000));
  const snapshot = await takeSnapshot(ROOT, 20_000);
  const snapshotMs = await time(() => takeSnapshot(ROOT, 20_000));
  const raw = answers();
  const parseMs = await time(async () => raw.map((a) => parseFindings(a.text, 50)));
  const blocks = raw.map((a) => ({ critic: a.critic, block: parseFindings(a.text, 50).block }));
  const files = [...new Set(blocks.flatMap((b) => b.block!.entries.map((e) => e.file!)))];
  const readMs = await time(() => Promise.all(files.map((f) => readFile(path.join(ROOT, f), 'utf8'))));
  let report: Awaited<ReturnType<typeof checkFindings>> | undefined;
  const checkMs = await time(async () => {
    report = await checkFindings(blocks, CRITICS, { cwd: ROOT }, snapshot, OPTIONS);
  });
  const r = (n: number) => Math.round(n * 100) / 100;
  const result = {
    snapshotFiles: snapshot.files.size,
    fingerprintMs: r(fingerprintMs),
    snapshotMs: r(snapshotMs),
    snapshotOverFingerprint: r(snapshotMs / fingerprintMs),
    parseMs: r(parseMs),
    readFilesMs: r(readMs),
    checkAndMergeMs: r(checkMs),
    checkOverRead: r(checkMs / readMs),
    merged: report?.findings.length ?? 0,
    unverified: report?.summary.unverified ?? 0,
  };
  console.log(`findings: this repository (${result.snapshotFiles} files), ${ROUNDS} rounds each`);
  console.log(`  fingerprint walk (baseline)  ${result.fingerprintMs} ms`);
  console.log(
    `  run-start snapshot           ${result.snapshotMs} ms (${result.snapshotOverFingerprint}x baseline)`,
  );
  console.log(`  parse 4 blocks × 50          ${result.parseMs} ms`);
  console.log(`  read the ${files.length} cited files (baseline) ${result.readFilesMs} ms`);
  console.log(
    `  check 200 quotes + merge     ${result.checkAndMergeMs} ms (${result.checkOverRead}x baseline; ${result.merged} merged, ${result.unverified} unverified)`,
  );
  return result;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await run();
}
