/**
 * Benchmark: one walk of a ~2,000-file tree giving the cache fingerprint and the findings snapshot (surveyTarget,
 * what a directory roast does now) against two separate walks (batched lstats) and against the baseline: two walks
 * with one lstat awaited at a time, as before ADR 0046 (a copy of that walk, below). Interleaved in rounds, in CPU
 * time of this process (user+sys, libuv's pool included), which a loaded machine does not distort like wall time.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { fingerprintTarget, surveyTarget } from '../../src/engine/fingerprint.js';
import { takeSnapshot } from '../../src/findings/index.js';
import { SKIPPED_DIRS } from '../../src/infra/index.js';

const DIRS = 40;
const FILES_PER_DIR = 50;
const ROUNDS = Number(process.env.BENCH_SURVEY_ROUNDS ?? 10);
const PER_ROUND = 5;
const MAX_FILES = 20_000;

function makeTree(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'brutalist-bench-survey-'));
  for (let d = 0; d < DIRS; d++) {
    const dir = path.join(root, `pkg${d % 8}`, `dir${d}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < FILES_PER_DIR; f++)
      writeFileSync(path.join(dir, `f${f}.ts`), `export const x = ${f};\n`);
  }
  mkdirSync(path.join(root, '.git'));
  writeFileSync(path.join(root, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  return root;
}

/** The walk before ADR 0046 (one lstat awaited at a time); the stats go to `onFile` as they did then. */
async function sequentialWalk(root: string, links: boolean, onFile: (rel: string, size: number) => void) {
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name === '.git')
          for (const m of ['HEAD', 'index']) await lstat(path.join(full, m)).catch(() => 0);
        if (!SKIPPED_DIRS.has(entry.name)) stack.push(full);
        continue;
      }
      if (!entry.isFile() && !(links && entry.isSymbolicLink())) continue;
      const st = await lstat(full).catch(() => undefined);
      onFile(path.relative(root, full), st?.size ?? -1);
    }
  }
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export async function run(): Promise<Record<string, number>> {
  const root = makeTree();
  try {
    const sides = [
      {
        name: 'baseline: two sequential walks (before)',
        once: async () => {
          const lines: string[] = [];
          await sequentialWalk(root, true, (rel, size) => lines.push(`${rel}\0${size}`));
          lines.sort();
          const files = new Map<string, number>();
          await sequentialWalk(root, false, (rel, size) => files.set(rel, size));
        },
        cpu: 0,
        wall: 0,
        n: 0,
      },
      {
        name: 'two batched walks (fingerprint, snapshot)',
        once: async () => {
          await fingerprintTarget(root, MAX_FILES);
          await takeSnapshot(root, MAX_FILES);
        },
        cpu: 0,
        wall: 0,
        n: 0,
      },
      {
        name: 'fingerprint alone, batched (no snapshot)',
        once: () => fingerprintTarget(root, MAX_FILES),
        cpu: 0,
        wall: 0,
        n: 0,
      },
      {
        name: 'one walk (surveyTarget, now)',
        once: () => surveyTarget(root, { fingerprintMaxFiles: MAX_FILES, snapshotMaxFiles: MAX_FILES }),
        cpu: 0,
        wall: 0,
        n: 0,
      },
    ];
    for (const s of sides) await s.once(); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      for (const s of sides) {
        const cpu = cpuMs();
        const wall = performance.now();
        for (let i = 0; i < PER_ROUND; i++) await s.once();
        s.wall += performance.now() - wall;
        s.cpu += cpuMs() - cpu;
        s.n += PER_ROUND;
      }
    }
    const [seq, two, , one] = sides as [(typeof sides)[0], (typeof sides)[0], unknown, (typeof sides)[0]];
    const r = (n: number) => Math.round(n * 100) / 100;
    const result = {
      files: DIRS * FILES_PER_DIR,
      sequentialCpuMs: r(seq.cpu / seq.n),
      twoWalksCpuMs: r(two.cpu / two.n),
      oneWalkCpuMs: r(one.cpu / one.n),
      cpuRatio: r(one.cpu / seq.cpu),
      wallRatio: r(one.wall / seq.wall),
    };
    console.log(
      `survey: a tree of ${result.files} files, ${ROUNDS}×${PER_ROUND} walks per side, interleaved`,
    );
    for (const s of sides) {
      console.log(
        `  ${s.name.padEnd(42)} CPU ${r(s.cpu / s.n)} ms/roast (${r(s.cpu / seq.cpu)}x baseline; wall ${r(s.wall / seq.wall)}x)`,
      );
    }
    return result;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await run();
}
