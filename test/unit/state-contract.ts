/** The StateStore contract as a reusable suite: every store (memory, SQLite, Redis) must pass it unchanged. */
import { afterEach, describe, expect, it } from 'vitest';
import { isBrutalistError } from '../../src/errors/index.js';
import { ManualClock } from '../../src/infra/index.js';
import type {
  BackendStateStore,
  CacheEntry,
  Conversation,
  PaginationToken,
  RunRecord,
  SessionData,
  StateStore,
  StoredResult,
  TaskList,
  TaskRecord,
} from '../../src/state/index.js';
import { RESULT_CHUNK_CHARS } from '../../src/state/index.js';

/**
 * Limits `make` must build its store with, so the suite knows what fits: the cache entry limit is
 * small enough to exceed cheaply, and maxBytes large enough that nothing here is ever evicted.
 */
export const CONTRACT_LIMITS = {
  maxBytes: 8 * 1024 * 1024,
  maxEntries: 1_000,
  cacheMaxEntryBytes: 16 * 1024,
} as const;

const MINUTE = 60_000;

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return isBrutalistError(err) ? err.code : `not a BrutalistError: ${String(err)}`;
  }
  return 'resolved';
}

/** Tries to write into a value the store returned; frozen values throw, copies simply diverge. */
function tryMutate(...mutations: Array<() => void>): void {
  for (const mutate of mutations) {
    try {
      mutate();
    } catch (err) {
      if (!(err instanceof TypeError)) throw err;
    }
  }
}

