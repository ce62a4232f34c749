/** Target-path validation: turns a client-supplied path into a realpath that provably lies inside an allowed root. */
import { lstat, realpath } from 'node:fs/promises';
import { isAbsolute, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrutalistError, type ErrorCode, isBrutalistError } from '../errors/index.js';

export interface PathLimits {
  readonly maxPathChars: number;
  readonly maxPathComponentChars: number;
}

export interface ResolvedTarget {
  /** The realpath of the target: no symlinks, no `..`, absolute. */
  readonly path: string;
  /** The realpath of the root that contains it (the longest one when roots nest). */
  readonly root: string;
  readonly kind: 'file' | 'directory';
}

/** The only codes resolveTarget ever rejects with. */
export const PATH_ERROR_CODES = [
  'PATH_INVALID',
  'PATH_NOT_FOUND',
  'PATH_OUTSIDE_ROOT',
  'PATH_NOT_REGULAR',
] as const satisfies readonly ErrorCode[];

// A scheme of two or more characters, so a Windows drive letter (`C:\x`) is never mistaken for one.
const URL_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]+:/;
const FILE_SCHEME = /^file:/i;

function invalid(reason: string, data: Record<string, number> = {}): BrutalistError {
  return new BrutalistError('PATH_INVALID', `The path is malformed: ${reason}.`, { data });
}

/** Checks shape only (no I/O): emptiness, NUL bytes, total length and component length. */
function checkShape(candidate: string, limits: PathLimits): void {
  if (candidate.length === 0) throw invalid('it is empty');
  if (candidate.includes('\0')) throw invalid('it contains a NUL byte');
  if (candidate.length > limits.maxPathChars) {
    throw invalid('it is longer than the limit', { limit: limits.maxPathChars, actual: candidate.length });
  }
  // Split on both separators: on POSIX a backslash is a legal name character, so this can only
  // shorten components (be more lenient), never let an over-long one through on Windows.
  for (const component of candidate.split(/[\\/]/)) {
    if (component.length > limits.maxPathComponentChars) {
      throw invalid('a component is longer than the limit', {
        limit: limits.maxPathComponentChars,
        actual: component.length,
      });
    }
  }
}

/** Turns a `file://` URL into a path; any other URL scheme is refused rather than read as a file name. */
function fromUrlIfAny(target: string): string {
  if (FILE_SCHEME.test(target)) {
    try {
      return fileURLToPath(new URL(target));
    } catch (cause) {
      // Remote hosts (file://server/x), encoded separators (%2F) and unparsable URLs land here.
      throw new BrutalistError(
        'PATH_INVALID',
        'The path is malformed: the file:// URL cannot be converted.',
        {
          cause,
        },
      );
    }
  }
  if (URL_SCHEME.test(target)) throw invalid('only file:// URLs are accepted');
  return target;
}

/** The prefix a path must start with to be inside `root`; `/` (or `C:\`) already ends in a separator. */
function insidePrefix(root: string): string {
  return root.endsWith(sep) ? root : root + sep;
}

/** The longest root equal to, or a strict ancestor of, `path`; undefined when none is. */
function containingRoot(path: string, roots: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const root of roots) {
    if (
      (path === root || path.startsWith(insidePrefix(root))) &&
      (best === undefined || root.length > best.length)
    ) {
      best = root;
    }
  }
  return best;
}

function usableRoot(root: unknown): root is string {
  return typeof root === 'string' && root.length > 0 && !root.includes('\0');
}

/** Realpaths every root, index for index; a root that does not exist (or cannot be read) is undefined. */
function realRoots(roots: readonly string[]): Promise<Array<string | undefined>> {
  return Promise.all(
    roots.map((root) => (usableRoot(root) ? realpath(root).catch(() => undefined) : undefined)),
  );
}

type Settled = { readonly ok: true; readonly path: string } | { readonly ok: false; readonly err: unknown };

function settle(promise: Promise<string>): Promise<Settled> {
  return promise.then(
    (path) => ({ ok: true, path }),
    (err: unknown) => ({ ok: false, err }),
  );
}

function fitsShape(candidate: string, limits: PathLimits): boolean {
  try {
    checkShape(candidate, limits);
    return true;
  } catch {
    return false;
  }
}

function errnoOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Maps a failed realpath of a path that is lexically inside a root to a client-safe error. */
function realpathFailure(err: unknown): BrutalistError {
  const errno = errnoOf(err);
  const make = (code: ErrorCode, message: string) => new BrutalistError(code, message, { cause: err });
  switch (errno) {
    case 'ENOENT':
    case 'ENOTDIR':
      return make('PATH_NOT_FOUND', 'The path does not exist.');
    case 'EACCES':
    case 'EPERM':
      return make('PATH_NOT_FOUND', 'The path does not exist or cannot be read.');
    // A symlink loop is a malformed path rather than a missing one: it can never resolve.
    case 'ELOOP':
      return make('PATH_INVALID', 'The path is malformed: it is a symbolic link loop.');
    case 'ENAMETOOLONG':
      return make('PATH_INVALID', 'The path is malformed: it is too long for the file system.');
    default:
      return make('PATH_INVALID', 'The path cannot be resolved.');
  }
}

