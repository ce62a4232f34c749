/** MemoryStateStore: the shared StateStore contract plus LRU, byte accounting and bounded-sweep behaviour. */
import { describe, expect, it } from 'vitest';
import { isBrutalistError } from '../../src/errors/index.js';
import { ManualClock } from '../../src/infra/index.js';
import {
  type CacheEntry,
  DEFAULT_SWEEP_BATCH_SIZE,
  ENTRY_OVERHEAD_BYTES,
  MemoryStateStore,
  type MemoryStateStoreOptions,
  type SessionData,
  type StoredResult,
} from '../../src/state/index.js';
import { backendStoreContract, CONTRACT_LIMITS, stateStoreContract } from './state-contract.js';

const memoryStore = async (clock: ManualClock) => new MemoryStateStore({ ...CONTRACT_LIMITS, clock });
stateStoreContract('MemoryStateStore', memoryStore);
backendStoreContract('MemoryStateStore', memoryStore);

const MINUTE = 60_000;
const KIB = 1024;

function storeWith(options: Partial<MemoryStateStoreOptions> = {}): {
  store: MemoryStateStore;
  clock: ManualClock;
} {
  const clock = new ManualClock();
  const store = new MemoryStateStore({
    maxBytes: 1024 * KIB,
    maxEntries: 1_000,
    cacheMaxEntryBytes: 64 * KIB,
    clock,
    ...options,
  });
  return { store, clock };
}

const session = (owner = 'alice'): SessionData => ({ owner, createdAt: 0, lastSeenAt: 0 });
const result = (contextId: string, text: string): StoredResult => ({
  contextId,
  owner: 'alice',
  text,
  meta: {},
  createdAt: 0,
});

function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (isBrutalistError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a throw');
}

