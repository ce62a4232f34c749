/** SqliteStateStore: the embedded durable StateStore — one SQLite file (WAL), bounded, shared by local processes. */
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';
import { BrutalistError } from '../errors/index.js';
import { type Clock, newToken, systemClock } from '../infra/index.js';
import {
  createPrivateFile,
  report,
  STATE_DIR_MODE,
  STATE_FILE_MODE,
  tighten,
  tightenDatabaseFiles,
} from './file-modes.js';
import { KeyValueStateStore, type Namespace } from './key-value-store.js';
import { joinWindow, RESULT_CHUNK_CHARS, splitChunks, type TextChunk } from './result-chunks.js';
import { Checkpointer, FALLBACK_AUTOCHECKPOINT_PAGES } from './sqlite-checkpointer.js';
import { migrate } from './sqlite-schema.js';
import type {
  CacheEntry,
  LockLease,
  StateStore,
  StateStoreStats,
  StoredResult,
  StoredResultPart,
  StoreHealth,
} from './types.js';
import {
  checkCounterStep,
  checkKey,
  checkLockTtl,
  checkTtl,
  checkWindow,
  clampWindow,
  DEFAULT_MAX_VALUE_DEPTH,
  encodeValue,
  FENCE_RETENTION_MS,
  positiveInt,
} from './validate.js';

/** Per-row bookkeeping (key columns, index entries, page overhead) counted on top of the value's bytes. */
export const SQLITE_ROW_OVERHEAD_BYTES = 64;

/** A result entry as this version stores it: the text lives in result_chunks; version 2 kept `text` here. */
type StoredResultHead = Omit<StoredResult, 'text'> & { readonly totalChars?: number; readonly text?: string };
export const DEFAULT_SQLITE_SWEEP_BATCH_SIZE = 1_000;
export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;
export const STATE_FILE_NAME = 'state.db';
/** Reads remembered for the LRU order before they are written (at the next write, sweep, or when this many). */
export const MAX_PENDING_TOUCHES = 1_024;

export interface SqliteStateStoreOptions {
  /** The folder holding state.db (mode 0700, created or tightened on open; docs/security.md#state-at-rest). */
  readonly dir: string;
  /** Bytes of stored values (UTF-8 JSON plus row overhead) held before least-recently-used eviction. */
  readonly maxBytes: number;
  readonly maxEntries: number;
  readonly cacheMaxEntryBytes: number;
  readonly clock?: Clock;
  /** Expired rows deleted per cleanupExpired() call. */
  readonly sweepBatchSize?: number;
  /** How long a write waits for another process's write lock on the file. */
  readonly busyTimeoutMs?: number;
  readonly maxValueDepth?: number;
  /** Operator log (stderr); may name host paths, unlike errors. */
  readonly log?: (line: string) => void;
}

const SQLITE_UNREADABLE = new Set(['SQLITE_NOTADB', 'SQLITE_CORRUPT', 'SQLITE_CORRUPT_VTAB']);

/**
 * Opens (creating or migrating) the store. A file that is not a readable SQLite database is moved aside
 * to `state.db.corrupt-<time>` next to it, kept, and reported as STATE_UNAVAILABLE naming that file
 * relative to the state folder; the next start begins with a fresh file.
 */
export class SqliteStateStore extends KeyValueStateStore implements StateStore {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly maxBytes: number;
  private readonly maxEntries: number;
  private readonly cacheMaxEntryBytes: number;
  private readonly sweepBatchSize: number;
  private readonly maxValueDepth: number;
  protected readonly clock: Clock;
  private readonly q: ReturnType<typeof prepare>;
  private readonly tx: ReturnType<SqliteStateStore['transactions']>;
  private evictions = 0;
  private readonly checkpointer: Checkpointer;
  /** Entries read since the last write, oldest first: their LRU mark is written with the next write. */
  private readonly touched = new Map<string, readonly [Namespace, string]>();
  /** An expired entry the last read came upon, deleted after that read. */
  private expiredSeen: readonly [Namespace, string] | undefined;

