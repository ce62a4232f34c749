// Page 2 of a 4M-character stored result by cursor, through ResultPages on a SQLite store (file in a temp dir),
// next to a plain getResult of the same result in the same run: what every page cost before ADR 0028, when the
// pager read the whole text. The two loops run one after the other so the whole reads' GC does not land in page 2.
// Besides wall time it prints the CPU time per page (user + system: not inflated when other processes take the
// cores, which on a busy 2-core box decide the p99) and the garbage collections during the page loop.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { resolveConfig } from '../../src/engine/config.js';
import { ResultPages } from '../../src/engine/results.js';
import { systemClock } from '../../src/infra/index.js';
import { formatResponse } from '../../src/mcp/format.js';
import { SqliteStateStore } from '../../src/state/index.js';
import { EMPTY_ROAST_META } from '../../test/support/results.js';
import { fmt, summary } from '../stats.js';

const CALLS = Number(process.env.BENCH_PAGE_CALLS ?? 1_000);
const WHOLE_CALLS = Number(process.env.BENCH_PAGE_WHOLE_CALLS ?? 50);
const TOTAL_CHARS = 4_000_000;
const LINE = 'A critique line with code `x = f(y)` and an emoji 🔥 in it, long enough to matter.\n';
const META = EMPTY_ROAST_META;

type GcEntry = PerformanceEntry & { readonly detail?: { readonly kind?: number } };

/** Garbage collections (count, pause time, and how many were major) while `fn` runs. */
async function withGcCount<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; gcs: number; majorGcs: number; gcMs: number }> {
  const entries: GcEntry[] = [];
  const observer = new PerformanceObserver((list) => entries.push(...list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  const value = await fn();
  await new Promise((resolve) => setTimeout(resolve, 50)); // GC entries are queued, then delivered
  observer.disconnect();
  return {
    value,
    gcs: entries.length,
    majorGcs: entries.filter((e) => e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR).length,
    gcMs: entries.reduce((sum, e) => sum + e.duration, 0),
  };
}

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
    const cpu0 = process.cpuUsage();
    const gc = await withGcCount(async () => {
      for (let i = 0; i < CALLS; i++) {
        t = process.hrtime.bigint();
        await pages.pageByCursor('owner', cursor);
        page2.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
    });
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000 / CALLS;
    // The same page as the client gets it: formatted (text + footer) and serialized, as the MCP transport does.
    const served: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      t = process.hrtime.bigint();
      JSON.stringify({
        jsonrpc: '2.0',
        id: i,
        result: formatResponse('roast', await pages.pageByCursor('owner', cursor)),
      });
      served.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    for (let i = 0; i < WHOLE_CALLS; i++) {
      t = process.hrtime.bigint();
      await store.getResult(first.contextId);
      whole.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    const p = summary(page2);
    const f = summary(served);
    const w = summary(whole);
    console.log(
      `page 2 by cursor of a ${TOTAL_CHARS}-char result (SQLite store, ${CALLS} calls, pageChars ${config.pageChars})`,
    );
    console.log(`  save (putResult + page 1)   ${fmt(saveMs)}`);
    console.log(
      `  page 2 by cursor            p50 ${fmt(p.p50)}  p99 ${fmt(p.p99)}  cpu ${fmt(cpuMs)} per page` +
        ` (${((cpu.system / (cpu.user + cpu.system)) * 100).toFixed(0)}% system)`,
    );
    console.log(
      `  GCs during the page loop    ${gc.gcs}, ${gc.majorGcs} of them major (${(gc.gcs / (CALLS / 100)).toFixed(1)} per 100 pages, ${fmt(gc.gcMs)} in all)`,
    );
    console.log(
      `  page 2 formatted + JSON     p50 ${fmt(f.p50)}  p99 ${fmt(f.p99)}  (what the transport sends)`,
    );
    console.log(
      `  whole result (getResult)    p50 ${fmt(w.p50)}  p99 ${fmt(w.p99)}  (${WHOLE_CALLS} calls; page 2 p50 is ${(w.p50 / p.p50).toFixed(0)}x faster)`,
    );
    console.log('  goal: page 2 p99 <= 2 ms (issue 12)');
    return {
      saveMs,
      page2P50: p.p50,
      page2P99: p.p99,
      page2CpuMs: cpuMs,
      page2Gcs: gc.gcs,
      page2ServedP50: f.p50,
      page2ServedP99: f.p99,
      wholeP50: w.p50,
      wholeP99: w.p99,
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.filename === process.argv[1]) await run();
