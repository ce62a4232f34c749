/** State at rest: the state folder is 0700 and every state file (db, -wal, -shm, backups) 0600, on every open. */
import { chmodSync, closeSync, constants, openSync, statSync } from 'node:fs';

export const STATE_DIR_MODE = 0o700;
export const STATE_FILE_MODE = 0o600;
/** SQLite's companions of a database file in WAL mode. */
export const SQLITE_SIDE_FILES = ['-wal', '-shm'] as const;

const PERMISSION_BITS = 0o777;
const STICKY_BIT = 0o1000;

/** On Windows chmod only toggles read-only; POSIX modes do not apply there. */
const POSIX = process.platform !== 'win32';

/**
 * Sets `mode` on `path` when it exists, is ours and is looser or different. A folder that is not ours, or that
 * carries the sticky bit (a shared folder such as /tmp named as stateDir), is left alone and reported instead:
 * tightening it would lock other users out of their own files. Returns what it did, for the operator log.
 */
export function tighten(path: string, mode: number): 'tightened' | 'ok' | 'missing' | 'not-ours' {
  if (!POSIX) return 'ok';
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(path);
  } catch {
    return 'missing';
  }
  if ((stats.mode & PERMISSION_BITS) === mode) return 'ok';
  const uid = process.getuid?.();
  if ((uid !== undefined && stats.uid !== uid) || (stats.isDirectory() && stats.mode & STICKY_BIT)) {
    return 'not-ours';
  }
  chmodSync(path, mode);
  return 'tightened';
}

/**
 * Creates `path` empty with mode 0600 when it does not exist, so that SQLite (which gives -wal and -shm the
 * mode of the database file) never creates anything with the umask's looser default.
 */
export function createPrivateFile(path: string): void {
  try {
    closeSync(openSync(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, STATE_FILE_MODE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/** Tightens a database file and its side files; names every path it had to fix or could not. */
export function tightenDatabaseFiles(dbPath: string, log?: (line: string) => void): void {
  for (const path of [dbPath, ...SQLITE_SIDE_FILES.map((suffix) => dbPath + suffix)]) {
    report(path, tighten(path, STATE_FILE_MODE), STATE_FILE_MODE, log);
  }
}

export function report(
  path: string,
  outcome: ReturnType<typeof tighten>,
  mode: number,
  log?: (line: string) => void,
): void {
  const octal = mode.toString(8).padStart(4, '0');
  if (outcome === 'tightened') log?.(`brutalist-mcp: state: ${path} was readable by others; set to ${octal}`);
  if (outcome === 'not-ours') {
    log?.(`brutalist-mcp: state: ${path} is shared or not owned by this user; left as it is (want ${octal})`);
  }
}