  constructor(options: SqliteStateStoreOptions) {
    super();
    this.maxBytes = positiveInt('maxBytes', options.maxBytes);
    this.maxEntries = positiveInt('maxEntries', options.maxEntries);
    this.cacheMaxEntryBytes = positiveInt('cacheMaxEntryBytes', options.cacheMaxEntryBytes);
    this.sweepBatchSize = positiveInt(
      'sweepBatchSize',
      options.sweepBatchSize ?? DEFAULT_SQLITE_SWEEP_BATCH_SIZE,
    );
    this.maxValueDepth = positiveInt('maxValueDepth', options.maxValueDepth ?? DEFAULT_MAX_VALUE_DEPTH);
    const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    this.clock = options.clock ?? systemClock;
    this.path = join(options.dir, STATE_FILE_NAME);
    try {
      mkdirSync(options.dir, { recursive: true, mode: STATE_DIR_MODE });
      report(options.dir, tighten(options.dir, STATE_DIR_MODE), STATE_DIR_MODE, options.log);
      // Created 0600 before SQLite opens it: -wal and -shm then inherit 0600 instead of the umask's 0644.
      createPrivateFile(this.path);
      tightenDatabaseFiles(this.path, options.log);
    } catch (err) {
      throw new BrutalistError('STATE_UNAVAILABLE', 'The state folder could not be created.', { cause: err });
    }
    let db: Database.Database | undefined;
    try {
      db = new Database(this.path, { timeout: busyTimeoutMs });
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma(`busy_timeout = ${Math.floor(busyTimeoutMs)}`);
      // Checkpoints run on a worker (sqlite-checkpointer.ts); this connection checkpoints only past the fallback.
      db.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
      migrate(db);
      this.q = prepare(db);
      this.db = db;
      this.tx = this.transactions();
      this.checkpointer = new Checkpointer(this.path, busyTimeoutMs, () => {
        if (!this.closed) this.db.pragma('wal_autocheckpoint = 1000');
      });
      // Side files an older version (or another tool) left loose are fixed now that WAL mode created them.
      tightenDatabaseFiles(this.path, options.log);
    } catch (err) {
      db?.close();
      throw this.openFailure(err, options.log);
    }
  }

  /** Transactions built once (better-sqlite3 wraps a function per call to transaction()). */
  private transactions() {
    const putResult = this.db.transaction(
      (key: string, json: string, bytes: number, expiresAt: number, chunks: readonly TextChunk[]) => {
        this.insert('result', key, json, bytes, expiresAt);
        for (const chunk of chunks) this.q.putChunk.run(key, chunk.start, chunk.text);
      },
    );
    const readResult = this.db.transaction((key: string): StoredResult | null => {
      const head = this.readEntry<StoredResultHead>('result', key);
      if (!head) return null;
      const { text, totalChars, ...rest } = head;
      if (typeof text === 'string') return { ...rest, text }; // stored whole by schema version 2
      const rows = this.q.allChunks.all(key) as TextChunk[];
      const whole = joinWindow(rows, 0, totalChars ?? 0);
      return whole.length === totalChars ? { ...rest, text: whole } : null;
    });
    const readPart = this.db.transaction((key: string, from: number, to: number): StoredResultPart | null => {
      const head = this.readEntry<StoredResultHead>('result', key);
      if (!head) return null;
      const { text, totalChars, ...rest } = head;
      if (typeof text === 'string') {
        const w = clampWindow(text.length, from, to);
        return { ...rest, totalChars: text.length, from: w.from, text: text.slice(w.from, w.to) };
      }
      if (typeof totalChars !== 'number') return null;
      const w = clampWindow(totalChars, from, to);
      if (w.to === w.from) return { ...rest, totalChars, from: w.from, text: '' };
      const rows = this.q.chunksBetween.all(key, w.from - RESULT_CHUNK_CHARS, w.to) as TextChunk[];
      const part = joinWindow(rows, w.from, w.to);
      // A missing chunk (damaged file) reads as no result, never as a short page.
      return part.length === w.to - w.from ? { ...rest, totalChars, from: w.from, text: part } : null;
    });
    const flushTouches = this.db.transaction(() => this.writeTouches());
    return { putResult, readResult, readPart, flushTouches };
  }

