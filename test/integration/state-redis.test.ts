// RedisStateStore against a real Redis: the shared contract under a unique key prefix, plus sharing and TTLs.
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/infra/index.js';
import {
  DegradingStateStore,
  MemoryStateStore,
  RedisStateStore,
  type StoredResult,
} from '../../src/state/index.js';
import { deletePrefix, SHARED_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { backendStoreContract, CONTRACT_LIMITS, stateStoreContract } from '../unit/state-contract.js';

const prefixes: string[] = [];
function prefix(): string {
  const p = uniquePrefix('contract');
  prefixes.push(p);
  return p;
}
afterAll(async () => {
  for (const p of prefixes) await deletePrefix(SHARED_REDIS_URL, p);
});

function redisStore(clock: ManualClock, keyPrefix = prefix()): RedisStateStore {
  return new RedisStateStore({
    url: SHARED_REDIS_URL,
    keyPrefix,
    commandTimeoutMs: 2_000,
    cacheMaxEntryBytes: CONTRACT_LIMITS.cacheMaxEntryBytes,
    clock,
  });
}

stateStoreContract('RedisStateStore', async (clock) => redisStore(clock));
backendStoreContract('RedisStateStore', async (clock) => redisStore(clock));
stateStoreContract(
  'DegradingStateStore over Redis',
  async (clock) =>
    new DegradingStateStore(redisStore(clock), new MemoryStateStore({ ...CONTRACT_LIMITS, clock })),
);

const MINUTE = 60_000;
const result = (contextId: string): StoredResult => ({
  contextId,
  owner: 'alice',
  text: 'shared',
  meta: {},
  createdAt: 0,
});

describe('RedisStateStore', () => {
  it('shares results, locks and secrets between two clients on one prefix, and nothing across prefixes', async () => {
    const clock = new ManualClock();
    const shared = prefix();
    const a = redisStore(clock, shared);
    const b = redisStore(clock, shared);
    const other = redisStore(clock);
    try {
      await a.putResult(result('ctx'), MINUTE);
      expect((await b.getResult('ctx'))?.text).toBe('shared');
      expect(await other.getResult('ctx')).toBeNull();
      const lease = await a.acquireLock('job', MINUTE);
      expect(await b.acquireLock('job', MINUTE)).toBeNull();
      expect(await b.releaseLock({ ...lease!, token: 'forged' })).toBe(false);
      expect(await a.releaseLock(lease!)).toBe(true);
      expect(await b.sharedSecret('cursor')).toBe(await a.sharedSecret('cursor'));
    } finally {
      await Promise.all([a.close(), b.close(), other.close()]);
    }
  });

  it('sets a native Redis TTL on every entry so an abandoned prefix empties itself', async () => {
    const clock = new ManualClock();
    const keyPrefix = prefix();
    const store = redisStore(clock, keyPrefix);
    try {
      await store.putResult(result('ctx'), MINUTE);
      const { Redis } = await import('ioredis');
      const raw = new Redis(SHARED_REDIS_URL);
      const ttl = await raw.pttl(`${keyPrefix}e:result:ctx`);
      raw.disconnect();
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(MINUTE);
    } finally {
      await store.close();
    }
  });

  it('fails fast with STATE_UNAVAILABLE when Redis cannot be reached, and reports degraded', async () => {
    const store = new RedisStateStore({
      url: 'redis://127.0.0.1:1',
      keyPrefix: prefix(),
      commandTimeoutMs: 200,
      cacheMaxEntryBytes: 1024,
    });
    try {
      const err = await store.getResult('x').catch((e: unknown) => e);
      expect((err as { code?: string }).code).toBe('STATE_UNAVAILABLE');
      expect((await store.health()).status).toBe('degraded');
    } finally {
      await store.close();
    }
  });

  it('degrades during an outage: results still stored and read here, cache misses, no cursor secret', async () => {
    const clock = new ManualClock();
    const store = new DegradingStateStore(
      new RedisStateStore({
        url: 'redis://127.0.0.1:1',
        keyPrefix: prefix(),
        commandTimeoutMs: 200,
        cacheMaxEntryBytes: 1024,
        clock,
      }),
      new MemoryStateStore({ ...CONTRACT_LIMITS, clock }),
    );
    try {
      await store.putResult(result('ctx'), MINUTE);
      expect((await store.getResultPart('ctx', 0, 100))?.text).toBe('shared');
      expect(await store.setCache('k', { text: 'x', meta: {}, storedAt: 0 }, MINUTE)).toBe(false);
      expect(await store.getCache('k')).toBeNull();
      const secret = await store.sharedSecret('cursor').catch((e: { code?: string }) => e.code);
      expect(secret).toBe('STATE_UNAVAILABLE');
      expect(await store.health()).toMatchObject({ backend: 'redis', status: 'degraded' });
      expect(store.fallbacks).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });

  it('keeps a result text under its own key: swept, deleted and expired with its entry; alone it reads as none', async () => {
    const clock = new ManualClock();
    const keyPrefix = prefix();
    const store = redisStore(clock, keyPrefix);
    const { Redis } = await import('ioredis');
    const raw = new Redis(SHARED_REDIS_URL);
    try {
      await store.putResult({ ...result('ctx'), text: 'a 🔥 b' }, MINUTE);
      expect(await raw.strlen(`${keyPrefix}t:result:ctx`)).toBe(2 * 'a 🔥 b'.length);
      expect(await raw.pttl(`${keyPrefix}t:result:ctx`)).toBeGreaterThan(0);
      expect((await store.getResultPart('ctx', 2, 4))?.text).toBe('🔥');
      await raw.del(`${keyPrefix}t:result:ctx`); // as maxmemory eviction would
      expect(await store.getResultPart('ctx', 0, 1)).toBeNull();
      expect(await store.getResult('ctx')).toBeNull();

      await store.putResult(result('gone'), MINUTE);
      clock.advance(MINUTE);
      expect(await store.cleanupExpired()).toBeGreaterThanOrEqual(1);
      expect(await raw.exists(`${keyPrefix}t:result:gone`)).toBe(0);

      await store.putResult(result('read'), MINUTE);
      clock.advance(MINUTE);
      expect(await store.getResultPart('read', 0, 1)).toBeNull();
      expect(await raw.exists(`${keyPrefix}t:result:read`, `${keyPrefix}e:result:read`)).toBe(0);
    } finally {
      raw.disconnect();
      await store.close();
    }
  });
});