async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    if (isBrutalistError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('MemoryStateStore options', () => {
  it('rejects a bound that is not a positive integer, naming the option, value and type', () => {
    expect(errorOf(() => storeWith({ maxBytes: 0 }))).toEqual({
      code: 'CONFIG_INVALID',
      message: 'maxBytes must be an integer >= 1, got 0 (number)',
    });
    expect(errorOf(() => storeWith({ maxEntries: 1.5 })).message).toContain('maxEntries');
    expect(errorOf(() => storeWith({ sweepBatchSize: -1 })).message).toContain('sweepBatchSize');
  });
});

describe('MemoryStateStore LRU eviction', () => {
  it('evicts the least recently used entry when maxEntries is reached, counting reads as use', async () => {
    const { store } = storeWith({ maxEntries: 3 });
    await store.setSession('a', session('a'), MINUTE);
    await store.setSession('b', session('b'), MINUTE);
    await store.setSession('c', session('c'), MINUTE);
    await store.getSession('a');
    await store.setSession('d', session('d'), MINUTE);
    expect(await store.getSession('b')).toBeNull();
    expect(await store.getSession('a')).not.toBeNull();
    expect(store.statsNow()).toMatchObject({ entries: 3, evictions: 1 });
  });

  it('evicts across namespaces from one shared budget', async () => {
    const { store } = storeWith({ maxEntries: 2 });
    await store.setCache('k', { text: 'cached', meta: {}, storedAt: 0 }, MINUTE);
    await store.setSession('s', session(), MINUTE);
    await store.putResult(result('r', 'text'), MINUTE);
    expect(await store.getCache('k')).toBeNull();
    expect(store.statsNow().evictions).toBe(1);
  });

  it('evicts least recently used entries until the new entry fits within maxBytes', async () => {
    const { store } = storeWith({ maxBytes: 40 * KIB });
    for (const id of ['a', 'b', 'c']) await store.putResult(result(id, 'x'.repeat(6 * KIB)), MINUTE);
    await store.getResult('a');
    // 12 KiB per result: a fourth one needs the space of one older entry, the least recently used (b).
    await store.putResult(result('d', 'x'.repeat(6 * KIB)), MINUTE);
    expect(await store.getResult('b')).toBeNull();
    expect(await store.getResult('a')).not.toBeNull();
    expect(store.statsNow().evictions).toBe(1);
    expect(store.statsNow().bytes).toBeLessThanOrEqual(40 * KIB);
  });

  it('does not count replacing a key as an eviction', async () => {
    const { store } = storeWith({ maxEntries: 1 });
    await store.setSession('s', session('a'), MINUTE);
    await store.setSession('s', session('b'), MINUTE);
    expect(store.statsNow()).toMatchObject({ entries: 1, evictions: 0 });
  });

  it('evicts everything else to store a result that needs the whole budget', async () => {
    const big = result('big', 'x'.repeat(31 * KIB));
    const probe = storeWith().store;
    await probe.putResult(big, MINUTE);
    const { store } = storeWith({ maxBytes: probe.statsNow().bytes });
    for (let i = 0; i < 10; i++) await store.setSession(`s${i}`, session(), MINUTE);
    await store.putResult(big, MINUTE);
    expect(store.statsNow()).toMatchObject({ entries: 1, evictions: 10 });
  });

  it('throws STATE_VALUE_TOO_LARGE (not retryable) for a result larger than maxBytes and keeps what it held', async () => {
    const { store } = storeWith({ maxBytes: 64 * KIB });
    await store.putResult(result('r', 'old'), MINUTE);
    const err = await rejection(store.putResult(result('r', 'x'.repeat(32 * KIB)), MINUTE));
    expect(err).toEqual({
      code: 'STATE_VALUE_TOO_LARGE',
      message: 'The result is too large to store for paging.',
    });
    expect((await store.getResult('r'))?.text).toBe('old');
    expect(store.statsNow().evictions).toBe(0);
  });

  it('refuses a cache entry over cacheMaxEntryBytes without evicting anything', async () => {
    const { store } = storeWith({ maxEntries: 2, cacheMaxEntryBytes: 4 * KIB });
    await store.setSession('a', session(), MINUTE);
    await store.setSession('b', session(), MINUTE);
    expect(await store.setCache('k', { text: 'x'.repeat(2 * KIB), meta: {}, storedAt: 0 }, MINUTE)).toBe(
      false,
    );
    expect(store.statsNow()).toMatchObject({ entries: 2, evictions: 0 });
  });

  it('keeps bytes within maxBytes and entries within maxEntries over 100k inserts', async () => {
    const maxBytes = 256 * KIB;
    const { store } = storeWith({ maxBytes, maxEntries: 5_000 });
    let maxSeen = 0;
    for (let i = 0; i < 100_000; i++) {
      const text = 'y'.repeat((i * 7919) % 2_000);
      if (i % 3 === 0) await store.setCache(`k${i}`, { text, meta: { i }, storedAt: 0 }, MINUTE);
      else await store.putResult(result(`r${i % 20_000}`, text), MINUTE);
      maxSeen = Math.max(maxSeen, store.statsNow().bytes);
      expect(store.statsNow().entries).toBeLessThanOrEqual(5_000);
    }
    expect(maxSeen).toBeLessThanOrEqual(maxBytes);
    expect(store.statsNow().evictions).toBeGreaterThan(0);
  });
});

describe('MemoryStateStore byte estimate', () => {
  it('counts two bytes per UTF-16 character of stored text', async () => {
    const { store } = storeWith();
    await store.putResult(result('r', 'x'.repeat(1_000)), MINUTE);
    const before = store.statsNow().bytes;
    await store.putResult(result('r', 'x'.repeat(3_000)), MINUTE);
    expect(store.statsNow().bytes - before).toBe(2 * 2_000);
  });

  it('adds a fixed per-entry overhead so empty values still cost memory', async () => {
    const { store } = storeWith();
    await store.setSession('s', session(), MINUTE);
    expect(store.statsNow().bytes).toBeGreaterThan(ENTRY_OVERHEAD_BYTES);
  });

  it('returns to zero bytes and entries once everything has expired and been swept', async () => {
    const { store, clock } = storeWith();
    for (let i = 0; i < 50; i++) await store.putResult(result(`r${i}`, 'z'.repeat(i * 10)), MINUTE);
    clock.advance(MINUTE);
    expect(await store.cleanupExpired()).toBe(50);
    expect(store.statsNow()).toMatchObject({ entries: 0, bytes: 0 });
  });
});

describe('MemoryStateStore expiry sweep', () => {
  it('examines at most 10,000 entries per call by default and continues where it stopped', async () => {
    expect(DEFAULT_SWEEP_BATCH_SIZE).toBe(10_000);
    const { store, clock } = storeWith({ maxEntries: 30_000, maxBytes: 64 * 1024 * KIB });
    for (let i = 0; i < 25_000; i++) await store.setSession(`s${i}`, session(), MINUTE);
    clock.advance(MINUTE);
    expect(await store.cleanupExpired()).toBe(10_000);
    expect(await store.cleanupExpired()).toBe(10_000);
    expect(await store.cleanupExpired()).toBe(5_000);
    expect(store.statsNow().entries).toBe(0);
  });

  it('counts live entries it examines against the batch, so each call does bounded work', async () => {
    const { store, clock } = storeWith({ sweepBatchSize: 10 });
    for (let i = 0; i < 10; i++) await store.setSession(`live${i}`, session(), 10 * MINUTE);
    for (let i = 0; i < 5; i++) await store.setSession(`old${i}`, session(), MINUTE);
    clock.advance(MINUTE);
    expect(await store.cleanupExpired()).toBe(0);
    expect(await store.cleanupExpired()).toBe(5);
    expect(store.statsNow().entries).toBe(10);
  });

  it('starts a new pass from the least recently used end after reaching the newest entry', async () => {
    const { store, clock } = storeWith({ sweepBatchSize: 4 });
    for (let i = 0; i < 6; i++) await store.setSession(`s${i}`, session(), MINUTE);
    expect(await store.cleanupExpired()).toBe(0);
    expect(await store.cleanupExpired()).toBe(0); // reaches the end of the first pass
    clock.advance(MINUTE);
    expect(await store.cleanupExpired()).toBe(4);
    expect(await store.cleanupExpired()).toBe(2);
  });

  it('keeps its place when the entry it stopped at is read or removed in between', async () => {
    const { store, clock } = storeWith({ sweepBatchSize: 2 });
    for (let i = 0; i < 6; i++) await store.setSession(`s${i}`, session(), i < 3 ? 10 * MINUTE : MINUTE);
    expect(await store.cleanupExpired()).toBe(0); // examined s0, s1; resumes at s2
    await store.getSession('s2'); // s2 moves to the newest end
    clock.advance(MINUTE);
    expect(await store.cleanupExpired()).toBe(2); // s3, s4
    expect(await store.cleanupExpired()).toBe(1); // s5, then s2 (live)
    expect(store.statsNow().entries).toBe(3);
  });

  it('removes an expired entry on read without waiting for a sweep', async () => {
    const { store, clock } = storeWith();
    await store.setSession('s', session(), MINUTE);
    clock.advance(MINUTE);
    expect(await store.getSession('s')).toBeNull();
    expect(store.statsNow()).toMatchObject({ entries: 0, bytes: 0 });
  });
});

describe('MemoryStateStore values', () => {
  it('returns deep-frozen values so writes through them throw', async () => {
    const { store } = storeWith();
    await store.putResult({ ...result('r', 't'), meta: { list: [{ a: 1 }] } }, MINUTE);
    const got = (await store.getResult('r')) as StoredResult & { meta: { list: Array<{ a: number }> } };
    expect(Object.isFrozen(got) && Object.isFrozen(got.meta) && Object.isFrozen(got.meta.list[0])).toBe(true);
    expect(() => {
      got.meta.list[0]!.a = 2;
    }).toThrow(TypeError);
  });

  it('refuses metadata that is not JSON data with INVALID_ARGUMENT', async () => {
    const { store } = storeWith();
    const bad = { ...result('r', 't'), meta: { when: new Date(0) } };
    expect((await rejection(store.putResult(bad, MINUTE))).code).toBe('INVALID_ARGUMENT');
    expect(store.statsNow().entries).toBe(0);
  });

  it('rejects an empty key and a bad maxTurns with INVALID_ARGUMENT', async () => {
    const { store } = storeWith();
    expect((await rejection(store.getSession(''))).code).toBe('INVALID_ARGUMENT');
    const conv = { contextId: 'c', owner: 'o', tool: 't', critics: [], turns: [] };
    expect((await rejection(store.putConversation(conv, MINUTE, 0))).code).toBe('INVALID_ARGUMENT');
  });

  it('makes stats throw STATE_UNAVAILABLE after close', async () => {
    const { store } = storeWith();
    await store.close();
    expect(errorOf(() => store.statsNow()).code).toBe('STATE_UNAVAILABLE');
  });
});

describe('MemoryStateStore side maps (locks, fences, counters)', () => {
  it('refuses a new lock while maxEntries live locks are held, and grants it once one has expired', async () => {
    const { store, clock } = storeWith({ maxEntries: 2 });
    expect(await store.acquireLock('a', MINUTE)).not.toBeNull();
    expect(await store.acquireLock('b', 2 * MINUTE)).not.toBeNull();
    expect(await store.acquireLock('c', MINUTE)).toBeNull();
    clock.advance(MINUTE);
    expect(await store.acquireLock('c', MINUTE)).not.toBeNull();
    expect(await store.acquireLock('b', MINUTE)).toBeNull();
  });

  it('keeps at most maxEntries counters, dropping the oldest live one for a new key', async () => {
    const { store } = storeWith({ maxEntries: 2 });
    await store.incrementCounter('rate:a', MINUTE, 5);
    await store.incrementCounter('rate:b', MINUTE, 5);
    await store.incrementCounter('rate:c', MINUTE, 5);
    // rate:a was dropped to make room: it starts again from its step.
    expect(await store.incrementCounter('rate:a', MINUTE)).toBe(1);
    expect(await store.incrementCounter('rate:c', MINUTE)).toBe(6);
  });

  it('still extends a lease whose fence record was dropped to make room for newer ones', async () => {
    const { store, clock } = storeWith({ maxEntries: 2 });
    const a = (await store.acquireLock('a', MINUTE))!;
    const b = (await store.acquireLock('b', MINUTE))!;
    await store.releaseLock(b);
    await store.acquireLock('c', MINUTE);
    clock.advance(MINUTE / 2);
    const extended = await store.extendLock(a, MINUTE);
    expect(extended).toMatchObject({ key: 'a', fence: a.fence, expiresAt: clock.now() + MINUTE });
  });

  it('refuses a cache entry whose key alone outweighs cacheMaxEntryBytes', async () => {
    const { store } = storeWith({ cacheMaxEntryBytes: 64 });
    const entry: CacheEntry = { text: 'x', meta: {}, storedAt: 0 };
    expect(await store.setCache('k', entry, MINUTE)).toBe(false);
    expect(store.statsNow().entries).toBe(0);
  });
});
