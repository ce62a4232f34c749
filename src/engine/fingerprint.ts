/** Content fingerprint of a critique target, so a cached critique is never served for changed files. */
import type { Stats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { SnapshotRecorder, type TargetSnapshot } from '../findings/index.js';
import { EntryBudget, sha256Hex, walkTree } from '../infra/index.js';

/** Git files that change on every commit, checkout or staging, so git_history critiques see new commits. */
const GIT_MARKERS = ['HEAD', 'index', 'packed-refs', 'logs/HEAD', 'FETCH_HEAD'];

/** What one walk of a target tells: its cache fingerprint and, for a directory, the findings snapshot. */
export interface TargetSurvey {
  /** Undefined: more than `fingerprintMaxFiles` files and links, or the target is gone (not cached). */
  readonly fingerprint: string | undefined;
  /** A directory target's size and mtime per file (config findingsSnapshotMaxFiles); absent for a file target. */
  readonly snapshot?: TargetSnapshot;
}

export interface SurveyBounds {
  readonly fingerprintMaxFiles: number;
  readonly snapshotMaxFiles: number;
}

/**
 * Hashes (relative path, size, mtime) of every regular file and link under `path` (or of the file itself), and
 * records the findings snapshot from the same lstat results: one walk per roast instead of two (ADR 0046).
 * Size + mtime is what make and git's index use to notice edits without reading every byte.
 */
export async function surveyTarget(path: string, bounds: SurveyBounds): Promise<TargetSurvey> {
  const root = path;
  // Gone since validation (moved, swapped): not cacheable; the runner then reports the path error.
  const info = await lstat(root).catch(() => undefined);
  if (!info) return { fingerprint: undefined };
  if (!info.isDirectory()) return { fingerprint: sha256Hex(`f\0${info.size}\0${info.mtimeMs}`) };

  const prints = new FingerprintRecorder(root, bounds.fingerprintMaxFiles);
  const stamps = new SnapshotRecorder(root, bounds.snapshotMaxFiles);
  // The claim says who took an entry: the fingerprint, the snapshot, or both.
  await walkTree<Claim>(root, {
    maxFiles: Number.MAX_SAFE_INTEGER,
    // A symlink's own size and mtime: a retargeted link changes the fingerprint (never followed).
    links: true,
    onDir: (full, name) => (name === '.git' && !prints.full ? prints.addGitMarkers(full) : Promise.resolve()),
    onUnreadable: (full) => {
      prints.unreadable(full);
      stamps.unreadable();
    },
    onEntry: (link) => {
      const claim = { printed: prints.wants(), stamped: stamps.wants(link) };
      if (claim.printed || claim.stamped) return claim;
      return prints.full && stamps.full ? 'stop' : 'skip';
    },
    onFile: (full, st, _link, claim) => {
      if (claim.printed) prints.record(full, st);
      if (claim.stamped) stamps.record(full, st);
    },
  });
  return { fingerprint: prints.fingerprint(), snapshot: stamps.snapshot() };
}

interface Claim {
  readonly printed: boolean;
  readonly stamped: boolean;
}

/** The fingerprint alone (bench and tests); a roast takes both from `surveyTarget`. */
export async function fingerprintTarget(path: string, maxFiles: number): Promise<string | undefined> {
  return (await surveyTarget(path, { fingerprintMaxFiles: maxFiles, snapshotMaxFiles: 0 })).fingerprint;
}

/** The fingerprint's lines from a walk: files and links, at most `maxFiles` of them, plus git's markers. */
class FingerprintRecorder {
  private readonly lines: string[] = [];
  private readonly budget: EntryBudget;

  constructor(
    private readonly root: string,
    maxFiles: number,
  ) {
    this.budget = new EntryBudget(maxFiles);
  }

  /** True once a file past the bound was met: no fingerprint, and nothing more wanted. */
  get full(): boolean {
    return this.budget.full;
  }

  wants(): boolean {
    return this.budget.take();
  }

  record(full: string, st: Stats | undefined): void {
    const rel = relative(this.root, full);
    this.lines.push(st ? `${rel}\0${st.size}\0${st.mtimeMs}` : `!${rel}`);
  }

  unreadable(full: string): void {
    this.lines.push(`!${relative(this.root, full)}`);
  }

  async addGitMarkers(gitDir: string): Promise<void> {
    const paths = GIT_MARKERS.map((marker) => join(gitDir, marker));
    // Absent markers are normal (fresh repos have no packed-refs or FETCH_HEAD).
    const stats = await Promise.all(paths.map((p) => lstat(p).catch(() => undefined)));
    paths.forEach((p, i) => {
      const st = stats[i];
      if (st) this.lines.push(`${relative(this.root, p)}\0${st.size}\0${st.mtimeMs}`);
    });
  }

  fingerprint(): string | undefined {
    if (this.budget.full) return undefined;
    return sha256Hex(this.lines.sort().join('\n'));
  }
}