  async setCache(key: string, entry: CacheEntry, ttlMs: number, fence?: number): Promise<boolean> {
    this.assertOpen();
    checkKey(key);
    if (ttlMs === 0) return false;
    const ttl = checkTtl(ttlMs);
    const json = encodeValue(entry, this.maxValueDepth);
    const bytes = rowBytes('cache', key, json);
    if (bytes > Math.min(this.cacheMaxEntryBytes, this.maxBytes)) return false;
    return this.run(() =>
      this.db
        .transaction(() => {
          const now = this.clock.now();
          if (fence !== undefined) {
            const latest = this.q.getFence.get(key, now) as { fence: number } | undefined;
            if (latest && latest.fence > fence) return false;
          }
          this.insert('cache', key, json, bytes, now + ttl);
          return true;
        })
        .immediate(),
    );
  }

  /** The entry keeps the metadata and totalChars; the text goes to result_chunks, in the same transaction. */
  override async putResult(result: StoredResult, ttlMs: number): Promise<void> {
    this.assertOpen();
    const key = checkKey(result?.contextId);
    const ttl = checkTtl(ttlMs);
    const { text, ...head } = result;
    if (typeof text !== 'string')
      throw new BrutalistError('INVALID_ARGUMENT', 'A result needs a text string.');
    const json = encodeValue({ ...head, totalChars: text.length }, this.maxValueDepth);
    const chunks = splitChunks(text);
    const bytes =
      rowBytes('result', key, json) + Buffer.byteLength(text) + chunks.length * SQLITE_ROW_OVERHEAD_BYTES;
    if (bytes > this.maxBytes) {
      throw new BrutalistError('STATE_VALUE_TOO_LARGE', 'The result is too large to store for paging.', {
        data: { maxBytes: this.maxBytes },
      });
    }
    this.run(() => this.tx.putResult.immediate(key, json, bytes, this.clock.now() + ttl, chunks));
  }

  override async getResult(contextId: string): Promise<StoredResult | null> {
    this.assertOpen();
    checkKey(contextId);
    return this.run(() => this.afterRead(this.tx.readResult.deferred(contextId)));
  }

  /** Reads the entry and only the chunks that overlap [from, to), in one transaction. */
  override async getResultPart(
    contextId: string,
    from: number,
    to: number,
  ): Promise<StoredResultPart | null> {
    this.assertOpen();
    checkKey(contextId);
    const window = checkWindow(from, to);
    return this.run(() => this.afterRead(this.tx.readPart.deferred(contextId, window.from, window.to)));
  }

  async acquireLock(key: string, ttlMs: number): Promise<LockLease | null> {
    this.assertOpen();
    checkKey(key);
    const ttl = checkLockTtl(ttlMs);
    const token = newToken();
    return this.run(() =>
      this.db
        .transaction((): LockLease | null => {
          const now = this.clock.now();
          const held = this.q.getLock.get(key) as { expires_at: number } | undefined;
          if (held && held.expires_at > now) return null;
          const fence = Number((this.q.nextFence.get() as { value: string }).value);
          const expiresAt = now + ttl;
          this.q.putLock.run(key, token, fence, expiresAt);
          this.q.putFence.run(key, fence, expiresAt + FENCE_RETENTION_MS);
          return { key, token, fence, expiresAt };
        })
        .immediate(),
    );
  }

  async extendLock(lease: LockLease, ttlMs: number): Promise<LockLease | null> {
    this.assertOpen();
    const key = checkKey(lease?.key);
    const ttl = checkLockTtl(ttlMs);
    return this.run(() => {
      const now = this.clock.now();
      const expiresAt = now + ttl;
      const changed = this.q.extendLock.run(expiresAt, key, lease.token, now).changes;
      if (changed === 0) return null;
      this.q.extendFence.run(expiresAt + FENCE_RETENTION_MS, key, lease.fence);
      return { ...lease, expiresAt };
    });
  }

  async releaseLock(lease: LockLease): Promise<boolean> {
    this.assertOpen();
    const key = checkKey(lease?.key);
    return this.run(() => {
      const row = this.q.releaseLock.get(key, lease.token) as { expires_at: number } | undefined;
      return row !== undefined && row.expires_at > this.clock.now();
    });
  }

