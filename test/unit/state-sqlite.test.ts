/** SqliteStateStore: the shared contract on a real file, plus durability, bounds, migrations and corruption. */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { isBrutalistError } from '../../src/errors/index.js';
import { ManualClock } from '../../src/infra/index.js';
import {
  MIGRATIONS,
  migrate,
  RESULT_CHUNK_CHARS,
  SCHEMA_VERSION,
  SqliteStateStore,
  type StoredResult,
  splitChunks,
} from '../../src/state/index.js';
import { Checkpointer, DEFAULT_CHECKPOINT_EVERY_BYTES } from '../../src/state/sqlite-checkpointer.js';
import { backendStoreContract, CONTRACT_LIMITS, stateStoreContract } from './state-contract.js';

const root = mkdtempSync(join(tmpdir(), 'brutalist-sqlite-'));
let n = 0;
const newDir = () => join(root, `s${n++}`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sqliteStore = async (clock: ManualClock) =>
  new SqliteStateStore({ ...CONTRACT_LIMITS, dir: newDir(), clock });
stateStoreContract('SqliteStateStore', sqliteStore);
backendStoreContract('SqliteStateStore', sqliteStore);

const MINUTE = 60_000;
const result = (contextId: string, text: string): StoredResult => ({
  contextId,
  owner: 'alice',
  text,
  meta: {},
  createdAt: 0,
});

/** The result the schema 2 and 3 files below hold, as it reads back. */
const oldResult = (text: string, v: number): StoredResult => ({
  contextId: 'old',
  owner: 'alice',
  text,
  meta: { v },
  createdAt: 5,
});

/** A state file in a new folder, migrated to schema `version` only (as an earlier server left it), still open. */
function fileAtSchema(version: number): { dir: string; old: Database.Database } {
  const dir = newDir();
  mkdirSync(dir, { recursive: true });
  const old = new Database(join(dir, 'state.db'));
  expect(migrate(old, MIGRATIONS.slice(0, version))).toBe(version);
  return { dir, old };
}

async function rejection(fn: () => unknown): Promise<{ code: string; message: string; data?: unknown }> {
  try {
    await fn();
  } catch (err) {
    if (isBrutalistError(err)) return { code: err.code, message: err.message, data: err.data };
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('SqliteStateStore', () => {
  it('keeps everything across close and reopen of the same folder', async () => {
    const dir = newDir();
    const clock = new ManualClock();
    const a = new SqliteStateStore({ ...CONTRACT_LIMITS, dir, clock });
    await a.putResult(result('ctx', 'kept'), MINUTE);
    const lease = await a.acquireLock('job', MINUTE);
    const secret = await a.sharedSecret('cursor');
    await a.close();
    const b = new SqliteStateStore({ ...CONTRACT_LIMITS, dir, clock });
    expect((await b.getResult('ctx'))?.text).toBe('kept');
    expect(await b.acquireLock('job', MINUTE)).toBeNull();
    expect((await b.acquireLock('other', MINUTE))!.fence).toBeGreaterThan(lease!.fence);
    expect(await b.sharedSecret('cursor')).toBe(secret);
    await b.close();
  });

  it('evicts least-recently-used rows to stay within maxEntries', async () => {
    const store = new SqliteStateStore({
      ...CONTRACT_LIMITS,
      maxEntries: 3,
      dir: newDir(),
      clock: new ManualClock(),
    });
    for (const id of ['a', 'b', 'c']) await store.putResult(result(id, id), MINUTE);
    await store.getResult('a');
    await store.putResult(result('d', 'd'), MINUTE);
    expect(await store.getResult('b')).toBeNull();
    expect(await store.getResult('a')).not.toBeNull();
    expect(await store.stats()).toMatchObject({ entries: 3, evictions: 1 });
    await store.close();
  });

  it('marks a read in the LRU order without rewriting the entry, whose value can be megabytes', async () => {
    const dir = newDir();
    const store = new SqliteStateStore({
      ...CONTRACT_LIMITS,
      cacheMaxEntryBytes: 2 * 2 ** 20,
      maxEntries: 3,
      dir,
      clock: new ManualClock(),
    });
    const entry = (text: string) => ({ text, meta: {}, storedAt: 0 });
    await store.setCache('big', entry('x'.repeat(2 ** 20)), MINUTE);
    await store.setCache('k1', entry('one'), MINUTE);
    await store.setCache('k2', entry('two'), MINUTE);
    // A schema trigger fires for every connection, the store's included: it records any UPDATE of an entry row.
    const watcher = new Database(join(dir, 'state.db'));
    watcher.exec(`CREATE TABLE entry_updates (key TEXT);
      CREATE TRIGGER watch_entries AFTER UPDATE ON entries BEGIN INSERT INTO entry_updates VALUES (OLD.key); END;`);
    expect((await store.getCache('big'))?.text.length).toBe(2 ** 20);
    await store.setCache('k3', entry('three'), MINUTE); // writes the read's mark, then evicts the oldest: k1
    expect(await store.getCache('k1')).toBeNull();
    expect(await store.getCache('big')).not.toBeNull();
    expect(watcher.prepare('SELECT key FROM entry_updates').all()).toEqual([]);
    watcher.close();
    await store.close();
  });

  it('evicts to stay within maxBytes and refuses a result larger than maxBytes', async () => {
    const maxBytes = 10_000;
    const store = new SqliteStateStore({
      ...CONTRACT_LIMITS,
      maxBytes,
      dir: newDir(),
      clock: new ManualClock(),
    });
    for (let i = 0; i < 20; i++) await store.putResult(result(`r${i}`, 'x'.repeat(1_500)), MINUTE);
    const stats = await store.stats();
    expect(stats.bytes).toBeLessThanOrEqual(maxBytes);
    expect(stats.evictions).toBeGreaterThan(0);
    expect((await rejection(() => store.putResult(result('big', 'y'.repeat(maxBytes)), MINUTE))).code).toBe(
      'STATE_VALUE_TOO_LARGE',
    );
    await store.close();
  });

  it('removes at most sweepBatchSize expired rows per cleanup call', async () => {
    const clock = new ManualClock();
    const store = new SqliteStateStore({ ...CONTRACT_LIMITS, sweepBatchSize: 4, dir: newDir(), clock });
    for (let i = 0; i < 10; i++)
      await store.setSession(`s${i}`, { owner: 'a', createdAt: 0, lastSeenAt: 0 }, MINUTE);
    clock.advance(MINUTE);
    expect(await store.cleanupExpired()).toBe(4);
    expect(await store.cleanupExpired()).toBe(4);
    expect(await store.cleanupExpired()).toBe(2);
    expect(await store.cleanupExpired()).toBe(0);
    await store.close();
  });

  it('shares locks between two stores open on the same file', async () => {
    const dir = newDir();
    const clock = new ManualClock();
    const a = new SqliteStateStore({ ...CONTRACT_LIMITS, dir, clock });
    const b = new SqliteStateStore({ ...CONTRACT_LIMITS, dir, clock });
    const lease = await a.acquireLock('job', MINUTE);
    expect(await b.acquireLock('job', MINUTE)).toBeNull();
    await a.releaseLock(lease!);
    expect(await b.acquireLock('job', MINUTE)).not.toBeNull();
    await a.close();
    await b.close();
  });

  it('moves a corrupt file aside, keeps it, and names it relative to the state folder', async () => {
    const dir = newDir();
    const first = new SqliteStateStore({ ...CONTRACT_LIMITS, dir });
    await first.close();
    writeFileSync(
      join(dir, 'state.db'),
      'this is not a database, just text that is long enough '.repeat(100),
    );
    for (const suffix of ['-wal', '-shm']) rmSync(join(dir, `state.db${suffix}`), { force: true });
    const lines: string[] = [];
    const err = await rejection(
      () => new SqliteStateStore({ ...CONTRACT_LIMITS, dir, log: (l) => lines.push(l) }),
    );
    expect(err.code).toBe('STATE_UNAVAILABLE');
    expect(err.message).toMatch(/moved aside to state\.db\.corrupt-\d+ in the state folder/);
    expect(err.message).not.toContain(dir);
    const kept = readdirSync(dir).filter((f) => f.startsWith('state.db.corrupt-'));
    expect(kept).toHaveLength(1);
    expect(lines.join('\n')).toContain(join(dir, kept[0]!));
    const again = new SqliteStateStore({ ...CONTRACT_LIMITS, dir });
    expect(await again.getResult('anything')).toBeNull();
    await again.close();
  });

  it('refuses a file from a newer schema without touching it', async () => {
    const dir = newDir();
    await new SqliteStateStore({ ...CONTRACT_LIMITS, dir }).close();
    const raw = new Database(join(dir, 'state.db'));
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    const err = await rejection(() => new SqliteStateStore({ ...CONTRACT_LIMITS, dir }));
    expect(err.code).toBe('STATE_UNAVAILABLE');
    expect(err.message).toMatch(/newer than this server knows/);
    expect(readdirSync(dir).filter((f) => f.includes('corrupt'))).toEqual([]);
  });

  it('migrates a live file forward while another connection has it open', async () => {
    const dir = newDir();
    const path = join(dir, 'v1.db');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const reader = new Database(path);
    reader.pragma('journal_mode = WAL');
    expect(migrate(reader, MIGRATIONS.slice(0, 1))).toBe(1);
    reader.prepare("INSERT INTO entries VALUES ('result', 'x', '{}', 10, 9e15, 1)").run();
    const writer = new Database(path);
    expect(migrate(writer)).toBe(SCHEMA_VERSION - 1);
    expect(migrate(writer)).toBe(0);
    expect(reader.prepare('SELECT count(*) AS n FROM entries').get()).toEqual({ n: 1 });
    expect(reader.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    reader.close();
    writer.close();
  });

  it('reads results a schema 2 file stored whole, and pages them, after migrating to schema 3', async () => {
    const { dir, old } = fileAtSchema(2);
    const text = `# Old\n${'🔥 line\n'.repeat(10_000)}`;
    const value = JSON.stringify({ contextId: 'old', owner: 'alice', text, meta: { v: 2 }, createdAt: 5 });
    old.prepare("INSERT INTO entries VALUES ('result', 'old', ?, ?, 9e15, 1)").run(value, value.length + 64);
    old.close();
    const store = new SqliteStateStore({ ...CONTRACT_LIMITS, dir, clock: new ManualClock() });
    expect(await store.getResult('old')).toEqual(oldResult(text, 2));
    expect(await store.getResultPart('old', 40_000, 40_010)).toMatchObject({
      totalChars: text.length,
      from: 40_000,
      text: text.slice(40_000, 40_010),
      meta: { v: 2 },
    });
    await store.close();
  });

  it('reads results a schema 3 file stored in UTF-8 chunks, and keeps its LRU order, after migrating to schema 4', async () => {
    const { dir, old } = fileAtSchema(3);
    const C = RESULT_CHUNK_CHARS;
    const text = `# Old\n${'🔥 line — with a dash\n'.repeat(Math.ceil((2.5 * C) / 22))}`;
    const head = JSON.stringify({
      contextId: 'old',
      owner: 'alice',
      meta: { v: 3 },
      createdAt: 5,
      totalChars: text.length,
    });
    const put = old.prepare('INSERT INTO entries VALUES (?, ?, ?, 100, 9e15, ?)');
    put.run('result', 'old', head, 3);
    put.run('cache', 'a', JSON.stringify({ text: 'a', meta: {}, storedAt: 0 }), 2);
    put.run('cache', 'b', JSON.stringify({ text: 'b', meta: {}, storedAt: 0 }), 1); // least recently used
    for (const chunk of splitChunks(text, C)) {
      old.prepare('INSERT INTO result_chunks VALUES (?, ?, ?)').run('old', chunk.start, chunk.text);
    }
    old.close();
    const store = new SqliteStateStore({ ...CONTRACT_LIMITS, maxEntries: 3, dir, clock: new ManualClock() });
    expect(await store.getResult('old')).toEqual(oldResult(text, 3));
    for (const [from, to] of [
      [0, 10],
      [C - 5, C + 5],
      [C - 1, 2 * C + 1],
      [text.length - 3, text.length],
    ] as const) {
      expect(await store.getResultPart('old', from, to)).toMatchObject({ from, text: text.slice(from, to) });
    }
    await store.setCache('c', { text: 'c', meta: {}, storedAt: 0 }, MINUTE); // evicts b, oldest before the upgrade
    expect(await store.getCache('b')).toBeNull();
    expect((await store.getCache('a'))?.text).toBe('a');
    await store.close();
  });

  it("deletes a result's chunks with it: on replace, expiry sweep and eviction", async () => {
    const dir = newDir();
    const clock = new ManualClock();
    const store = new SqliteStateStore({ ...CONTRACT_LIMITS, maxEntries: 2, dir, clock });
    const chunks = () => {
      const raw = new Database(join(dir, 'state.db'), { readonly: true });
      const { n } = raw.prepare('SELECT count(*) AS n FROM result_chunks').get() as { n: number };
      raw.close();
      return n;
    };
    const long = 'y'.repeat(3 * RESULT_CHUNK_CHARS + 1); // 4 chunks
    await store.putResult(result('a', long), MINUTE);
    await store.putResult(result('a', 'short'), MINUTE);
    expect(chunks()).toBe(1);
    await store.putResult(result('b', long), 2 * MINUTE);
    await store.putResult(result('c', long), 2 * MINUTE); // evicts a
    expect(chunks()).toBe(8);
    clock.advance(2 * MINUTE);
    expect(await store.cleanupExpired()).toBe(2);
    expect(chunks()).toBe(0);
    await store.close();
  });

  it('checkpoints on a worker while writing past 4 MB, and everything reads back after reopening', async () => {
    const dir = newDir();
    const store = new SqliteStateStore({ ...CONTRACT_LIMITS, maxBytes: 64 * 2 ** 20, dir });
    const text = 'z'.repeat(DEFAULT_CHECKPOINT_EVERY_BYTES / 4);
    for (let i = 0; i < 6; i++) await store.putResult(result(`r${i}`, text), MINUTE);
    await store.close();
    const again = new SqliteStateStore({ ...CONTRACT_LIMITS, maxBytes: 64 * 2 ** 20, dir });
    for (let i = 0; i < 6; i++) expect((await again.getResultPart(`r${i}`, 0, 3))?.text).toBe('zzz');
    await again.close();
  });

  it('reports a checkpoint worker that cannot open the file, so the store checkpoints by itself again', async () => {
    const failed = new Promise<void>((resolve) => {
      new Checkpointer(join(newDir(), 'missing.db'), 1_000, resolve).wrote(DEFAULT_CHECKPOINT_EVERY_BYTES);
    });
    await expect(failed).resolves.toBeUndefined();
  });

  it('starts the checkpoint worker once the configured bytes were written, not at the 4 MB default', async () => {
    const started = new Promise<void>((resolve) => {
      // The worker cannot open a missing file: its failure is the sign that it was started.
      const checkpointer = new Checkpointer(join(newDir(), 'missing.db'), 1_000, resolve, 1_000);
      checkpointer.wrote(999);
      checkpointer.wrote(1);
    });
    await expect(started).resolves.toBeUndefined();
  });
});
