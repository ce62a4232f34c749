/** SqliteStateStore: the embedded durable StateStore — one SQLite file (WAL), bounded, shared by local processes. */
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { BrutalistError } from '../errors/index.js';
import { type Clock, newToken } from '../infra/index.js';
import { tightenDatabaseFiles } from './file-modes.js';
import { KeyValueStateStore, type Namespace } from './key-value-store.js';
import {
  decodePieces,
  type EncodedChunk,
  joinPieces,
  planChunks,
  RESULT_CHUNK_CHARS,
  resultPart,
  type StoredPiece,
  type StoredResultHead,
  splitResult,
  wholeResult,
} from './result-chunks.js';
import { Checkpointer } from './sqlite-checkpointer.js';
import {
  backupDatabase,
  openDatabase,
  openFailure,
  prepareStateFolder,
  runSqlite,
  STATE_FILE_NAME,
} from './sqlite-file.js';
import { SqliteLocks } from './sqlite-locks.js';
import { prepare, rowBytes, SQLITE_ROW_OVERHEAD_BYTES, type Statements } from './sqlite-statements.js';
import type {
  BackendStateStore,
  CacheEntry,
  LockLease,
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
  encodeValue,
  positiveInt,
} from './validate.js';

export { DEFAULT_SQLITE_CACHE_BYTES, STATE_FILE_NAME } from './sqlite-file.js';
export { SQLITE_ROW_OVERHEAD_BYTES } from './sqlite-statements.js';

export const DEFAULT_SQLITE_SWEEP_BATCH_SIZE = 1_000;
export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;
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
  /** SQLite's page cache for this connection (config sqliteCacheBytes). Default DEFAULT_SQLITE_CACHE_BYTES. */
  readonly cacheBytes?: number;
  /** WAL bytes between checkpoints on the worker thread (config sqliteCheckpointBytes). */
  readonly checkpointBytes?: number;
}

/**
 * Opens (creating or migrating) the store. A file that is not a readable SQLite database is moved aside
 * and reported as STATE_UNAVAILABLE (see openFailure in sqlite-file.ts); the next start begins afresh.
 */
export class SqliteStateStore extends KeyValueStateStore implements BackendStateStore {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly maxBytes: number;
  private readonly maxEntries: number;
  private readonly q: Statements;
  private readonly tx: ReturnType<SqliteStateStore['transactions']>;
  private readonly locks: SqliteLocks;
  private evictions = 0;
  private readonly checkpointer: Checkpointer;
  /** Entries read since the last write, oldest first: their LRU mark is written with the next write. */
  private readonly touched = new Map<string, readonly [Namespace, string]>();
  /** An expired entry the last read came upon, deleted after that read. */
  private expiredSeen: readonly [Namespace, string] | undefined;

  constructor(options: SqliteStateStoreOptions) {
    super(options, DEFAULT_SQLITE_SWEEP_BATCH_SIZE);
    this.maxBytes = positiveInt('maxBytes', options.maxBytes);
    this.maxEntries = positiveInt('maxEntries', options.maxEntries);
    const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    this.path = join(options.dir, STATE_FILE_NAME);
    prepareStateFolder(options.dir, this.path, options.log);
    let db: Database.Database | undefined;
    try {
      db = openDatabase(this.path, busyTimeoutMs, options.cacheBytes);
      this.q = prepare(db);
      this.db = db;
      this.tx = this.transactions();
      this.locks = new SqliteLocks(db, this.q, this.clock);
      this.checkpointer = new Checkpointer(
        this.path,
        busyTimeoutMs,
        () => {
          if (!this.closed) this.db.pragma('wal_autocheckpoint = 1000');
        },
        options.checkpointBytes,
      );
      // Side files an older version (or another tool) left loose are fixed now that WAL mode created them.
      tightenDatabaseFiles(this.path, options.log);
    } catch (err) {
      db?.close();
      throw openFailure(this.path, err, this.clock.now(), options.log);
    }
  }

  /** Transactions built once (better-sqlite3 wraps a function per call to transaction()). */
  private transactions() {
    const putResult = this.db.transaction(
      (key: string, json: string, bytes: number, expiresAt: number, chunks: Iterable<EncodedChunk>) => {
        this.insert('result', key, json, bytes, expiresAt);
        for (const c of chunks) this.q.putChunk.run(key, c.start, c.bytes, c.width);
      },
    );
    const readResult = this.db.transaction((key: string): StoredResult | null => {
      const head = this.readEntry<StoredResultHead>('result', key);
      return (
        head &&
        wholeResult(head, (total) => {
          const pieces = decodePieces(this.q.allChunks.all(key) as StoredPiece[], 0, total);
          return pieces && joinPieces(pieces);
        })
      );
    });
    const readPart = this.db.transaction((key: string, from: number, to: number): StoredResultPart | null => {
      const head = this.readEntry<StoredResultHead>('result', key);
      return head && resultPart(head, from, to, (start, end) => this.window(key, start, end));
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
    const { head, text } = splitResult(result);
    const json = encodeValue(head, this.maxValueDepth);
    // Each chunk is encoded as the transaction writes it, into one reused buffer (the bind copies it): the text's
    // bytes never exist all at once beside it, nor as garbage after it.
    const plan = planChunks(text);
    const bytes = rowBytes('result', key, json) + plan.bytes + plan.chunks.length * SQLITE_ROW_OVERHEAD_BYTES;
    if (bytes > this.maxBytes) {
      throw new BrutalistError('STATE_VALUE_TOO_LARGE', 'The result is too large to store for paging.', {
        data: { maxBytes: this.maxBytes },
      });
    }
    this.run(() => this.tx.putResult.immediate(key, json, bytes, this.clock.now() + ttl, plan.encode(true)));
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
    return this.run(() => this.locks.acquire(key, ttl));
  }

  async extendLock(lease: LockLease, ttlMs: number): Promise<LockLease | null> {
    this.assertOpen();
    const key = checkKey(lease?.key);
    const ttl = checkLockTtl(ttlMs);
    return this.run(() => this.locks.extend(lease, key, ttl));
  }

  async releaseLock(lease: LockLease): Promise<boolean> {
    this.assertOpen();
    const key = checkKey(lease?.key);
    return this.run(() => this.locks.release(key, lease.token));
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
    await backupDatabase(this.db, destination);
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

  /** Code units [from, to) of a result's text (clamped), one string per chunk that overlaps them. */
  private window(key: string, from: number, to: number): string[] | undefined {
    if (from === to) return [];
    const pieces = this.q.chunksBetween.all({
      key,
      from,
      to,
      chunkChars: RESULT_CHUNK_CHARS,
    }) as StoredPiece[];
    return decodePieces(pieces, from, to);
  }

  /** Runs a statement, mapping SQLite failures to BrutalistErrors (see runSqlite). */
  private run<T>(fn: () => T): T {
    return runSqlite(fn);
  }

  protected del(ns: Namespace, key: unknown): void {
    this.run(() => this.q.del.run(ns, checkKey(key)));
  }

  protected countLive(ns: Namespace): number {
    this.assertOpen();
    return this.run(() => (this.q.countLive.get(ns, this.clock.now()) as { n: number }).n);
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
    this.q.insertUse.run(ns, key);
    this.checkpointer.wrote(bytes);
  }
}