  async incrementCounter(key: string, ttlMs: number, by = 1): Promise<number> {
    this.assertOpen();
    checkKey(key);
    const ttl = checkTtl(ttlMs);
    const step = checkCounterStep(by);
    return this.run(() => {
      const now = this.clock.now();
      const row = this.q.incr.get({ key, step, expiresAt: now + ttl, now }) as { value: number };
      return row.value;
    });
  }

  async sharedSecret(name: string): Promise<string> {
    this.assertOpen();
    const settingName = `secret:${checkKey(name)}`;
    return this.run(() => {
      this.q.putSettingIfMissing.run(settingName, `${newToken()}${newToken()}`);
      return (this.q.getSetting.get(settingName) as { value: string }).value;
    });
  }

  async cleanupExpired(): Promise<number> {
    this.assertOpen();
    return this.run(() =>
      this.db
        .transaction(() => {
          const now = this.clock.now();
          this.writeTouches();
          const removed = this.q.sweepEntries.run(now, this.sweepBatchSize).changes;
          this.q.sweepLocks.run(now, this.sweepBatchSize);
          this.q.sweepFences.run(now, this.sweepBatchSize);
          this.q.sweepCounters.run(now, this.sweepBatchSize);
          return removed;
        })
        .immediate(),
    );
  }

  async stats(): Promise<StateStoreStats> {
    this.assertOpen();
    const totals = this.run(() => this.q.totals.get() as { entries: number; bytes: number });
    return {
      entries: totals.entries,
      bytes: totals.bytes,
      evictions: this.evictions,
      cacheHits: this.cacheHits,
      cacheMisses: this.cacheMisses,
    };
  }

  async health(): Promise<StoreHealth> {
    this.assertOpen();
    this.run(() => this.q.totals.get());
    return { backend: 'sqlite', status: 'ok' };
  }

  /**
   * Writes a consistent copy of the live file to `destination` (SQLite's online backup: writers go on while
   * it runs). Restore by stopping the server and putting the copy in the state folder as `state.db`.
   */
  async backup(destination: string): Promise<void> {
    this.assertOpen();
    try {
      // The copy holds everything the live file does: private from its first byte, and after SQLite is done.
      createPrivateFile(destination);
      await this.db.backup(destination);
      tighten(destination, STATE_FILE_MODE);
    } catch (err) {
      throw new BrutalistError('STATE_UNAVAILABLE', 'The state backup failed.', { cause: err });
    }
  }

