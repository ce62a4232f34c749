/** Size and mtime of the target's files when a run starts, so a finding can say its file changed during the run. */
import type { Stats } from 'node:fs';
import { relative, sep } from 'node:path';
import { EntryBudget, SKIPPED_DIRS, walkTree } from '../infra/index.js';

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
  const recorder = new SnapshotRecorder(dir, maxFiles);
  await walkTree(dir, {
    maxFiles: Number.MAX_SAFE_INTEGER,
    onEntry: (link) => (recorder.wants(link) ? 'take' : recorder.full ? 'stop' : 'skip'),
    onUnreadable: () => recorder.unreadable(),
    onFile: (full, st) => recorder.record(full, st),
  });
  return recorder.snapshot();
}

/**
 * A snapshot built from a walk of `dir` that may serve other readers too (the cache fingerprint shares the walk):
 * regular files only, at most `maxFiles` of them.
 */
export class SnapshotRecorder {
  private readonly files = new Map<string, FileStamp>();
  private readonly budget: EntryBudget;
  private readable = true;

  constructor(
    private readonly dir: string,
    maxFiles: number,
  ) {
    this.budget = new EntryBudget(maxFiles);
  }

  /** True once a file past the bound was met: the snapshot is incomplete and wants nothing more. */
  get full(): boolean {
    return this.budget.full;
  }

  /** Whether the walk's next entry is recorded (asked before its lstat; counts it when it is). */
  wants(link: boolean): boolean {
    return !link && this.budget.take();
  }

  /** A wanted file's lstat; undefined (it vanished since the listing) records nothing. */
  record(full: string, st: Stats | undefined): void {
    if (st) this.files.set(toKey(relative(this.dir, full)), { size: st.size, mtimeMs: st.mtimeMs });
  }

  unreadable(): void {
    this.readable = false;
  }

  snapshot(): TargetSnapshot {
    return { files: this.files, complete: !this.budget.full && this.readable };
  }
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