export function stateStoreContract(name: string, make: (clock: ManualClock) => Promise<StateStore>): void {
  describe(`StateStore contract: ${name}`, () => {
    let clock: ManualClock;
    let store: StateStore;
    const open: StateStore[] = [];

    async function fresh(): Promise<StateStore> {
      clock = new ManualClock();
      store = await make(clock);
      open.push(store);
      return store;
    }

    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
    });

    const result = (contextId: string, text = 'critique'): StoredResult => ({
      contextId,
      owner: 'alice',
      text,
      meta: {
        critics: ['claude', 'codex'],
        durationsMs: { claude: 1200 },
        nested: { deep: [1, { x: 'y' }] },
      },
      createdAt: clock.now(),
    });
    const conversation = (contextId: string, turnCount: number): Conversation => ({
      contextId,
      owner: 'alice',
      tool: 'roast_codebase',
      domain: 'codebase',
      critics: ['claude'],
      turns: Array.from({ length: turnCount }, (_, i) => ({
        role: i % 2 === 0 ? ('user' as const) : ('critic' as const),
        text: `turn ${i}`,
        at: clock.now() + i,
      })),
    });
    const cacheEntry = (text: string): CacheEntry => ({
      text,
      meta: { critic: 'gemini' },
      storedAt: clock.now(),
    });
    /** The whole result through the public surface: one window over all of it. */
    async function whole(contextId: string): Promise<StoredResult | null> {
      const part = await store.getResultPart(contextId, 0, Number.MAX_SAFE_INTEGER);
      if (!part) return null;
      const { contextId: id, owner, text, meta, createdAt } = part;
      return { contextId: id, owner, text, meta, createdAt };
    }

    describe('results', () => {
      it('round-trips text with emoji and newlines and nested metadata', async () => {
        await fresh();
        const r = result('ctx', '# Verdict\n\nThis 🔥 is fine 👍🏽\n');
        await store.putResult(r, MINUTE);
        expect(await whole('ctx')).toEqual(r);
      });

      it('reads a result as null once its ttl has passed', async () => {
        await fresh();
        await store.putResult(result('ctx'), MINUTE);
        clock.advance(MINUTE);
        expect(await whole('ctx')).toBeNull();
      });
    });

    describe('result parts', () => {
      // Longer than several SQLite chunks (RESULT_CHUNK_CHARS), with a surrogate pair across the first boundary.
      const C = RESULT_CHUNK_CHARS;
      const long = (): string => {
        const base = Array.from({ length: 3 * C + 500 }, (_, i) => String.fromCharCode(97 + (i % 26)));
        base.splice(C - 1, 2, '\ud83d', '\udd25'); // 🔥 as code units C-1 and C
        base.splice(2 * C - 1, 2, '\ud83d', '\udc4d'); // 👍 across the second boundary
        return base.join('');
      };

      async function expectWindow(text: string, from: number, to: number): Promise<void> {
        const part = await store.getResultPart('ctx', from, to);
        const start = Math.min(from, text.length);
        expect(part).toMatchObject({
          contextId: 'ctx',
          owner: 'alice',
          totalChars: text.length,
          from: start,
          text: text.slice(start, Math.min(Math.max(to, start), text.length)),
        });
      }

      it('reads the first, a middle and the last window with the metadata', async () => {
        await fresh();
        const text = long();
        const r = result('ctx', text);
        await store.putResult(r, MINUTE);
        await expectWindow(text, 0, 1000);
        await expectWindow(text, 40_000, 41_000);
        await expectWindow(text, text.length - 1000, text.length);
        const part = await store.getResultPart('ctx', 0, 0);
        expect(part?.meta).toEqual(r.meta);
        expect(part?.createdAt).toBe(r.createdAt);
        expect(part?.text).toBe('');
      });

      it('reads windows that cross chunk boundaries, and split or join a surrogate pair there', async () => {
        await fresh();
        const text = long();
        await store.putResult(result('ctx', text), MINUTE);
        for (const [from, to] of [
          [C - 10, C + 10],
          [C - 1, C + 1],
          [C, C + 5],
          [C - 3, C],
          [C - 5, 2 * C + 5],
          [0, text.length],
          [2 * C - 1, 2 * C + 1],
        ] as const) {
          await expectWindow(text, from, to);
        }
        expect((await store.getResultPart('ctx', C - 1, C + 1))?.text).toBe('🔥');
        expect(await whole('ctx')).toMatchObject({ text });
      });

      it('keeps Latin-1 and wider text apart in one result, lone surrogate halves included', async () => {
        await fresh();
        const C = RESULT_CHUNK_CHARS;
        // A Latin-1 chunk, then one with an em dash and a lone high surrogate, then Latin-1 again.
        const text = `${'é'.repeat(C)}a — \ud83d b${'x'.repeat(C)}`;
        await store.putResult(result('ctx', text), MINUTE);
        expect(await whole('ctx')).toMatchObject({ text });
        await expectWindow(text, C - 2, C + 8);
        await expectWindow(text, C + 4, 2 * C + 2);
      });

      it('clamps a window past the end, and reads an empty window at the end', async () => {
        await fresh();
        const text = '# Verdict\n\nThis 🔥 is fine\n';
        await store.putResult(result('ctx', text), MINUTE);
        await expectWindow(text, 5, 10_000_000);
        await expectWindow(text, text.length, text.length + 10);
        await expectWindow(text, text.length + 5, text.length + 10);
      });

      it('reads an empty result', async () => {
        await fresh();
        await store.putResult(result('ctx', ''), MINUTE);
        await expectWindow('', 0, 10);
        expect(await whole('ctx')).toMatchObject({ text: '' });
      });

      it('reads null for a missing id and for an expired result, and rewrites replace the text', async () => {
        await fresh();
        expect(await store.getResultPart('nope', 0, 10)).toBeNull();
        await store.putResult(result('ctx', long()), MINUTE);
        await store.putResult(result('ctx', 'short now'), MINUTE);
        await expectWindow('short now', 0, 100);
        clock.advance(MINUTE);
        expect(await store.getResultPart('ctx', 0, 10)).toBeNull();
      });

      it('rejects a window that is not 0 <= from <= to with INVALID_ARGUMENT', async () => {
        await fresh();
        await store.putResult(result('ctx'), MINUTE);
        expect(await codeOf(store.getResultPart('ctx', -1, 5))).toBe('INVALID_ARGUMENT');
        expect(await codeOf(store.getResultPart('ctx', 5, 4))).toBe('INVALID_ARGUMENT');
        expect(await codeOf(store.getResultPart('ctx', 0, 1.5))).toBe('INVALID_ARGUMENT');
      });

      it('refuses a result larger than the store may hold with STATE_VALUE_TOO_LARGE, keeping nothing', async () => {
        await fresh();
        const huge = 'x'.repeat(CONTRACT_LIMITS.maxBytes + 1);
        const code = await codeOf(store.putResult(result('big', huge), MINUTE));
        // Redis keeps no byte budget of its own (its maxmemory policy does): it may accept it.
        if (code === 'resolved') expect((await store.getResultPart('big', 0, 3))?.text).toBe('xxx');
        else {
          expect(code).toBe('STATE_VALUE_TOO_LARGE');
          expect(await store.getResultPart('big', 0, 3)).toBeNull();
        }
      });
    });

    describe('conversations', () => {
      it('round-trips a conversation shorter than maxTurns unchanged', async () => {
        await fresh();
        await store.putConversation(conversation('ctx', 3), MINUTE, 10);
        expect(await store.getConversation('ctx')).toEqual(conversation('ctx', 3));
      });

      it('keeps only the newest maxTurns turns', async () => {
        await fresh();
        await store.putConversation(conversation('ctx', 7), MINUTE, 3);
        const got = await store.getConversation('ctx');
        expect(got?.turns.map((t) => t.text)).toEqual(['turn 4', 'turn 5', 'turn 6']);
      });

      it('reads a conversation as null once its ttl has passed', async () => {
        await fresh();
        await store.putConversation(conversation('ctx', 1), MINUTE, 10);
        clock.advance(MINUTE);
        expect(await store.getConversation('ctx')).toBeNull();
      });
    });

    describe('run records', () => {
      const run = (contextId: string, status: RunRecord['status']): RunRecord => ({
        contextId,
        owner: 'alice',
        tool: 'roast',
        status,
        instanceId: 'instance-1',
        startedAt: clock.now(),
        heartbeatAt: clock.now(),
        running: status === 'running' ? ['claude'] : [],
        ...(status === 'failed'
          ? {
              error: { code: 'CLI_TIMEOUT', message: 'The critic CLI timed out.', data: { critic: 'codex' } },
            }
          : {}),
      });

      it('round-trips a record and replaces it when written again', async () => {
        await fresh();
        await store.putRun(run('ctx', 'running'), MINUTE);
        expect(await store.getRun('ctx')).toEqual(run('ctx', 'running'));
        await store.putRun(run('ctx', 'failed'), MINUTE);
        expect(await store.getRun('ctx')).toEqual(run('ctx', 'failed'));
        expect(await store.getRun('other')).toBeNull();
      });

      it('reads a record as null once its ttl has passed', async () => {
        await fresh();
        await store.putRun(run('ctx', 'running'), MINUTE);
        clock.advance(MINUTE);
        expect(await store.getRun('ctx')).toBeNull();
      });

      it('reads a malformed record as null', async () => {
        await fresh();
        const bad = { ...run('ctx', 'running'), status: 'sleeping' } as unknown as RunRecord;
        await store.putRun(bad, MINUTE);
        expect(await store.getRun('ctx')).toBeNull();
      });

      it('round-trips a record with its replay and reads every malformed error or replay shape as null', async () => {
        await fresh();
        const replay = { args: { target: '.' }, roots: ['/repo'], timeoutMs: 60_000 };
        await store.putRun({ ...run('ok', 'running'), replay }, MINUTE);
        expect((await store.getRun('ok'))?.replay).toEqual(replay);
        const base = run('ctx', 'running');
        const bad: Array<Record<string, unknown>> = [
          { ...base, running: ['claude', 7] },
          { ...base, error: 'CLI_TIMEOUT' },
          { ...base, error: { code: 'CLI_TIMEOUT', message: 'x', data: null } },
          { ...base, error: { code: 'CLI_TIMEOUT', message: 7, data: {} } },
          { ...base, replay: null },
          { ...base, replay: { args: null, roots: [] } },
          { ...base, replay: { args: {}, roots: '/repo' } },
          { ...base, replay: { args: {}, roots: [7] } },
          { ...base, replay: { args: {}, roots: [], timeoutMs: '60s' } },
        ];
        const read: unknown[] = [];
        for (const [i, record] of bad.entries()) {
          await store.putRun({ ...record, contextId: `bad-${i}` } as unknown as RunRecord, MINUTE);
          read.push(await store.getRun(`bad-${i}`));
        }
        expect(read).toEqual(bad.map(() => null));
      });
    });

    describe('tasks', () => {
      const task = (taskId: string, extra: Partial<TaskRecord> = {}): TaskRecord => ({
        taskId,
        owner: 'alice',
        tool: 'roast',
        createdAt: clock.now(),
        ttlMs: MINUTE,
        pollIntervalMs: 2_000,
        ...extra,
      });

      it('round-trips a task (with and without an early error) and a task list', async () => {
        await fresh();
        await store.putTask(task('t1'), MINUTE);
        const failed = task('t2', {
          error: { code: 'INVALID_ARGUMENT', message: 'bad', data: { field: 'x' } },
        });
        await store.putTask(failed, MINUTE);
        expect(await store.getTask('t1')).toEqual(task('t1'));
        expect(await store.getTask('t2')).toEqual(failed);
        expect(await store.getTask('other')).toBeNull();
        const list = { owner: 'alice', tasks: [{ taskId: 't1', expiresAt: clock.now() + MINUTE }] };
        await store.putTaskList(list, MINUTE);
        expect(await store.getTaskList('alice')).toEqual(list);
        expect(await store.getTaskList('bob')).toBeNull();
      });

      it('reads tasks and lists as null once their ttl has passed', async () => {
        await fresh();
        await store.putTask(task('t1'), MINUTE);
        await store.putTaskList({ owner: 'alice', tasks: [] }, MINUTE);
        clock.advance(MINUTE);
        expect(await store.getTask('t1')).toBeNull();
        expect(await store.getTaskList('alice')).toBeNull();
      });

      it('reads a malformed task or list as null', async () => {
        await fresh();
        await store.putTask({ ...task('t1'), tool: 'shell' } as unknown as TaskRecord, MINUTE);
        await store.putTaskList({ owner: 'alice', tasks: [{ taskId: 1 }] } as unknown as TaskList, MINUTE);
        expect(await store.getTask('t1')).toBeNull();
        expect(await store.getTaskList('alice')).toBeNull();
      });

      it('reads a task with a malformed error, or a list with a missing entry, as null', async () => {
        await fresh();
        await store.putTask(task('t1', { error: { code: 'X' } } as unknown as Partial<TaskRecord>), MINUTE);
        await store.putTask({ ...task('t2'), pollIntervalMs: '2s' } as unknown as TaskRecord, MINUTE);
        await store.putTaskList({ owner: 'alice', tasks: [null] } as unknown as TaskList, MINUTE);
        await store.putTaskList({ owner: 'bob', tasks: {} } as unknown as TaskList, MINUTE);
        expect(await store.getTask('t1')).toBeNull();
        expect(await store.getTask('t2')).toBeNull();
        expect(await store.getTaskList('alice')).toBeNull();
        expect(await store.getTaskList('bob')).toBeNull();
      });
    });

    describe('cache', () => {
      it('stores an entry under the size limit and counts hits and misses', async () => {
        await fresh();
        expect(await store.setCache('k', cacheEntry('small'), MINUTE)).toBe(true);
        expect(await store.getCache('k')).toEqual(cacheEntry('small'));
        expect(await store.getCache('other')).toBeNull();
        expect(await store.stats()).toMatchObject({ cacheHits: 1, cacheMisses: 1 });
      });

      it('refuses an entry over cacheMaxEntryBytes with false and stores nothing', async () => {
        await fresh();
        const before = (await store.stats()).entries;
        const big = cacheEntry('x'.repeat(CONTRACT_LIMITS.cacheMaxEntryBytes));
        expect(await store.setCache('k', big, MINUTE)).toBe(false);
        expect(await store.getCache('k')).toBeNull();
        expect((await store.stats()).entries).toBe(before);
      });

      it('treats a ttl of 0 as cache disabled: false, nothing stored', async () => {
        await fresh();
        expect(await store.setCache('k', cacheEntry('small'), 0)).toBe(false);
        expect(await store.getCache('k')).toBeNull();
      });

      it('reads an entry as a miss once its ttl has passed', async () => {
        await fresh();
        await store.setCache('k', cacheEntry('small'), MINUTE);
        clock.advance(MINUTE);
        expect(await store.getCache('k')).toBeNull();
        expect((await store.stats()).cacheMisses).toBe(1);
      });
    });

    it('counts the expired entries cleanupExpired removes and leaves live ones', async () => {
      await fresh();
      for (const id of ['a', 'b', 'c']) await store.putConversation(conversation(id, 1), MINUTE, 10);
      await store.putResult(result('live'), 10 * MINUTE);
      await store.setCache('live', cacheEntry('live'), 10 * MINUTE);
      clock.advance(MINUTE);
      let removed = 0;
      for (let i = 0; i < 10; i++) removed += await store.cleanupExpired();
      expect(removed).toBe(3);
      expect((await store.stats()).entries).toBe(2);
      expect(await whole('live')).not.toBeNull();
    });

    describe('copy safety', () => {
      it('is unaffected when the caller mutates the object it stored', async () => {
        await fresh();
        const r = result('ctx');
        const meta = r.meta as { critics: string[]; nested: { deep: unknown[] } };
        await store.putResult(r, MINUTE);
        meta.critics.push('gemini');
        meta.nested.deep.length = 0;
        expect(await whole('ctx')).toEqual(result('ctx'));
      });

      it('is unaffected when the caller mutates a value it read', async () => {
        await fresh();
        await store.putConversation(conversation('ctx', 2), MINUTE, 10);
        const got = (await store.getConversation('ctx')) as unknown as {
          turns: Array<{ text: string }>;
          tool: string;
        };
        tryMutate(
          () => Object.assign(got, { tool: 'changed' }),
          () => got.turns.push({ text: 'injected' }),
          () => Object.assign(got.turns[0]!, { text: 'changed' }),
        );
        expect(await store.getConversation('ctx')).toEqual(conversation('ctx', 2));
      });
    });

    describe('locks and fencing', () => {
      it('grants a lock to one holder at a time until it is released', async () => {
        await fresh();
        const a = await store.acquireLock('job', MINUTE);
        expect(a).not.toBeNull();
        expect(await store.acquireLock('job', MINUTE)).toBeNull();
        expect(await store.releaseLock(a!)).toBe(true);
        const b = await store.acquireLock('job', MINUTE);
        expect(b).not.toBeNull();
        expect(b!.token).not.toBe(a!.token);
      });

      it('grants an expired lock to a new holder, and the old holder cannot delete it', async () => {
        await fresh();
        const old = await store.acquireLock('job', MINUTE);
        clock.advance(MINUTE);
        const fresh2 = await store.acquireLock('job', MINUTE);
        expect(fresh2).not.toBeNull();
        expect(await store.releaseLock(old!)).toBe(false);
        expect(await store.acquireLock('job', MINUTE)).toBeNull();
        expect(await store.releaseLock(fresh2!)).toBe(true);
      });

      it('hands out strictly growing fences', async () => {
        await fresh();
        const fences: number[] = [];
        for (const key of ['a', 'b', 'a', 'c']) {
          const lease = await store.acquireLock(key, MINUTE);
          fences.push(lease!.fence);
          await store.releaseLock(lease!);
        }
        for (let i = 1; i < fences.length; i++) expect(fences[i]!).toBeGreaterThan(fences[i - 1]!);
      });

      it('extends a held lease, and refuses to extend a lost one', async () => {
        await fresh();
        const lease = await store.acquireLock('job', MINUTE);
        clock.advance(MINUTE - 1);
        const extended = await store.extendLock(lease!, MINUTE);
        expect(extended?.expiresAt).toBe(clock.now() + MINUTE);
        clock.advance(MINUTE - 1);
        expect(await store.acquireLock('job', MINUTE)).toBeNull();
        clock.advance(1);
        const thief = await store.acquireLock('job', MINUTE);
        expect(thief).not.toBeNull();
        expect(await store.extendLock(lease!, MINUTE)).toBeNull();
      });

      it('refuses a cache write with a stale fence and accepts the newest one', async () => {
        await fresh();
        const old = await store.acquireLock('k', MINUTE);
        clock.advance(MINUTE);
        const current = await store.acquireLock('k', MINUTE);
        expect(await store.setCache('k', cacheEntry('stale'), MINUTE, old!.fence)).toBe(false);
        expect(await store.getCache('k')).toBeNull();
        expect(await store.setCache('k', cacheEntry('fresh'), MINUTE, current!.fence)).toBe(true);
        expect((await store.getCache('k'))?.text).toBe('fresh');
      });
    });

    it('gives the same shared secret for a name on every call, and different ones per name', async () => {
      await fresh();
      const a = await store.sharedSecret('cursor');
      expect(a.length).toBeGreaterThanOrEqual(32);
      expect(await store.sharedSecret('cursor')).toBe(a);
      expect(await store.sharedSecret('other')).not.toBe(a);
    });

    it('reports healthy while open', async () => {
      await fresh();
      expect((await store.health()).status).toBe('ok');
    });

    it('rejects a ttl that is not a finite positive number with INVALID_ARGUMENT', async () => {
      await fresh();
      expect(await codeOf(store.putConversation(conversation('c', 1), -1, 10))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(store.putResult(result('r'), Number.NaN))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(store.setCache('k', cacheEntry('x'), Number.POSITIVE_INFINITY))).toBe(
        'INVALID_ARGUMENT',
      );
    });

    it('fails every call after close with STATE_UNAVAILABLE', async () => {
      await fresh();
      await store.putResult(result('ctx'), MINUTE);
      await store.close();
      expect(await codeOf(store.getResultPart('ctx', 0, 1))).toBe('STATE_UNAVAILABLE');
      expect(await codeOf(store.putConversation(conversation('c', 1), MINUTE, 10))).toBe('STATE_UNAVAILABLE');
      expect(await codeOf(store.setCache('k', cacheEntry('x'), MINUTE))).toBe('STATE_UNAVAILABLE');
      expect(await codeOf(store.cleanupExpired())).toBe('STATE_UNAVAILABLE');
      expect(await codeOf(store.acquireLock('l', MINUTE))).toBe('STATE_UNAVAILABLE');
      await store.close();
    });
  });
}