/**
 * Resolves a client-supplied target to its realpath and proves it lies inside one of `roots`.
 *
 * - Roots are realpath'd first; missing roots are skipped; with none left the target is PATH_OUTSIDE_ROOT.
 * - Relative targets resolve against the first root that exists (never process.cwd()); absolute ones as given.
 * - A `file://` URL is accepted; any other `scheme:` prefix is PATH_INVALID (use `./name:x` for such names).
 * - Containment is decided on the realpath, so `..`, absolute paths and symlinks pointing outside are
 *   PATH_OUTSIDE_ROOT, and a symlink outside that points inside is accepted.
 * - A path that cannot be resolved and is lexically outside every root is PATH_OUTSIDE_ROOT, whether or
 *   not it exists, so the answer is no oracle for the existence of files outside the roots.
 * - Symlink loops are PATH_INVALID. FIFOs, sockets and devices are PATH_NOT_REGULAR; nothing is opened.
 * - Messages never contain the path. The result holds at one instant: callers should pass on `path` (the
 *   realpath), not the original target. Someone who can write inside a root can still swap a component
 *   for a symlink afterwards; that race is not closed here.
 */
export async function resolveTarget(
  target: string,
  roots: readonly string[],
  limits: PathLimits,
): Promise<ResolvedTarget> {
  if (typeof target !== 'string') throw invalid('it is not a string');
  checkShape(target, limits);
  const asPath = fromUrlIfAny(target);
  if (asPath !== target) checkShape(asPath, limits); // decoding %00 or %-escapes can change the shape

  // Resolve the target while the roots resolve (one round trip to the thread pool instead of two): joining
  // onto the first root as given reaches the same object as joining onto its realpath, and containment is
  // decided on the result either way. The guess is dropped if that root turns out not to exist.
  const firstGiven = roots.findIndex(usableRoot);
  const guessJoin = isAbsolute(asPath)
    ? asPath
    : firstGiven < 0
      ? undefined
      : insidePrefix(resolve(roots[firstGiven]!)) + asPath;
  const guess =
    guessJoin !== undefined && fitsShape(guessJoin, limits) ? settle(realpath(guessJoin)) : undefined;

  const byIndex = await realRoots(roots);
  const real = byIndex.filter((r): r is string => r !== undefined);
  const first = real[0];
  if (first === undefined) {
    throw new BrutalistError('PATH_OUTSIDE_ROOT', 'No allowed root exists, so no path is inside one.');
  }
  const guessHolds = isAbsolute(asPath) || byIndex.findIndex((r) => r !== undefined) === firstGiven;
  // Joined without normalising, so `link/..` means what the kernel says it means, not what a string op says.
  let joined: string;
  let outcome: Settled;
  if (guess !== undefined && guessJoin !== undefined && guessHolds) {
    joined = guessJoin;
    outcome = await guess;
  } else {
    joined = isAbsolute(asPath) ? asPath : insidePrefix(first) + asPath;
    checkShape(joined, limits);
    outcome = await settle(realpath(joined));
  }

  if (!outcome.ok) {
    const lexical = resolve(joined);
    const lexicallyInside =
      containingRoot(lexical, real) !== undefined ||
      containingRoot(
        lexical,
        roots.filter(usableRoot).map((r) => resolve(r)),
      ) !== undefined;
    if (!lexicallyInside) throw new BrutalistError('PATH_OUTSIDE_ROOT', undefined, { cause: outcome.err });
    throw realpathFailure(outcome.err);
  }
  const realTarget = outcome.path;

  const root = containingRoot(realTarget, real);
  if (root === undefined) throw new BrutalistError('PATH_OUTSIDE_ROOT');

  let kind: ResolvedTarget['kind'];
  try {
    // lstat on a realpath: no symlink is left to follow, and stat-ing never opens (a FIFO would block).
    const stats = await lstat(realTarget);
    if (stats.isFile()) kind = 'file';
    else if (stats.isDirectory()) kind = 'directory';
    else throw new BrutalistError('PATH_NOT_REGULAR');
  } catch (err) {
    if (isBrutalistError(err)) throw err;
    throw realpathFailure(err); // removed between realpath and lstat
  }
  return { path: realTarget, root, kind };
}

/** Turns MCP `roots` URIs into paths; non-file URIs and URIs that cannot be converted are ignored. */
export function rootsFromUris(uris: readonly string[]): string[] {
  const out: string[] = [];
  for (const uri of uris) {
    if (typeof uri !== 'string' || !FILE_SCHEME.test(uri)) continue;
    let path: string;
    try {
      path = fileURLToPath(new URL(uri));
    } catch {
      continue;
    }
    if (path.length > 0 && !path.includes('\0') && !out.includes(path)) out.push(path);
  }
  return out;
}

/**
 * Configured roots are a ceiling: the client's roots narrow them and never widen them. Keeps each client root
 * whose realpath is a configured root's realpath or lies inside one (as that realpath, so a symlink cannot move
 * it later); a client root that does not exist, or lies outside every configured root, is dropped. No
 * configured roots: the client's roots as given. The result may be empty: then every path is outside.
 */
export async function narrowRoots(
  configured: readonly string[],
  client: readonly string[],
): Promise<string[]> {
  if (configured.length === 0) return [...client];
  const ceilings = (await realRoots(configured)).filter((r): r is string => r !== undefined);
  const candidates = await realRoots(client);
  const kept: string[] = [];
  for (const real of candidates) {
    if (real !== undefined && containingRoot(real, ceilings) !== undefined && !kept.includes(real)) {
      kept.push(real);
    }
  }
  return kept;
}
