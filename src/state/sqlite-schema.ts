/** The SQLite store's schema as forward-only migrations, applied one transaction each on a live file. */
import type BetterSqlite3 from 'better-sqlite3';

type Database = BetterSqlite3.Database;

import { BrutalistError } from '../errors/index.js';

/**
 * Migration N takes the file from user_version N-1 to N. Never edit or reorder a shipped one: add the
 * next. Each runs in its own BEGIN IMMEDIATE transaction that re-reads user_version first, so two
 * processes starting on the same file at once apply every step exactly once.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: entries for every namespace, with LRU order and running totals kept by triggers.
  `CREATE TABLE entries (
     ns TEXT NOT NULL,
     key TEXT NOT NULL,
     value TEXT NOT NULL,
     bytes INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     used_seq INTEGER NOT NULL,
     PRIMARY KEY (ns, key)
   ) WITHOUT ROWID;
   CREATE INDEX entries_expires ON entries (expires_at);
   CREATE INDEX entries_used ON entries (used_seq);
   CREATE TABLE totals (id INTEGER PRIMARY KEY CHECK (id = 1), entries INTEGER NOT NULL, bytes INTEGER NOT NULL);
   INSERT INTO totals VALUES (1, 0, 0);
   CREATE TRIGGER entries_ins AFTER INSERT ON entries BEGIN
     UPDATE totals SET entries = entries + 1, bytes = bytes + NEW.bytes WHERE id = 1;
   END;
   CREATE TRIGGER entries_del AFTER DELETE ON entries BEGIN
     UPDATE totals SET entries = entries - 1, bytes = bytes - OLD.bytes WHERE id = 1;
   END;
   CREATE TRIGGER entries_upd AFTER UPDATE OF bytes ON entries BEGIN
     UPDATE totals SET bytes = bytes - OLD.bytes + NEW.bytes WHERE id = 1;
   END;`,
  // 2: locks with fencing, counters for rate limits, and store-wide settings (secrets, fence sequence).
  `CREATE TABLE locks (key TEXT PRIMARY KEY, token TEXT NOT NULL, fence INTEGER NOT NULL, expires_at INTEGER NOT NULL);
   CREATE TABLE fences (key TEXT PRIMARY KEY, fence INTEGER NOT NULL, expires_at INTEGER NOT NULL);
   CREATE INDEX fences_expires ON fences (expires_at);
   CREATE TABLE counters (key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires_at INTEGER NOT NULL);
   CREATE INDEX counters_expires ON counters (expires_at);
   CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
   INSERT INTO settings VALUES ('fence_seq', '0');`,
  // 3: result text in chunks beside its entry (the entry keeps the rest and totalChars), so a page reads only the
  // chunks it needs. Deleting the entry (replace, expiry, eviction) deletes its chunks. Results stored whole by
  // version 2 stay readable as they are.
  `CREATE TABLE result_chunks (key TEXT NOT NULL, start INTEGER NOT NULL, text TEXT NOT NULL);
   CREATE UNIQUE INDEX result_chunks_key ON result_chunks (key, start);
   CREATE TRIGGER entries_del_result AFTER DELETE ON entries WHEN OLD.ns = 'result' BEGIN
     DELETE FROM result_chunks WHERE key = OLD.key;
   END;`,
  // 4: the LRU order moves to its own small table, so marking a read rewrites a few bytes, not the entry's row (whose
  // value can be megabytes); the order carries over through the covering index it replaces, and entries.used_seq is
  // no longer read (dropping a column would rewrite the table). Chunks gain `width`: 1 (Latin-1 bytes) or 2 (UTF-16LE
  // bytes) per code unit, so a window is cut in SQL and decoded by a copy; rows from version 3 keep width NULL and
  // their UTF-8 text, and stay readable.
  `CREATE TABLE entry_use (
     ns TEXT NOT NULL,
     key TEXT NOT NULL,
     used_seq INTEGER NOT NULL,
     PRIMARY KEY (ns, key)
   ) WITHOUT ROWID;
   INSERT INTO entry_use (ns, key, used_seq) SELECT ns, key, used_seq FROM entries INDEXED BY entries_used;
   CREATE INDEX entry_use_seq ON entry_use (used_seq);
   DROP INDEX entries_used;
   CREATE TRIGGER entries_del_use AFTER DELETE ON entries BEGIN
     DELETE FROM entry_use WHERE ns = OLD.ns AND key = OLD.key;
   END;
   ALTER TABLE result_chunks ADD COLUMN width INTEGER;`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the file up to SCHEMA_VERSION; refuses a file written by a newer version of this server. */
export function migrate(db: Database, migrations: readonly string[] = MIGRATIONS): number {
  let applied = 0;
  for (;;) {
    const step = db.transaction(() => {
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > migrations.length) {
        throw new BrutalistError(
          'STATE_UNAVAILABLE',
          `The state file has schema version ${version}, newer than this server knows (${migrations.length}); upgrade the server or point stateDir elsewhere.`,
          { data: { schemaVersion: version, known: migrations.length } },
        );
      }
      if (version === migrations.length) return false;
      db.exec(migrations[version]!);
      db.pragma(`user_version = ${version + 1}`);
      return true;
    });
    if (!step.immediate()) return applied;
    applied++;
  }
}
