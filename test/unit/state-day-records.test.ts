// One JSON record per UTC day under the store's lock (SLO history, usage ledger): merge, foreign owners, the lock,
// retention.
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/infra/index.js';
import { DAY_MS, DayRecords, MemoryStateStore, parseDayEntries } from '../../src/state/index.js';

interface Tally {
  v: 1;
  n: number;
}
const parse = (text: string): Tally | undefined => {
  const value = JSON.parse(text) as Partial<Tally>;
  return value.v === 1 && typeof value.n === 'number' ? { v: 1, n: value.n } : undefined;
};

const stores: MemoryStateStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

function setup(owner = '<tally>') {
  const clock = new ManualClock(10 * DAY_MS);
  const store = new MemoryStateStore({ maxBytes: 1 << 20, maxEntries: 100, cacheMaxEntryBytes: 1 << 16 });
  stores.push(store);
  const days = new DayRecords<Tally>(store, {
    prefix: 'tally:v1:',
    owner,
    maxChars: 10_000,
    retentionDays: 2,
    lockTtlMs: 1_000,
    lockAttempts: 1,
    lockPollMs: 0,
    parse,
    empty: () => ({ v: 1, n: 0 }),
    clock,
  });
  return { clock, store, days };
}

describe('day records', () => {
  it('merges into the stored record, one day apart from the next', async () => {
    const { days } = setup();
    expect(await days.merge(10, (r) => (r.n += 2))).toBe(true);
    expect(await days.merge(10, (r) => (r.n += 3))).toBe(true);
    expect(await days.read(10)).toEqual({ v: 1, n: 5 });
    expect(await days.read(9)).toEqual({ v: 1, n: 0 });
  });

  it('writes nothing while the day is locked elsewhere, and says so', async () => {
    const { store, days } = setup();
    const lease = await store.acquireLock('tally:v1:lock:10', 60_000);
    expect(lease).toBeTruthy();
    expect(await days.merge(10, (r) => (r.n += 1))).toBe(false);
    expect(await days.read(10)).toEqual({ v: 1, n: 0 });
  });

  it('reads a record of another owner, or one that does not parse, as empty', async () => {
    const { store, days } = setup();
    await store.putResult(
      { contextId: 'tally:v1:day:10', owner: 'alice', text: '{"v":1,"n":7}', meta: {}, createdAt: 0 },
      60_000,
    );
    expect(await days.read(10)).toEqual({ v: 1, n: 0 });
    await store.putResult(
      { contextId: 'tally:v1:day:10', owner: '<tally>', text: '{"v":2}', meta: {}, createdAt: 0 },
      60_000,
    );
    expect(await days.read(10)).toEqual({ v: 1, n: 0 });
  });

  it('stores nothing for a day past its retention', async () => {
    const { days } = setup();
    expect(await days.merge(7, (r) => (r.n += 1))).toBe(true);
    expect(await days.read(7)).toEqual({ v: 1, n: 0 });
  });
});

describe('parseDayEntries', () => {
  const positive = (value: unknown) => (typeof value === 'number' && value > 0 ? value : undefined);

  it('keeps the entries under the field that read, and drops the others', () => {
    const text = JSON.stringify({ v: 1, counts: { a: 2, b: -1, c: 'x', d: 5 }, other: { e: 1 } });
    expect(parseDayEntries(text, 'counts', positive)).toEqual({ a: 2, d: 5 });
  });

  it('hands each entry its key', () => {
    const text = JSON.stringify({ v: 1, counts: { a: 1, bb: 1 } });
    expect(parseDayEntries(text, 'counts', (_value, key) => key.length)).toEqual({ a: 1, bb: 2 });
  });

  it('is undefined for text that is not a version-1 record with an object under the field', () => {
    for (const text of [
      'not json',
      'null',
      '7',
      '{"v":2,"counts":{}}',
      '{"counts":{}}',
      '{"v":1}',
      '{"v":1,"counts":null}',
    ]) {
      expect(parseDayEntries(text, 'counts', positive)).toBeUndefined();
    }
  });
});
