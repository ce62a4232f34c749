/** Content fingerprint of a critique target, so a cached critique is never served for changed files. */
import { lstat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { sha256Hex, walkTree } from '../infra/index.js';

/** Git files that change on every commit, checkout or staging, so git_history critiques see new commits. */
const GIT_MARKERS = ['HEAD', 'index', 'packed-refs', 'logs/HEAD', 'FETCH_HEAD'];

/**
 * Hashes (relative path, size, mtime) of every regular file under `path` (or of the file itself).
 * Returns undefined when the tree has more than `maxFiles` entries, or the target is gone: such targets are simply
 * not cached.
 * Size + mtime is what make and git's index use to notice edits without reading every byte.
 */
export async function fingerprintTarget(path: string, maxFiles: number): Promise<string | undefined> {
  const lines: string[] = [];
  const root = path;
  // Gone since validation (moved, swapped): not cacheable; the runner then reports the path error.
  const info = await lstat(root).catch(() => undefined);
  if (!info) return undefined;
  if (!info.isDirectory()) return sha256Hex(`f\0${info.size}\0${info.mtimeMs}`);

  const withinBound = await walkTree(root, {
    maxFiles,
    // A symlink's own size and mtime: a retargeted link changes the fingerprint (never followed).
    links: true,
    onDir: (full, name) => (name === '.git' ? addGitMarkers(full, root, lines) : Promise.resolve()),
    onUnreadable: (full) => lines.push(`!${relative(root, full)}`),
    onFile: (full, st) =>
      lines.push(st ? `${relative(root, full)}\0${st.size}\0${st.mtimeMs}` : `!${relative(root, full)}`),
  });
  if (!withinBound) return undefined;
  lines.sort();
  return sha256Hex(lines.join('\n'));
}

async function addGitMarkers(gitDir: string, root: string, lines: string[]): Promise<void> {
  for (const marker of GIT_MARKERS) {
    try {
      const st = await lstat(join(gitDir, marker));
      lines.push(`${relative(root, join(gitDir, marker))}\0${st.size}\0${st.mtimeMs}`);
    } catch {
      // Absent markers are normal (fresh repos have no packed-refs or FETCH_HEAD).
    }
  }
}
