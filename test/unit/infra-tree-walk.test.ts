/** walkTree: depth-first over a real temp tree, derived trees skipped, links never followed, the file bound kept. */

import type { Stats } from 'node:fs';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EntryBudget, walkTree } from '../../src/infra/index.js';

let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'brutalist-walk-'));
  mkdirSync(join(root, 'src', 'deep'), { recursive: true });
  mkdirSync(join(root, 'node_modules', 'pkg'), { recursive: true });
  writeFileSync(join(root, 'a.txt'), 'a');
  writeFileSync(join(root, 'src', 'b.ts'), 'bb');
  writeFileSync(join(root, 'src', 'deep', 'c.ts'), 'ccc');
  writeFileSync(join(root, 'node_modules', 'pkg', 'index.js'), 'x');
  symlinkSync(join(root, 'a.txt'), join(root, 'link.txt'));
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

function collect(links?: boolean, maxFiles = 100) {
  const files = new Map<string, Stats | undefined>();
  const dirs: string[] = [];
  const unreadable: string[] = [];
  const done = walkTree(root, {
    maxFiles,
    ...(links === undefined ? {} : { links }),
    onDir: async (_full, name) => {
      dirs.push(name);
    },
    onUnreadable: (full) => unreadable.push(full),
    onFile: (full, stat) => files.set(full.slice(root.length + 1), stat),
  });
  return { done, files, dirs, unreadable };
}

describe('walkTree', () => {
  it('visits every file under the root but not those in skipped trees, and reports finishing within the bound', async () => {
    const { done, files, dirs } = collect();
    expect(await done).toBe(true);
    expect([...files.keys()].sort()).toEqual(['a.txt', 'src/b.ts', 'src/deep/c.ts']);
    expect(files.get('src/deep/c.ts')?.size).toBe(3);
    // Skipped directories are still announced (the fingerprint reads markers inside .git), never entered.
    expect(dirs.sort()).toEqual(['deep', 'node_modules', 'src']);
  });

  it('visits symbolic links with their own lstat only when asked, never following them', async () => {
    const { done, files } = collect(true);
    expect(await done).toBe(true);
    expect(files.get('link.txt')?.isSymbolicLink()).toBe(true);
  });

  it('stops at maxFiles and answers false', async () => {
    const { done, files } = collect(false, 2);
    expect(await done).toBe(false);
    expect(files.size).toBe(2);
  });

  it('reports a root it cannot read and answers true with no files', async () => {
    rmSync(root, { recursive: true, force: true });
    const { done, files, unreadable } = collect();
    expect(await done).toBe(true);
    expect(unreadable).toEqual([root]);
    expect(files.size).toBe(0);
  });
});

describe('EntryBudget', () => {
  it('takes up to its bound, then is full at the first entry past it and takes nothing more', () => {
    const budget = new EntryBudget(2);
    expect([budget.take(), budget.take(), budget.full]).toEqual([true, true, false]);
    expect([budget.take(), budget.full, budget.take()]).toEqual([false, true, false]);
  });

  it('with a bound of 0 is full at the first entry', () => {
    const budget = new EntryBudget(0);
    expect([budget.take(), budget.full]).toEqual([false, true]);
  });
});
