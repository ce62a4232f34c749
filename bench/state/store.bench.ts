// StateStore get/set latency: memory vs SQLite (file in a temp dir) vs Redis (loopback, unique prefix),
// the same sequence of operations on each. Prints p50/p99 and the ratio to the memory store (the baseline).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newToken } from '../../src/infra/index.js';
import {
  type BackendStateStore,
  MemoryStateStore,
  RedisStateStore,
  SqliteStateStore,
} from '../../src/state/index.js';
import { fmt, summary } from '../stats.js';

const OPS = Number(process.env.BENCH_STATE_OPS ?? 2_000);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const TEXT = 'A critique paragraph with some code `x = f(y)` in it.\n'.repeat(200); // ~11 KB
const limits = { maxBytes: 512 * 2 ** 20, maxEntries: 100_000, cacheMaxEntryBytes: 4 * 2 ** 20 };

async function measure(store: BackendStateStore): Promise<{ set: number[]; get: number[] }> {
  const set: number[] = [];
  const get: number[] = [];
  for (let i = 0; i < 100; i++) {
    await store.putResult({ contextId: `warm-${i}`, owner: 'o', text: TEXT, meta: {}, createdAt: 0 }, 60_000);
    await store.getResult(`warm-${i}`);
  }
  for (let i = 0; i < OPS; i++) {
    const id = `ctx-${i}`;
    let t = process.hrtime.bigint();
    await store.putResult({ contextId: id, owner: 'o', text: TEXT, meta: { i }, createdAt: 0 }, 60_000);
    set.push(Number(process.hrtime.bigint() - t) / 1e6);
    t = process.hrtime.bigint();
    await store.getResult(`ctx-${Math.floor(Math.random() * (i + 1))}`);
    get.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return { set, get };
}

export async function run(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'brutalist-bench-state-'));
  const prefix = `brutalist-bench:${newToken()}:`;
  const stores: Array<[string, () => BackendStateStore]> = [
    ['memory', () => new MemoryStateStore(limits)],
    ['sqlite', () => new SqliteStateStore({ ...limits, dir })],
    [
      'redis',
      () =>
        new RedisStateStore({
          url: REDIS_URL,
          keyPrefix: prefix,
          commandTimeoutMs: 5_000,
          cacheMaxEntryBytes: limits.cacheMaxEntryBytes,
        }),
    ],
  ];
  const out: Record<string, number> = {};
  let base: { set: number; get: number } | undefined;
  console.log(`state stores: ${OPS} putResult + ${OPS} getResult of an ~11 KB result each`);
  for (const [name, make] of stores) {
    const store = make();
    try {
      const { set, get } = await measure(store);
      const s = summary(set);
      const g = summary(get);
      base ??= { set: s.p99, get: g.p99 };
      console.log(
        `  ${name.padEnd(6)} set p50 ${fmt(s.p50)} p99 ${fmt(s.p99)} (${(s.p99 / base.set).toFixed(1)}x memory)` +
          `   get p50 ${fmt(g.p50)} p99 ${fmt(g.p99)} (${(g.p99 / base.get).toFixed(1)}x memory)`,
      );
      Object.assign(out, {
        [`${name}SetP50`]: s.p50,
        [`${name}SetP99`]: s.p99,
        [`${name}GetP50`]: g.p50,
        [`${name}GetP99`]: g.p99,
      });
    } finally {
      await store.close();
    }
  }
  console.log('  goals: SQLite p99 <= 2 ms, Redis p99 <= 5 ms (issue 7); 10 ms (seed)');
  Object.assign(out, await touchCost(join(dir, 'touch')));
  rmSync(dir, { recursive: true, force: true });
  await cleanupPrefix(prefix);
  return out;
}

const TOUCH_ROUNDS = Number(process.env.BENCH_STATE_TOUCH_ROUNDS ?? 100);

/**
 * A SQLite read's LRU mark is written with the next write: the cost of that write after reading a ~4 MB cache
 * entry, next to the same write after reading a small one (the baseline). Equal when the mark does not rewrite
 * the value (ADR 0028, schema 4).
 */
async function touchCost(dir: string): Promise<Record<string, number>> {
  const store = new SqliteStateStore({ ...limits, dir });
  try {
    const entry = (text: string) => ({ text, meta: {}, storedAt: 0 });
    await store.setCache('big', entry('x'.repeat(limits.cacheMaxEntryBytes - 4096)), 600_000);
    await store.setCache('small', entry(TEXT), 600_000);
    const after = async (key: string): Promise<number[]> => {
      const times: number[] = [];
      for (let i = 0; i < TOUCH_ROUNDS; i++) {
        await store.getCache(key);
        const t = process.hrtime.bigint();
        await store.setSession(`s-${key}-${i}`, { owner: 'o', createdAt: i, lastSeenAt: i }, 60_000);
        times.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
      return times;
    };
    const small = summary(await after('small'));
    const big = summary(await after('big'));
    console.log(
      `  sqlite write after reading a 4 MB cache entry p50 ${fmt(big.p50)} p99 ${fmt(big.p99)}` +
        `   after reading an 11 KB one p50 ${fmt(small.p50)} p99 ${fmt(small.p99)} (${(big.p50 / small.p50).toFixed(1)}x)`,
    );
    return { sqliteWriteAfterBigReadP50: big.p50, sqliteWriteAfterSmallReadP50: small.p50 };
  } finally {
    await store.close();
  }
}

async function cleanupPrefix(prefix: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(REDIS_URL);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
  redis.disconnect();
}

if (import.meta.filename === process.argv[1]) await run();
