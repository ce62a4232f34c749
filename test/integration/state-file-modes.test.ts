// State at rest on real files: folder 0700, state.db / -wal / -shm / backups 0600, after a first start and a loose reopen.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStateStore } from '../../src/state/index.js';

const root = mkdtempSync(join(tmpdir(), 'brutalist-modes-'));
let n = 0;
const newDir = () => join(root, `s${n++}`, 'state');
const LIMITS = { maxBytes: 10_000_000, maxEntries: 1_000, cacheMaxEntryBytes: 1_000_000 };
const mode = (path: string) => statSync(path).mode & 0o7777;
let savedUmask: number;

beforeAll(() => {
  // The loose default most systems run with: without the fix, new files come out 0644 and folders 0755.
  savedUmask = process.umask(0o022);
});

afterAll(() => {
  process.umask(savedUmask);
  rmSync(root, { recursive: true, force: true });
});

async function writeSomething(store: SqliteStateStore): Promise<void> {
  await store.putResult(
    { contextId: 'ctx-modes-1', owner: 'o', text: 'critique', meta: {}, createdAt: 0 },
    60_000,
  );
}

describe('state at rest', () => {
  it.skipIf(process.platform === 'win32')(
    'creates the folder 0700 and state.db, -wal and -shm 0600 on a first start',
    async () => {
      const dir = newDir();
      const store = new SqliteStateStore({ ...LIMITS, dir });
      await writeSomething(store);
      const db = join(dir, 'state.db');
      expect(existsSync(`${db}-wal`)).toBe(true);
      expect(mode(dir)).toBe(0o700);
      expect([mode(db), mode(`${db}-wal`), mode(`${db}-shm`)]).toEqual([0o600, 0o600, 0o600]);
      await store.close();
    },
  );

  it.skipIf(process.platform === 'win32')(
    'tightens an existing loose folder, state.db and side files on open, and says so',
    async () => {
      const dir = newDir();
      const first = new SqliteStateStore({ ...LIMITS, dir });
      await writeSomething(first);
      const db = join(dir, 'state.db');
      // What an older version (or a copy with cp) left behind: everything readable by others.
      chmodSync(dir, 0o755);
      for (const path of [db, `${db}-wal`, `${db}-shm`]) chmodSync(path, 0o644);
      const log: string[] = [];
      const second = new SqliteStateStore({ ...LIMITS, dir, log: (line) => log.push(line) });
      expect(mode(dir)).toBe(0o700);
      expect([mode(db), mode(`${db}-wal`), mode(`${db}-shm`)]).toEqual([0o600, 0o600, 0o600]);
      expect(log.filter((l) => l.includes('was readable by others'))).toHaveLength(4);
      await second.close();
      await first.close();
    },
  );

  it.skipIf(process.platform === 'win32')(
    'writes backups 0600, also over an existing loose file',
    async () => {
      const dir = newDir();
      const store = new SqliteStateStore({ ...LIMITS, dir });
      await writeSomething(store);
      const fresh = join(root, `backup-${n}.db`);
      await store.backup(fresh);
      expect(mode(fresh)).toBe(0o600);
      const existing = join(root, `backup-old-${n}.db`);
      writeFileSync(existing, '');
      chmodSync(existing, 0o644);
      await store.backup(existing);
      expect(mode(existing)).toBe(0o600);
      await store.close();
    },
  );

  it.skipIf(process.platform === 'win32')(
    'leaves a shared sticky folder (a stateDir such as /tmp) as it is, and says so',
    async () => {
      const dir = join(root, `shared-${n++}`);
      mkdirSync(dir);
      chmodSync(dir, 0o1777);
      const log: string[] = [];
      const store = new SqliteStateStore({ ...LIMITS, dir, log: (line) => log.push(line) });
      expect(mode(dir)).toBe(0o1777);
      expect(mode(join(dir, 'state.db'))).toBe(0o600);
      expect(log.some((l) => l.includes('shared or not owned'))).toBe(true);
      await store.close();
    },
  );
});
