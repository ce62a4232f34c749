/** The SQLite state file: opening it (private modes, WAL, migrations), moving an unreadable one aside, and its errors. */
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { basename } from 'node:path';
import Database from 'better-sqlite3';
import { BrutalistError } from '../errors/index.js';
import {
  createPrivateFile,
  report,
  STATE_DIR_MODE,
  STATE_FILE_MODE,
  tighten,
  tightenDatabaseFiles,
} from './file-modes.js';
import { FALLBACK_AUTOCHECKPOINT_PAGES } from './sqlite-checkpointer.js';
import { migrate } from './sqlite-schema.js';

export const STATE_FILE_NAME = 'state.db';

const SQLITE_UNREADABLE = new Set(['SQLITE_NOTADB', 'SQLITE_CORRUPT', 'SQLITE_CORRUPT_VTAB']);

/** Creates (or tightens) the state folder and creates `path` 0600 in it, before SQLite opens the file. */
export function prepareStateFolder(
  dir: string,
  path: string,
  log: ((line: string) => void) | undefined,
): void {
  try {
    mkdirSync(dir, { recursive: true, mode: STATE_DIR_MODE });
    report(dir, tighten(dir, STATE_DIR_MODE), STATE_DIR_MODE, log);
    // Created 0600 before SQLite opens it: -wal and -shm then inherit 0600 instead of the umask's 0644.
    createPrivateFile(path);
    tightenDatabaseFiles(path, log);
  } catch (err) {
    throw new BrutalistError('STATE_UNAVAILABLE', 'The state folder could not be created.', { cause: err });
  }
}

/**
 * The page cache when no size is given (config sqliteCacheBytes has the same default). better-sqlite3 builds
 * SQLite with a 16 MB cache, and a connection keeps what it filled: one 8 MiB critique written left ~9 MB resident.
 */
export const DEFAULT_SQLITE_CACHE_BYTES = 2 * 1024 * 1024;

/** Opens the file in WAL mode and brings its schema up to date; SQLite errors pass through (see openFailure). */
export function openDatabase(
  path: string,
  busyTimeoutMs: number,
  cacheBytes: number = DEFAULT_SQLITE_CACHE_BYTES,
): Database.Database {
  const db = new Database(path, { timeout: busyTimeoutMs });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // Negative: a size in KiB, not in pages.
    db.pragma(`cache_size = ${-Math.max(1, Math.ceil(cacheBytes / 1024))}`);
    db.pragma(`busy_timeout = ${Math.floor(busyTimeoutMs)}`);
    // Checkpoints run on a worker (sqlite-checkpointer.ts); this connection checkpoints only past the fallback.
    db.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
    migrate(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * The error for a file that failed to open. A file that is not a readable SQLite database is moved aside to
 * `state.db.corrupt-<now>` next to it, kept, and reported as STATE_UNAVAILABLE naming that file relative to
 * the state folder; the next start begins with a fresh file.
 */
export function openFailure(
  path: string,
  err: unknown,
  now: number,
  log: ((line: string) => void) | undefined,
): BrutalistError {
  if (err instanceof BrutalistError) return err;
  const code = err instanceof Database.SqliteError ? err.code : undefined;
  if (code && SQLITE_UNREADABLE.has(code)) {
    const aside = `${path}.corrupt-${now}`;
    try {
      renameSync(path, aside);
      for (const suffix of ['-wal', '-shm']) {
        if (existsSync(path + suffix)) renameSync(path + suffix, aside + suffix);
      }
    } catch (moveErr) {
      log?.(`brutalist-mcp: state file ${path} is unreadable and could not be moved aside`);
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

/** Runs a statement, mapping SQLite failures (busy past the timeout, disk full, I/O) to STATE_UNAVAILABLE. */
export function runSqlite<T>(fn: () => T): T {
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

/** SQLite's online backup of `db` to `destination`, private (0600) from its first byte to the end. */
export async function backupDatabase(db: Database.Database, destination: string): Promise<void> {
  try {
    createPrivateFile(destination);
    await db.backup(destination);
    tighten(destination, STATE_FILE_MODE);
  } catch (err) {
    throw new BrutalistError('STATE_UNAVAILABLE', 'The state backup failed.', { cause: err });
  }
}