  /** Closes the file (checkpointing the WAL); later calls throw STATE_UNAVAILABLE. Closing twice is harmless. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.touched.size > 0) this.tx.flushTouches.immediate();
    } catch {
      // The LRU marks are a hint; closing must not fail over them.
    }
    this.checkpointer.close();
    this.db.close();
  }

  /** Runs a statement, mapping SQLite failures (busy past the timeout, disk full, I/O) to STATE_UNAVAILABLE. */
  private run<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof BrutalistError) throw err;
      if (err instanceof Database.SqliteError && err.code === 'SQLITE_TOOBIG') {
        // Past SQLite's own length limit: retrying cannot help, so it is not an outage.
        throw new BrutalistError('STATE_VALUE_TOO_LARGE', 'The value is too large for the state file.', {
          cause: err,
        });
      }
      if (err instanceof Database.SqliteError) {
        throw new BrutalistError('STATE_UNAVAILABLE', `The state file failed (${err.code}).`, {
          cause: err,
          data: { sqliteCode: err.code },
        });
      }
      throw err;
    }
  }

  protected del(ns: Namespace, key: unknown): void {
    this.run(() => this.q.del.run(ns, checkKey(key)));
  }

  protected get<T>(ns: Namespace, key: string): T | null {
    this.assertOpen();
    checkKey(key);
    return this.run(() => this.afterRead(this.readEntry<T>(ns, key)));
  }

  /**
   * The live value, or null. A read writes nothing (no write lock, no commit): its LRU mark waits in `touched`
   * for the next write, and an expired entry is deleted by afterRead.
   */
  private readEntry<T>(ns: Namespace, key: string): T | null {
    const row = this.q.get.get(ns, key) as { value: string; expires_at: number } | undefined;
    if (!row) return null;
    if (row.expires_at <= this.clock.now()) {
      this.expiredSeen = [ns, key];
      return null;
    }
    const id = `${ns}\u0000${key}`;
    this.touched.delete(id);
    this.touched.set(id, [ns, key]);
    return JSON.parse(row.value) as T;
  }

  /** Deletes what the read found expired (unless rewritten since), and writes the LRU marks when too many wait. */
  private afterRead<T>(value: T): T {
    const expired = this.expiredSeen;
    this.expiredSeen = undefined;
    if (expired) this.q.delExpired.run(expired[0], expired[1], this.clock.now());
    if (this.touched.size >= MAX_PENDING_TOUCHES) this.tx.flushTouches.immediate();
    return value;
  }

  /** Writes the waiting LRU marks, oldest read first (inside the caller's write transaction). */
  private writeTouches(): void {
    for (const [ns, key] of this.touched.values()) this.q.touch.run(ns, key);
    this.touched.clear();
  }

  protected put(ns: Namespace, key: unknown, value: unknown, ttlMs: number, tooLarge: string): void {
    this.assertOpen();
    const k = checkKey(key);
    const json = encodeValue(value, this.maxValueDepth);
    const bytes = rowBytes(ns, k, json);
    if (bytes > this.maxBytes) {
      throw new BrutalistError('STATE_VALUE_TOO_LARGE', tooLarge, { data: { maxBytes: this.maxBytes } });
    }
    this.run(() =>
      this.db.transaction(() => this.insert(ns, k, json, bytes, this.clock.now() + ttlMs)).immediate(),
    );
  }

  /** Upserts one row, then evicts least-recently-used rows until the totals fit (inside the caller's transaction). */
  private insert(ns: Namespace, key: string, json: string, bytes: number, expiresAt: number): void {
    // Eviction below must see the reads made since the last write.
    this.writeTouches();
    this.q.del.run(ns, key);
    for (;;) {
      const totals = this.q.totals.get() as { entries: number; bytes: number };
      if (totals.entries + 1 <= this.maxEntries && totals.bytes + bytes <= this.maxBytes) break;
      if (this.q.evictOldest.run().changes === 0) break;
      this.evictions++;
    }
    this.q.insert.run(ns, key, json, bytes, expiresAt);
    this.checkpointer.wrote(bytes);
  }

  private openFailure(err: unknown, log: ((line: string) => void) | undefined): BrutalistError {
    if (err instanceof BrutalistError) return err;
    const code = err instanceof Database.SqliteError ? err.code : undefined;
    if (code && SQLITE_UNREADABLE.has(code)) {
      const aside = `${this.path}.corrupt-${this.clock.now()}`;
      try {
        renameSync(this.path, aside);
        for (const suffix of ['-wal', '-shm']) {
          if (existsSync(this.path + suffix)) renameSync(this.path + suffix, aside + suffix);
        }
      } catch (moveErr) {
        log?.(`brutalist-mcp: state file ${this.path} is unreadable and could not be moved aside`);
        return new BrutalistError(
          'STATE_UNAVAILABLE',
          `The state file ${STATE_FILE_NAME} is unreadable (${code}) and could not be moved aside; move or delete it in the state folder.`,
          { cause: moveErr, data: { sqliteCode: code } },
        );
      }
      log?.(`brutalist-mcp: state file was unreadable (${code}); moved aside to ${aside}`);
      return new BrutalistError(
        'STATE_UNAVAILABLE',
        `The state file was unreadable (${code}) and was moved aside to ${basename(aside)} in the state folder; it is kept there, and the next start begins with a new file.`,
        { cause: err, data: { sqliteCode: code, movedTo: basename(aside) } },
      );
    }
    return new BrutalistError('STATE_UNAVAILABLE', 'The state file could not be opened.', {
      cause: err,
      ...(code ? { data: { sqliteCode: code } } : {}),
    });
  }
}

