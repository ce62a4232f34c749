// Page 2 of a 4M-character stored result by cursor, through ResultPages on a SQLite store (file in a temp dir),
// next to a plain getResult of the same result in the same run: what every page cost before ADR 0028, when the
// pager read the whole text. The two loops run one after the other so the whole reads' GC does not land in page 2.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../../src/engine/config.js';
import { ResultPages } from '../../src/engine/results.js';
import { systemClock } from '../../src/infra/index.js';
import { SqliteStateStore } from '../../src/state/index.js';
import { EMPTY_ROAST_META } from '../../test/support/results.js';
import { fmt, summary } from '../stats.js';

const CALLS = Number(process.env.BENCH_PAGE_CALLS ?? 300);
const TOTAL_CHARS = 4_000_000;
const LINE = 'A critique line with code `x = f(y)` and an emoji 🔥 in it, long enough to matter.\n';
const META = EMPTY_ROAST_META;

export async function run(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'brutalist-bench-page-'));
  const store = new SqliteStateStore({
    dir,
    maxBytes: 512 * 2 ** 20,
    maxEntries: 100_000,
    cacheMaxEntryBytes: 4 * 2 ** 20,
  });
  try {
    const config = resolveConfig({ overrides: { cursorSecret: 'bench-cursor-secret-0123456789abcdef' } });
    const pages = new ResultPages(store, config, systemClock);
    const text = LINE.repeat(Math.ceil(TOTAL_CHARS / LINE.length)).slice(0, TOTAL_CHARS);
    let t = process.hrtime.bigint();
    const first = await pages.save('owner', text, META);
    const saveMs = Number(process.hrtime.bigint() - t) / 1e6;
    const cursor = first.page.nextCursor;
    if (!cursor) throw new Error('no cursor on page 1');
    const page2: number[] = [];
    const whole: number[] = [];
    for (let i = 0; i < 20; i++) await pages.pageByCursor('owner', cursor);
    for (let i = 0; i < CALLS; i++) {
      t = process.hrtime.bigint();
      await pages.pageByCursor('owner', cursor);
      page2.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    for (let i = 0; i < CALLS; i++) {
      t = process.hrtime.bigint();
      await store.getResult(first.contextId);
      whole.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    const p = summary(page2);
    const w = summary(whole);
    console.log(
      `page 2 by cursor of a ${TOTAL_CHARS}-char result (SQLite store, ${CALLS} calls, pageChars ${config.pageChars})`,
    );
    console.log(`  save (putResult + page 1)   ${fmt(saveMs)}`);
    console.log(`  page 2 by cursor            p50 ${fmt(p.p50)}  p99 ${fmt(p.p99)}`);
    console.log(
      `  whole result (getResult)    p50 ${fmt(w.p50)}  p99 ${fmt(w.p99)}  (page 2 p99 is ${(w.p99 / p.p99).toFixed(1)}x faster)`,
    );
    console.log('  goal: page 2 p99 <= 2 ms (issue 12)');
    return { saveMs, page2P50: p.p50, page2P99: p.p99, wholeP50: w.p50, wholeP99: w.p99 };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.filename === process.argv[1]) await run();
