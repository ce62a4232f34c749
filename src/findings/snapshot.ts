/** Size and mtime of the target's files when a run starts, so a finding can say its file changed during the run. */
import { relative, sep } from 'node:path';
import { SKIPPED_DIRS, walkTree } from '../infra/index.js';

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
  let readable = true;
  const withinBound = await walkTree(dir, {
    maxFiles,
    onUnreadable: () => {
      readable = false;
    },
    onFile: (full, st) => {
      if (st) files.set(toKey(relative(dir, full)), { size: st.size, mtimeMs: st.mtimeMs });
    },
  });
  return { files, complete: withinBound && readable };
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