/**
 * What the three backends offer beyond StateStore (BackendStateStore): sessions, cursors, whole-result reads
 * and counters. Decorators do not have these; memory, SQLite and Redis must pass this besides the contract.
 */
export function backendStoreContract(
  name: string,
  make: (clock: ManualClock) => Promise<BackendStateStore>,
): void {
  describe(`BackendStateStore contract: ${name}`, () => {
    let clock: ManualClock;
    let store: BackendStateStore;
    const open: BackendStateStore[] = [];

    async function fresh(): Promise<BackendStateStore> {
      clock = new ManualClock();
      store = await make(clock);
      open.push(store);
      return store;
    }

    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
    });

    const session = (): SessionData => ({
      owner: 'alice',
      createdAt: clock.now(),
      lastSeenAt: clock.now(),
      clientName: 'claude-code',
    });
    const result = (contextId: string, text = 'critique'): StoredResult => ({
      contextId,
      owner: 'alice',
      text,
      meta: { critics: ['claude', 'codex'], nested: { deep: [1, { x: 'y' }] } },
      createdAt: clock.now(),
    });
    const conversation = (contextId: string): Conversation => ({
      contextId,
      owner: 'alice',
      tool: 'roast_codebase',
      critics: ['claude'],
      turns: [],
    });
    const cacheEntry = (text: string): CacheEntry => ({ text, meta: {}, storedAt: clock.now() });
    const token = (contextId: string, ttlMs: number): PaginationToken => ({
      contextId,
      owner: 'alice',
      offset: 90_000,
      limit: 90_000,
      expiresAt: clock.now() + ttlMs,
    });

    describe('sessions', () => {
      it('returns a stored session and null for an unknown id', async () => {
        await fresh();
        await store.setSession('s1', session(), MINUTE);
        expect(await store.getSession('s1')).toEqual(session());
        expect(await store.getSession('nope')).toBeNull();
      });

      it('keeps a session until its ttl has passed, then reads it as null', async () => {
        await fresh();
        await store.setSession('s1', session(), MINUTE);
        clock.advance(MINUTE - 1);
        expect(await store.getSession('s1')).not.toBeNull();
        clock.advance(1);
        expect(await store.getSession('s1')).toBeNull();
      });

      it('replaces a session written twice under the same id', async () => {
        await fresh();
        await store.setSession('s1', session(), MINUTE);
        await store.setSession('s1', { ...session(), owner: 'bob' }, MINUTE);
        expect((await store.getSession('s1'))?.owner).toBe('bob');
      });
    });

    describe('cursors', () => {
      it('returns a stored cursor until its own expiresAt', async () => {
        await fresh();
        await store.setPaginationToken('c1', token('ctx', MINUTE));
        expect(await store.getPaginationToken('c1')).toEqual(token('ctx', MINUTE));
        clock.advance(MINUTE);
        expect(await store.getPaginationToken('c1')).toBeNull();
      });

      it('does not keep a cursor that has already expired', async () => {
        await fresh();
        await store.setPaginationToken('c1', token('ctx', -1));
        expect(await store.getPaginationToken('c1')).toBeNull();
      });
    });

    describe('results', () => {
      it('round-trips text with emoji and newlines and nested metadata', async () => {
        await fresh();
        const r = result('ctx', '# Verdict\n\nThis 🔥 is fine 👍🏽\n');
        await store.putResult(r, MINUTE);
        expect(await store.getResult('ctx')).toEqual(r);
      });

      it('reads a result as null once its ttl has passed', async () => {
        await fresh();
        await store.putResult(result('ctx'), MINUTE);
        clock.advance(MINUTE);
        expect(await store.getResult('ctx')).toBeNull();
      });
    });

    describe('counters', () => {
      it('counts within a window and starts again after it', async () => {
        await fresh();
        expect(await store.incrementCounter('rate:alice', MINUTE)).toBe(1);
        expect(await store.incrementCounter('rate:alice', MINUTE, 4)).toBe(5);
        expect(await store.incrementCounter('rate:bob', MINUTE)).toBe(1);
        clock.advance(MINUTE);
        expect(await store.incrementCounter('rate:alice', MINUTE)).toBe(1);
      });
    });

    it('keeps namespaces apart: the same key in each namespace holds its own value', async () => {
      await fresh();
      await store.setSession('x', session(), MINUTE);
      await store.setPaginationToken('x', token('from-cursor', MINUTE));
      await store.putResult(result('x', 'from-result'), MINUTE);
      await store.putConversation(conversation('x'), MINUTE, 10);
      await store.setCache('x', cacheEntry('from-cache'), MINUTE);
      expect((await store.getSession('x'))?.clientName).toBe('claude-code');
      expect((await store.getPaginationToken('x'))?.contextId).toBe('from-cursor');
      expect((await store.getResult('x'))?.text).toBe('from-result');
      expect((await store.getConversation('x'))?.tool).toBe('roast_codebase');
      expect((await store.getCache('x'))?.text).toBe('from-cache');
      expect((await store.stats()).entries).toBe(5);
    });

    it('gives whole results back as stored, unaffected by later changes to the stored object', async () => {
      await fresh();
      const r = result('ctx');
      await store.putResult(r, MINUTE);
      (r.meta as { critics: string[] }).critics.push('gemini');
      expect(await store.getResult('ctx')).toEqual(result('ctx'));
    });

    it('gives values back in their JSON form (undefined properties dropped)', async () => {
      await fresh();
      const s = { ...session(), clientName: undefined };
      await store.setSession('s', s, MINUTE);
      expect(Object.keys((await store.getSession('s')) ?? {})).not.toContain('clientName');
    });

    it('rejects malformed arguments of every kind with INVALID_ARGUMENT, storing nothing', async () => {
      await fresh();
      const bad = {
        ttlNotANumber: store.setSession('s', session(), '1m' as unknown as number),
        emptyKey: store.setSession('', session(), MINUTE),
        cursorWithoutExpiry: store.setPaginationToken('c', {
          ...token('ctx', MINUTE),
          expiresAt: undefined,
        } as unknown as PaginationToken),
        fractionalStep: store.incrementCounter('rate:x', MINUTE, 1.5),
        notJson: store.setSession('s', { ...session(), at: () => 1 } as unknown as SessionData, MINUTE),
        windowNotNumbers: store.getResultPart('ctx', '0' as unknown as number, 4),
        maxTurnsZero: store.putConversation(
          { contextId: 'c', owner: 'alice', turns: [] } as unknown as Conversation,
          MINUTE,
          0,
        ),
      };
      const codes: Record<string, string> = {};
      for (const [what, call] of Object.entries(bad)) codes[what] = await codeOf(call);
      expect(codes).toEqual(Object.fromEntries(Object.keys(bad).map((k) => [k, 'INVALID_ARGUMENT'])));
      expect(await store.getSession('s')).toBeNull();
      expect(await store.getPaginationToken('c')).toBeNull();
    });

    it('rejects a session ttl that is not a finite positive number, and fails after close', async () => {
      await fresh();
      expect(await codeOf(store.setSession('s', session(), -1))).toBe('INVALID_ARGUMENT');
      await store.close();
      expect(await codeOf(store.getResult('ctx'))).toBe('STATE_UNAVAILABLE');
      expect(await codeOf(store.setSession('s', session(), MINUTE))).toBe('STATE_UNAVAILABLE');
    });
  });
}
