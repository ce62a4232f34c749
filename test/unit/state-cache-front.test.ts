/** CacheFront: the contract over memory and SQLite (with compression on), plus LRU bytes, compression and hit counts. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/infra/index.js';
import { type CacheEntry, CacheFront, MemoryStateStore, SqliteStateStore } from '../../src/state/index.js';
import { CONTRACT_LIMITS, stateStoreContract } from './state-contract.js';

const root = mkdtempSync(join(tmpdir(), 'brutalist-front-'));
let n = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

const HOUR = 3_600_000;
const front = (inner: MemoryStateStore | SqliteStateStore, clock: ManualClock, maxBytes = 1 << 20) =>
  new CacheFront(inner, {
    maxBytes,
    compressMinBytes: 64,
    maxAgeMs: HOUR,
    maxEntryBytes: CONTRACT_LIMITS.cacheMaxEntryBytes,
    clock,
  });

stateStoreContract('CacheFront over MemoryStateStore', async (clock) =>
  front(new MemoryStateStore({ ...CONTRACT_LIMITS, clock }), clock),
);
stateStoreContract('CacheFront over SqliteStateStore', async (clock) =>
  front(new SqliteStateStore({ ...CONTRACT_LIMITS, dir: join(root, `c${n++}`), clock }), clock),
);

const entry = (text: string, clock: ManualClock): CacheEntry => ({
  text,
  meta: { critics: [{ critic: 'claude', ok: true }] },
  storedAt: clock.now(),
});

describe('CacheFront', () => {
  it('answers a repeat from the front without asking the store', async () => {
    const clock = new ManualClock();
    const inner = new MemoryStateStore({ ...CONTRACT_LIMITS, clock });
    const store = front(inner, clock);
    await store.setCache('k', entry('critique', clock), HOUR);
    await store.getCache('k');
    await store.getCache('k');
    expect((await inner.stats()).cacheHits).toBe(0);
    expect(await store.stats()).toMatchObject({
      cacheHits: 2,
      cacheMisses: 0,
      cacheFront: { hits: 2, entries: 1 },
    });
    await store.close();
  });

  it('stores large entries compressed and gives them back whole, also to a fresh front on the same store', async () => {
    const clock = new ManualClock();
    const dir = join(root, `c${n++}`);
    const inner = new SqliteStateStore({ ...CONTRACT_LIMITS, dir, clock });
    const store = front(inner, clock);
    const text = 'The same complaint, line after line.\n'.repeat(300);
    await store.setCache('k', entry(text, clock), HOUR);
    const raw = await inner.getCache('k');
    expect(raw?.text).toBe('');
    expect(raw?.meta.brutalistCompressed).toBe('gzip');
    expect(JSON.stringify(raw).length).toBeLessThan(text.length / 10);
    const other = front(new SqliteStateStore({ ...CONTRACT_LIMITS, dir, clock }), clock);
    expect(await other.getCache('k')).toEqual(entry(text, clock));
    expect((await store.stats()).cacheFront?.compressedWrites).toBe(1);
    await store.close();
    await other.close();
  });

  it('refuses entries over maxEntryBytes measured before compression', async () => {
    const clock = new ManualClock();
    const store = front(new MemoryStateStore({ ...CONTRACT_LIMITS, clock }), clock);
    const big = 'y'.repeat(CONTRACT_LIMITS.cacheMaxEntryBytes);
    expect(await store.setCache('k', entry(big, clock), HOUR)).toBe(false);
    expect(await store.getCache('k')).toBeNull();
    await store.close();
  });

  it('keeps the front within maxBytes, evicting the least recently used', async () => {
    const clock = new ManualClock();
    const store = front(new MemoryStateStore({ ...CONTRACT_LIMITS, clock }), clock, 8_000);
    for (let i = 0; i < 20; i++) await store.setCache(`k${i}`, entry('z'.repeat(1_000), clock), HOUR);
    const stats = (await store.stats()).cacheFront!;
    expect(stats.bytes).toBeLessThanOrEqual(8_000);
    expect(stats.entries).toBeGreaterThan(0);
    expect(stats.entries).toBeLessThan(20);
    // Evicted from the front, still in the store.
    expect((await store.getCache('k0'))?.text).toBe('z'.repeat(1_000));
    await store.close();
  });

  it('treats an entry that does not decompress as a miss', async () => {
    const clock = new ManualClock();
    const inner = new MemoryStateStore({ ...CONTRACT_LIMITS, clock });
    const store = front(inner, clock, 0);
    await inner.setCache(
      'k',
      { text: '', meta: { brutalistCompressed: 'gzip', data: 'bm90IGd6aXA=' }, storedAt: 0 },
      HOUR,
    );
    expect(await store.getCache('k')).toBeNull();
    expect((await store.stats()).cacheMisses).toBe(1);
    await store.close();
  });
});