function rowBytes(ns: string, key: string, json: string): number {
  return SQLITE_ROW_OVERHEAD_BYTES + ns.length + Buffer.byteLength(key) + Buffer.byteLength(json);
}

function prepare(db: Database.Database) {
  return {
    get: db.prepare('SELECT value, expires_at FROM entries WHERE ns = ? AND key = ?'),
    del: db.prepare('DELETE FROM entries WHERE ns = ? AND key = ?'),
    delExpired: db.prepare('DELETE FROM entries WHERE ns = ? AND key = ? AND expires_at <= ?'),
    touch: db.prepare(
      'UPDATE entries SET used_seq = (SELECT IFNULL(MAX(used_seq), 0) + 1 FROM entries) WHERE ns = ? AND key = ?',
    ),
    insert: db.prepare(
      `INSERT INTO entries (ns, key, value, bytes, expires_at, used_seq)
       VALUES (?, ?, ?, ?, ?, (SELECT IFNULL(MAX(used_seq), 0) + 1 FROM entries))`,
    ),
    totals: db.prepare('SELECT entries, bytes FROM totals WHERE id = 1'),
    evictOldest: db.prepare(
      'DELETE FROM entries WHERE (ns, key) IN (SELECT ns, key FROM entries ORDER BY used_seq LIMIT 1)',
    ),
    sweepEntries: db.prepare(
      'DELETE FROM entries WHERE (ns, key) IN (SELECT ns, key FROM entries WHERE expires_at <= ? LIMIT ?)',
    ),
    sweepLocks: db.prepare(
      'DELETE FROM locks WHERE key IN (SELECT key FROM locks WHERE expires_at <= ? LIMIT ?)',
    ),
    sweepFences: db.prepare(
      'DELETE FROM fences WHERE key IN (SELECT key FROM fences WHERE expires_at <= ? LIMIT ?)',
    ),
    sweepCounters: db.prepare(
      'DELETE FROM counters WHERE key IN (SELECT key FROM counters WHERE expires_at <= ? LIMIT ?)',
    ),
    getLock: db.prepare('SELECT expires_at FROM locks WHERE key = ?'),
    putLock: db.prepare('INSERT OR REPLACE INTO locks (key, token, fence, expires_at) VALUES (?, ?, ?, ?)'),
    extendLock: db.prepare('UPDATE locks SET expires_at = ? WHERE key = ? AND token = ? AND expires_at > ?'),
    releaseLock: db.prepare('DELETE FROM locks WHERE key = ? AND token = ? RETURNING expires_at'),
    nextFence: db.prepare(
      "UPDATE settings SET value = CAST(value AS INTEGER) + 1 WHERE name = 'fence_seq' RETURNING value",
    ),
    putFence: db.prepare('INSERT OR REPLACE INTO fences (key, fence, expires_at) VALUES (?, ?, ?)'),
    extendFence: db.prepare('UPDATE fences SET expires_at = ? WHERE key = ? AND fence = ?'),
    getFence: db.prepare('SELECT fence FROM fences WHERE key = ? AND expires_at > ?'),
    incr: db.prepare(
      `INSERT INTO counters (key, value, expires_at) VALUES (@key, @step, @expiresAt)
       ON CONFLICT (key) DO UPDATE SET
         value = CASE WHEN counters.expires_at > @now THEN counters.value + @step ELSE @step END,
         expires_at = CASE WHEN counters.expires_at > @now THEN counters.expires_at ELSE @expiresAt END
       RETURNING value`,
    ),
    getSetting: db.prepare('SELECT value FROM settings WHERE name = ?'),
    putChunk: db.prepare('INSERT INTO result_chunks (key, start, text) VALUES (?, ?, ?)'),
    allChunks: db.prepare('SELECT start, text FROM result_chunks WHERE key = ? ORDER BY start'),
    // Chunks are at most RESULT_CHUNK_CHARS long, so every one overlapping [from, to) starts in (from - that, to).
    chunksBetween: db.prepare(
      'SELECT start, text FROM result_chunks WHERE key = ? AND start > ? AND start < ? ORDER BY start',
    ),
    putSettingIfMissing: db.prepare('INSERT OR IGNORE INTO settings (name, value) VALUES (?, ?)'),
  };
}
