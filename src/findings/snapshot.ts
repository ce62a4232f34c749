/** Size and mtime of the target's files when a run starts, so a finding can say its file changed during the run. */
import { lstat, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/** Derived or vendored trees: not recorded (they rarely change under a review and would eat the bound). */
const SKIPPED_DIRS = new Set(['node_modules', '.git', 'dist', 'build', 'target', '.venv', '__pycache__', 'coverage']);

export interface FileStamp {
  readonly size: number;
  readonly mtimeMs: number;
}

export interface TargetSnapshot {
  /** Stamps by path relative to the snapshot's directory ('/'-separated). */
  readonly files: ReadonlyMap<string, FileStamp>;
  /** False when the walk stopped at its bound (or could not read a directory): a missing file proves nothing. */
  readonly complete: boolean;
}

export const EMPTY_SNAPSHOT: TargetSnapshot = { files: new Map(), complete: false };

/** Walks `dir` (no symlinks followed) recording at most `maxFiles` regular files. */
export async function takeSnapshot(dir: string, maxFiles: number): Promise<TargetSnapshot> {
  const files = new Map<string, FileStamp>();
  const stack = [dir];
  let complete = true;
  while (stack.length > 0) {
    const current = stack.pop()!;
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(current, { withFileTypes: true });
    } catch {
      complete = false;
      continue;
    }
    for (const entry of entries) {
      const full = join(current, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) stack.push(full);
        continue;
      }
      if (!entry.isFile()) continue;
      if (files.size >= maxFiles) return { files, complete: false };
      const st = await lstat(full).catch(() => undefined);
      if (st) files.set(toKey(relative(dir, full)), { size: st.size, mtimeMs: st.mtimeMs });
    }
  }
  return { files, complete };
}

function toKey(rel: string): string {
  return sep === '/' ? rel : rel.split(sep).join('/');
}

/**
 * Whether the file at `rel` (relative to the snapshot's directory) is not what it was: other size or mtime, or
 * absent from a complete snapshot outside the skipped trees (created during the run).
 */
export function changedSince(snapshot: TargetSnapshot, rel: string, now: FileStamp): boolean {
  const key = toKey(rel);
  const then = snapshot.files.get(key);
  if (then) return then.size !== now.size || then.mtimeMs !== now.mtimeMs;
  return snapshot.complete && !key.split('/').some((part) => SKIPPED_DIRS.has(part));
}
