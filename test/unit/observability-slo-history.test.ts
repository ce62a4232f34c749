// SLO history in a real SQLite state file: two processes' counts merge under the lock; bad records read as empty.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/engine/config.js';
import { ManualClock } from '../../src/infra/index.js';
import {
  buildSloReport,
  formatSloReport,
  MAX_PENDING_MINUTES,
  parseDayRecord,
  SLO_OWNER,
  SloHistory,
} from '../../src/observability/index.js';
import { COUNTERS } from '../../src/observability/slo-windows.js';
import { SqliteStateStore } from '../../src/state/index.js';

const MINUTE = 60_000;
const DAY = 1440 * MINUTE;
let dir: string;
let clock: ManualClock;
const stores: SqliteStateStore[] = [];

function open(): SqliteStateStore {
  const store = new SqliteStateStore({
    dir,
    maxBytes: 64 << 20,
    maxEntries: 1000,
    cacheMaxEntryBytes: 1 << 20,
    clock,
  });
  stores.push(store);
  return store;
}
const history = (store: SqliteStateStore) =>
  new SloHistory(store, { retentionDays: 30, lockTtlMs: 30_000, clock });
/** One call: eligible for all three SLIs, `bad` for availability and errors when true. */
const call = (bad: boolean) => Float64Array.from([1, bad ? 1 : 0, 1, bad ? 1 : 0, 1, 0]);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'brutalist-slo-'));
  clock = new ManualClock(20_000 * DAY + 10 * MINUTE);
});
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SLO history', () => {
  it('merges counts flushed by two processes on one state file, minute by minute', async () => {
    const a = history(open());
    const b = history(open());
    a.note(clock.now(), call(false));
    b.note(clock.now(), call(true));
    b.note(clock.now() - DAY, call(false)); // yesterday's record
    // At once: the one that finds the day locked keeps its counts for its next flush.
    await Promise.all([a.flush(), b.flush()]);
    await a.flush();
    await b.flush();
    expect(a.pendingMinutes + b.pendingMinutes).toBe(0);
    const minutes = await history(open()).load(clock.now() - 2 * DAY);
    expect(minutes.map((m) => [...m.counts])).toEqual([
      [1, 0, 1, 0, 1, 0],
      [2, 1, 2, 1, 2, 0],
    ]);
  });

  it('keeps counts for the next flush while another holder has the day locked', async () => {
    const store = open();
    const day = Math.floor(clock.now() / DAY);
    const lease = await store.acquireLock(`slo:v1:lock:${day}`, 30_000);
    const h = history(store);
    h.note(clock.now(), call(true));
    await h.flush();
    expect(h.pendingMinutes).toBe(1);
    await store.releaseLock(lease!);
    await h.flush();
    expect(h.pendingMinutes).toBe(0);
    expect((await h.load(clock.now() - DAY)).length).toBe(1);
  });

  it('holds at most a day of minutes while the store refuses them', async () => {
    const store = open();
    const h = history(store);
    await store.close();
    for (let i = 0; i < MAX_PENDING_MINUTES + 10; i++) h.note(clock.now() + i * MINUTE, call(false));
    await h.flush();
    expect(h.pendingMinutes).toBe(MAX_PENDING_MINUTES);
  });

  it('reads a record that is not its own, or not well formed, as empty', async () => {
    const store = open();
    const day = Math.floor(clock.now() / DAY);
    const put = (owner: string, text: string) =>
      store.putResult({ contextId: `slo:v1:day:${day}`, owner, text, meta: {}, createdAt: 0 }, DAY);
    await put('someone', JSON.stringify({ v: 1, minutes: { '10': [1, 1, 1, 1, 1, 1] } }));
    expect(await history(store).load(clock.now() - DAY)).toEqual([]);
    await put(SLO_OWNER, '{not json');
    expect(await history(store).load(clock.now() - DAY)).toEqual([]);
    expect(
      parseDayRecord(JSON.stringify({ v: 1, minutes: { '5': [1, 2], '2000': [1, 1, 1, 1, 1, 1], x: 1 } })),
    ).toEqual({ v: 1, minutes: {} });
    expect(parseDayRecord(JSON.stringify({ v: 2, minutes: {} }))).toBeUndefined();
    expect(COUNTERS).toBe(6);
  });

  it('keeps only the well-formed minutes of a stored day, dropping negative, infinite and non-numeric counts', () => {
    const good = [1, 0, 1, 0, 1, 0];
    expect(
      parseDayRecord(
        JSON.stringify({
          v: 1,
          minutes: {
            '0': good,
            '1': [1, -1, 1, 0, 1, 0],
            '2': [1, '1', 1, 0, 1, 0],
            '3': [1, null, 1, 0, 1, 0],
          },
        }),
      ),
    ).toEqual({ v: 1, minutes: { '0': good } });
    expect(parseDayRecord('null')).toBeUndefined();
    expect(parseDayRecord('7')).toBeUndefined();
    expect(parseDayRecord(JSON.stringify({ v: 1, minutes: null }))).toBeUndefined();
  });

  it('reports budgets, burn rates and firing pages from what servers stored', async () => {
    const store = open();
    const h = history(store);
    // An hour of steady calls, then five minutes in which half fail.
    for (let m = 70; m > 5; m--) for (let i = 0; i < 20; i++) h.note(clock.now() - m * MINUTE, call(false));
    for (let m = 5; m >= 0; m--)
      for (let i = 0; i < 20; i++) h.note(clock.now() - m * MINUTE, call(i % 2 === 0));
    await h.flush();
    const config = resolveConfig({});
    const report = await buildSloReport(config, store, clock);
    const availability = report.slos.find((s) => s.slo === 'availability')!;
    expect(availability.budgetEvents).toBe(1420);
    expect(availability.activeAlerts).toContain('page_fast');
    expect(availability.runbook).toBe('docs/operations.md#slo-availability');
    const text = formatSloReport(report);
    expect(text).toContain('| availability | 99.90 % |');
    expect(text).toMatch(/\*\*page\*\* availability page_fast: burn 1h [\d.]+ and 5m [\d.]+ > 14.4/);

    const empty = await buildSloReport(config, open(), new ManualClock(clock.now() + 40 * DAY));
    expect(empty.minutesWithData).toBe(0);
    expect(formatSloReport(empty)).toContain('No alert is firing.');
  });
});
