/**
 * Quote verification: each finding's quote is looked up in the cited file under the critique's directory (never
 * outside it, never more than a bounded prefix, never in a binary file) and the finding is marked verified,
 * re-anchored to where the quote really is, or unverified.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import { type PathLimits, resolveTarget } from '../security/index.js';
import { changedSince, type TargetSnapshot } from './snapshot.js';
import type { RawFinding, Verification } from './types.js';

/** Where the critics ran: cited paths are relative to `cwd`, a realpath; nothing outside it is read. */
export interface FindingsPlace {
  readonly cwd: string;
}

export interface VerifyOptions extends PathLimits {
  readonly maxFileBytes: number;
  readonly nearLines: number;
}

/** A raw finding after the check: path made relative to the directory, line moved to where the quote is. */
export type CheckedFinding = RawFinding & { readonly verification: Verification; readonly fileChanged: boolean };

/** A cited file as read: its lines normalised, or null when it cannot be checked (outside, binary, gone). */
interface FileText {
  readonly rel: string;
  readonly joined: string;
  /** Offset in `joined` where each (1-based) line starts; index 0 unused. */
  readonly starts: readonly number[];
  readonly changed: boolean;
}

/** How many places a short quote is looked for before the nearest of them is taken. */
const MAX_OCCURRENCES = 10_000;
/** The shortest segment of an elided quote (`a … b`) worth looking for on its own. */
const MIN_SEGMENT_CHARS = 8;
// One NUL byte in the prefix read marks a binary file.
const NUL = 0;

/** Checks every finding against the files under `place`; files are read once each. */
export class QuoteVerifier {
  private readonly files = new Map<string, Promise<FileText | null>>();

  constructor(
    private readonly place: FindingsPlace | null,
    private readonly snapshot: TargetSnapshot,
    private readonly options: VerifyOptions,
  ) {}

  async check(finding: RawFinding): Promise<CheckedFinding> {
    const quote = finding.quote === null ? '' : normalise(finding.quote);
    if (this.place === null || finding.file === null || quote === '') {
      return { ...finding, verification: 'unchecked', fileChanged: false };
    }
    const file = await this.read(finding.file);
    if (file === null) return { ...finding, verification: 'unverified', fileChanged: false };
    const at = locate(file, quote, finding.line);
    const base = { ...finding, file: file.rel, fileChanged: file.changed };
    if (at === null) return { ...base, verification: 'unverified' };
    const near = this.options.nearLines;
    const cited = finding.line;
    const verification =
      cited === null || (cited >= at.line - near && cited <= at.endLine + near) ? 'verified' : 'reanchored';
    return { ...base, line: at.line, endLine: at.endLine > at.line ? at.endLine : null, verification };
  }

  private read(cited: string): Promise<FileText | null> {
    let pending = this.files.get(cited);
    if (!pending) {
      pending = this.load(cited).catch(() => null);
      this.files.set(cited, pending);
    }
    return pending;
  }

  /** The cited file, resolved like a target (realpath inside `cwd`: no `..`, no symlink out), bounded prefix. */
  private async load(cited: string): Promise<FileText | null> {
    const { cwd } = this.place!;
    const target = await resolveTarget(cited, [cwd], this.options);
    if (target.kind !== 'file') return null;
    // O_NOFOLLOW + O_NONBLOCK: a component swapped for a symlink or a FIFO since the check is refused, not followed.
    const handle = await open(target.path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      const st = await handle.stat();
      if (!st.isFile()) return null;
      const length = Math.min(st.size, this.options.maxFileBytes);
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, 0);
      const bytes = buffer.subarray(0, bytesRead);
      if (bytes.includes(NUL)) return null;
      const rel = relative(cwd, target.path).split(sep).join('/');
      const changed = changedSince(this.snapshot, rel, { size: st.size, mtimeMs: st.mtimeMs });
      return { rel, changed, ...index(bytes.toString('utf8')) };
    } finally {
      await handle.close();
    }
  }
}

/** Whitespace runs as one space, trimmed: indentation and line wrapping of a quote do not matter. */
export function normalise(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** The file as one normalised string (lines joined by one space) and where each line starts in it. */
function index(text: string): { joined: string; starts: number[] } {
  const starts: number[] = [0];
  const parts: string[] = [];
  let offset = 0;
  for (const line of text.split('\n')) {
    const norm = normalise(line);
    starts.push(offset);
    if (norm !== '') {
      parts.push(norm);
      offset += norm.length + 1;
    }
  }
  return { joined: parts.join(' '), starts };
}

/** The (1-based) line holding offset `at` of the joined text: the last line starting at or before it. */
function lineAt(starts: readonly number[], at: number): number {
  let lo = 1;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The occurrence of `quote` nearest to `cited` (the first one without a cited line); an elided quote by its longest part. */
function locate(file: FileText, quote: string, cited: number | null): { line: number; endLine: number } | null {
  const found = nearest(file, quote, cited);
  if (found || !/\.\.\.|…/.test(quote)) return found;
  const longest = quote
    .split(/\.\.\.|…/)
    .map((s) => s.trim())
    .sort((a, b) => b.length - a.length)[0];
  return longest !== undefined && longest.length >= MIN_SEGMENT_CHARS ? nearest(file, longest, cited) : null;
}

function nearest(file: FileText, quote: string, cited: number | null): { line: number; endLine: number } | null {
  let best: { line: number; endLine: number } | null = null;
  let from = 0;
  for (let n = 0; n < MAX_OCCURRENCES; n++) {
    const at = file.joined.indexOf(quote, from);
    if (at < 0) break;
    const line = lineAt(file.starts, at);
    const endLine = lineAt(file.starts, at + quote.length - 1);
    if (cited === null) return { line, endLine };
    if (best === null || distance(line, endLine, cited) < distance(best.line, best.endLine, cited)) {
      best = { line, endLine };
    }
    from = at + 1;
  }
  return best;
}

function distance(line: number, endLine: number, cited: number): number {
  return cited < line ? line - cited : cited > endLine ? cited - endLine : 0;
}
