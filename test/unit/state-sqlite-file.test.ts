/** The SQLite file's error mapping and file modes, on real files: what each failure becomes, and what is moved or kept. */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { BrutalistError, isBrutalistError } from '../../src/errors/index.js';
import { createPrivateFile, tighten } from '../../src/state/file-modes.js';
import { openFailure, prepareStateFolder, runSqlite } from '../../src/state/sqlite-file.js';

const root = mkdtempSync(join(tmpdir(), 'brutalist-sqlite-file-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const newDir = () => {
  const dir = join(root, `d${n++}`);
  mkdirSync(dir);
  return dir;
};

/** A real SqliteError from better-sqlite3 (a statement on a table that does not exist). */
function realSqliteError(): unknown {
  const db = new Database(':memory:');
  try {
    db.prepare('SELECT * FROM missing').all();
  } catch (err) {
    return err;
  } finally {
    db.close();
  }
  throw new Error('expected SQLite to fail');
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('openFailure', () => {
  it('passes a BrutalistError through as it is', () => {
    const own = new BrutalistError('STATE_UNAVAILABLE', 'already typed');
    expect(openFailure('/nowhere/state.db', own, 1, undefined)).toBe(own);
  });

  it('maps a SQLite error that is not about a corrupt file to STATE_UNAVAILABLE with its SQLite code', () => {
    const err = openFailure(join(newDir(), 'state.db'), realSqliteError(), 1, undefined);
    expect({ code: err.code, data: err.data }).toEqual({
      code: 'STATE_UNAVAILABLE',
      data: { sqliteCode: 'SQLITE_ERROR' },
    });
  });

  it('maps any other failure to STATE_UNAVAILABLE with no data', () => {
    const err = openFailure('/nowhere/state.db', new Error('EACCES'), 1, undefined);
    expect({ code: err.code, data: err.data, message: err.message }).toEqual({
      code: 'STATE_UNAVAILABLE',
      data: {},
      message: 'The state file could not be opened.',
    });
  });

  it('moves an unreadable file aside with its -wal (not a missing -shm) and names the new file', () => {
    const dir = newDir();
    const path = join(dir, 'state.db');
    writeFileSync(path, 'not a database');
    writeFileSync(`${path}-wal`, 'wal');
    const lines: string[] = [];
    const err = openFailure(
      path,
      new Database.SqliteError('file is not a database', 'SQLITE_NOTADB'),
      42,
      (l) => lines.push(l),
    );
    expect(err.data).toEqual({ sqliteCode: 'SQLITE_NOTADB', movedTo: 'state.db.corrupt-42' });
    expect(readdirSync(dir).sort()).toEqual(['state.db.corrupt-42', 'state.db.corrupt-42-wal']);
    expect(lines).toHaveLength(1);
  });

  it('says so, naming no host path, when an unreadable file cannot be moved aside', () => {
    const lines: string[] = [];
    const path = join(newDir(), 'gone', 'state.db');
    const err = openFailure(path, new Database.SqliteError('malformed', 'SQLITE_CORRUPT'), 7, (l) =>
      lines.push(l),
    );
    expect(err.code).toBe('STATE_UNAVAILABLE');
    expect(err.data).toEqual({ sqliteCode: 'SQLITE_CORRUPT' });
    expect(err.message).toMatch(/could not be moved aside/);
    expect(err.message).not.toContain(root);
    expect(lines[0]).toMatch(/could not be moved aside/);
  });
});

describe('runSqlite', () => {
  it('answers what the statement returns', () => {
    expect(runSqlite(() => 3)).toBe(3);
  });

  it('maps SQLITE_TOOBIG to STATE_VALUE_TOO_LARGE and other SQLite errors to STATE_UNAVAILABLE', () => {
    const tooBig = thrown(() =>
      runSqlite(() => {
        throw new Database.SqliteError('string or blob too big', 'SQLITE_TOOBIG');
      }),
    );
    const other = thrown(() =>
      runSqlite(() => {
        throw realSqliteError();
      }),
    );
    expect(isBrutalistError(tooBig) && tooBig.code).toBe('STATE_VALUE_TOO_LARGE');
    expect(isBrutalistError(other) && [other.code, other.data.sqliteCode]).toEqual([
      'STATE_UNAVAILABLE',
      'SQLITE_ERROR',
    ]);
  });

  it('rethrows a BrutalistError and a non-SQLite error unchanged', () => {
    const own = new BrutalistError('INVALID_ARGUMENT');
    const plain = new TypeError('bug');
    expect(
      thrown(() =>
        runSqlite(() => {
          throw own;
        }),
      ),
    ).toBe(own);
    expect(
      thrown(() =>
        runSqlite(() => {
          throw plain;
        }),
      ),
    ).toBe(plain);
  });
});

describe('state file modes', () => {
  it('leaves a shared (sticky) folder as it is and reports it not ours', () => {
    const dir = newDir();
    chmodSync(dir, 0o1777);
    expect(tighten(dir, 0o700)).toBe('not-ours');
    expect(statSync(dir).mode & 0o1777).toBe(0o1777);
  });

  it('tightens a loose folder of ours, and reports a missing path', () => {
    const dir = newDir();
    chmodSync(dir, 0o755);
    expect(tighten(dir, 0o700)).toBe('tightened');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(tighten(join(dir, 'absent'), 0o600)).toBe('missing');
  });

  it('creates a private file once and rethrows any error but "exists"', () => {
    const dir = newDir();
    const path = join(dir, 'state.db');
    createPrivateFile(path);
    createPrivateFile(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect((thrown(() => createPrivateFile(join(dir, 'no', 'state.db'))) as NodeJS.ErrnoException).code).toBe(
      'ENOENT',
    );
  });

  it('refuses a state folder that cannot be created with STATE_UNAVAILABLE', () => {
    const file = join(newDir(), 'a-file');
    writeFileSync(file, '');
    const err = thrown(() =>
      prepareStateFolder(join(file, 'state'), join(file, 'state', 'state.db'), undefined),
    );
    expect(isBrutalistError(err) && err.code).toBe('STATE_UNAVAILABLE');
    expect(existsSync(join(file, 'state'))).toBe(false);
  });
});
