/** Model test: random sequences of writes, reads, clock moves and sweeps give the same answers on SQLite and memory. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/infra/index.js';
import { type BackendStateStore, MemoryStateStore, SqliteStateStore } from '../../src/state/index.js';

const root = mkdtempSync(join(tmpdir(), 'brutalist-model-'));
let n = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

const limits = { maxBytes: 1 << 26, maxEntries: 100_000, cacheMaxEntryBytes: 1 << 20 };
const key = fc.constantFrom('a', 'b', 'c', 'd');
const op = fc.oneof(
  fc.record({
    kind: fc.constant('put' as const),
    key,
    text: fc.string({ maxLength: 20 }),
    ttl: fc.integer({ min: 1, max: 5_000 }),
  }),
  fc.record({
    kind: fc.constant('cache' as const),
    key,
    text: fc.string({ maxLength: 20 }),
    ttl: fc.integer({ min: 1, max: 5_000 }),
  }),
  fc.record({ kind: fc.constant('get' as const), key }),
  fc.record({ kind: fc.constant('getCache' as const), key }),
  fc.record({ kind: fc.constant('lock' as const), key, ttl: fc.integer({ min: 1, max: 5_000 }) }),
  fc.record({ kind: fc.constant('count' as const), key, ttl: fc.integer({ min: 1, max: 5_000 }) }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 3_000 }) }),
  fc.record({ kind: fc.constant('sweep' as const) }),
);

type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

async function apply(store: BackendStateStore, clock: ManualClock, o: Op): Promise<unknown> {
  switch (o.kind) {
    case 'put':
      await store.putResult(
        { contextId: o.key, owner: 'o', text: o.text, meta: {}, createdAt: clock.now() },
        o.ttl,
      );
      return null;
    case 'cache':
      return store.setCache(o.key, { text: o.text, meta: {}, storedAt: clock.now() }, o.ttl);
    case 'get':
      return (await store.getResult(o.key))?.text ?? null;
    case 'getCache':
      return (await store.getCache(o.key))?.text ?? null;
    case 'lock':
      return (await store.acquireLock(o.key, o.ttl)) !== null;
    case 'count':
      return store.incrementCounter(o.key, o.ttl);
    case 'advance':
      clock.advance(o.ms);
      return null;
    case 'sweep': {
      let removed = 0;
      for (let i = 0; i < 5; i++) removed += await store.cleanupExpired();
      return removed;
    }
  }
}

describe('SQLite behaves like memory', () => {
  it('answers every operation of a random sequence the same way', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
        const clockA = new ManualClock();
        const clockB = new ManualClock();
        const memory = new MemoryStateStore({ ...limits, clock: clockA });
        const sqlite = new SqliteStateStore({ ...limits, dir: join(root, `m${n++}`), clock: clockB });
        try {
          for (const o of ops) {
            expect(await apply(sqlite, clockB, o)).toEqual(await apply(memory, clockA, o));
          }
          expect((await sqlite.stats()).entries).toBe((await memory.stats()).entries);
        } finally {
          await memory.close();
          await sqlite.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});
