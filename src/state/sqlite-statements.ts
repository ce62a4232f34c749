/** The SQLite store's prepared statements, and how many bytes a row counts for against the store's limit. */
import type Database from 'better-sqlite3';

/** Per-row bookkeeping (key columns, index entries, page overhead) counted on top of the value's bytes. */
export const SQLITE_ROW_OVERHEAD_BYTES = 64;

export function rowBytes(ns: string, key: string, json: string): number {
  return SQLITE_ROW_OVERHEAD_BYTES + ns.length + Buffer.byteLength(key) + Buffer.byteLength(json);
}

/** The SQL of every statement the store runs, by name. */
const SQL = {
  get: 'SELECT value, expires_at FROM entries WHERE ns = ? AND key = ?',
  del: 'DELETE FROM entries WHERE ns = ? AND key = ?',
  delExpired: 'DELETE FROM entries WHERE ns = ? AND key = ? AND expires_at <= ?',
  // The LRU order lives in entry_use (schema 4): a read's mark updates that small row, never the entry's value.
  touch:
    'UPDATE entry_use SET used_seq = (SELECT IFNULL(MAX(used_seq), 0) + 1 FROM entry_use) WHERE ns = ? AND key = ?',
  insert: 'INSERT INTO entries (ns, key, value, bytes, expires_at, used_seq) VALUES (?, ?, ?, ?, ?, 0)',
  insertUse: `INSERT INTO entry_use (ns, key, used_seq)
     VALUES (?, ?, (SELECT IFNULL(MAX(used_seq), 0) + 1 FROM entry_use))`,
  totals: 'SELECT entries, bytes FROM totals WHERE id = 1',
  // Tasks and task lists are pinned: never evicted (bounded by taskMaxTotal instead).
  evictOldest: `DELETE FROM entries WHERE (ns, key) IN
     (SELECT ns, key FROM entry_use WHERE ns NOT IN ('task', 'tasklist') ORDER BY used_seq LIMIT 1)`,
  countLive: 'SELECT COUNT(*) AS n FROM entries WHERE ns = ? AND expires_at > ?',
  sweepEntries:
    'DELETE FROM entries WHERE (ns, key) IN (SELECT ns, key FROM entries WHERE expires_at <= ? LIMIT ?)',
  sweepLocks: 'DELETE FROM locks WHERE key IN (SELECT key FROM locks WHERE expires_at <= ? LIMIT ?)',
  sweepFences: 'DELETE FROM fences WHERE key IN (SELECT key FROM fences WHERE expires_at <= ? LIMIT ?)',
  sweepCounters: 'DELETE FROM counters WHERE key IN (SELECT key FROM counters WHERE expires_at <= ? LIMIT ?)',
  getLock: 'SELECT expires_at FROM locks WHERE key = ?',
  putLock: 'INSERT OR REPLACE INTO locks (key, token, fence, expires_at) VALUES (?, ?, ?, ?)',
  extendLock: 'UPDATE locks SET expires_at = ? WHERE key = ? AND token = ? AND expires_at > ?',
  releaseLock: 'DELETE FROM locks WHERE key = ? AND token = ? RETURNING expires_at',
  nextFence:
    "UPDATE settings SET value = CAST(value AS INTEGER) + 1 WHERE name = 'fence_seq' RETURNING value",
  putFence: 'INSERT OR REPLACE INTO fences (key, fence, expires_at) VALUES (?, ?, ?)',
  extendFence: 'UPDATE fences SET expires_at = ? WHERE key = ? AND fence = ?',
  getFence: 'SELECT fence FROM fences WHERE key = ? AND expires_at > ?',
  incr: `INSERT INTO counters (key, value, expires_at) VALUES (@key, @step, @expiresAt)
     ON CONFLICT (key) DO UPDATE SET
       value = CASE WHEN counters.expires_at > @now THEN counters.value + @step ELSE @step END,
       expires_at = CASE WHEN counters.expires_at > @now THEN counters.expires_at ELSE @expiresAt END
     RETURNING value`,
  getSetting: 'SELECT value FROM settings WHERE name = ?',
  putChunk: 'INSERT INTO result_chunks (key, start, text, width) VALUES (?, ?, ?, ?)',
  allChunks: 'SELECT start, width, text AS part FROM result_chunks WHERE key = ? ORDER BY start',
  // Chunks are at most RESULT_CHUNK_CHARS long, so every one overlapping [from, to) starts in (from - that, to).
  // A chunk with a width is cut to the window here (substr counts bytes in a BLOB); a version 3 chunk (UTF-8 TEXT,
  // where substr would count code points) comes whole and is cut by the caller.
  chunksBetween: `SELECT start, width, CASE WHEN width IS NULL THEN text
       ELSE substr(text, width * max(@from - start, 0) + 1, width * (@to - max(@from, start))) END AS part
     FROM result_chunks WHERE key = @key AND start > @from - @chunkChars AND start < @to ORDER BY start`,
  putSettingIfMissing: 'INSERT OR IGNORE INTO settings (name, value) VALUES (?, ?)',
};

/** Every statement the store runs, prepared once per connection. */
export type Statements = { readonly [K in keyof typeof SQL]: Database.Statement };

export function prepare(db: Database.Database): Statements {
  const prepared: Partial<Record<keyof typeof SQL, Database.Statement>> = {};
  for (const name of Object.keys(SQL) as Array<keyof typeof SQL>) prepared[name] = db.prepare(SQL[name]);
  // Every key of SQL was set just above.
  return prepared as Statements;
}
