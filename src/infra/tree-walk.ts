/** One walk of a target's tree by size and mtime: the cache fingerprint and the findings snapshot both use it. */
import type { Dirent, Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Derived or vendored trees: passed over (they rarely change under a review and would eat the file bound). */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set([
  'node_modules',
  '.git',
  'dist',
  'build',
  'target',
  '.venv',
  '__pycache__',
  'coverage',
]);

/** What a walk does with the next file or link, asked before its lstat: take it, pass over it, or stop. */
export type TreeEntryVerdict = 'take' | 'skip' | 'stop';

export interface TreeWalk {
  /** Files visited at most; the walk stops (and answers false) at the next one. */
  readonly maxFiles: number;
  /** Also visit symbolic links (their own lstat; never followed). */
  readonly links?: boolean;
  /** Every directory entry, skipped ones too (the fingerprint reads git's markers in `.git`). */
  readonly onDir?: (full: string, name: string) => Promise<void>;
  /** A directory that could not be read. */
  readonly onUnreadable: (full: string) => void;
  /**
   * Asked for each file (or link) before its lstat, within `maxFiles`: walks with bounds of their own (two readers
   * sharing one walk) pass over entries nobody wants and stop once nobody wants any more. Default: take.
   */
  readonly onEntry?: (link: boolean) => TreeEntryVerdict;
  /** A file (or link) with its lstat; undefined when it vanished between the listing and the lstat. */
  readonly onFile: (full: string, stat: Stats | undefined, link: boolean) => void;
}

/** Walks `root` depth-first without following links; false when it stopped at `maxFiles` (or was told to stop). */
export async function walkTree(root: string, walk: TreeWalk): Promise<boolean> {
  const stack = [root];
  let visited = 0;
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      walk.onUnreadable(dir);
      continue;
    }
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        await walk.onDir?.(full, entry.name);
        if (!SKIPPED_DIRS.has(entry.name)) stack.push(full);
        continue;
      }
      const link = !entry.isFile();
      if (link && !(walk.links && entry.isSymbolicLink())) continue;
      if (visited >= walk.maxFiles) return false;
      const verdict = walk.onEntry?.(link) ?? 'take';
      if (verdict === 'stop') return false;
      if (verdict === 'skip') continue;
      visited++;
      walk.onFile(full, await lstat(full).catch(() => undefined), link);
    }
  }
  return true;
}
