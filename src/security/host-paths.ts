/** Host-path scrubbing: absolute paths and file:// URLs become root-relative when inside a root, `<path>` otherwise. */
import { posix, resolve, win32 } from 'node:path';

export const PATH_PLACEHOLDER = '<path>';

export interface PreparedRoot {
  readonly flavor: 'posix' | 'win32';
  /** Normalised, no trailing separator (except the file-system root itself); lower-cased for win32. */
  readonly key: string;
}

const WIN_ABSOLUTE = /^(?:[A-Za-z]:[\\/]|\\\\)/;

function stripTrailing(p: string, flavor: PreparedRoot['flavor']): string {
  if (flavor === 'posix') return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
  return /^[A-Za-z]:\\$/.test(p) || !/[\\]$/.test(p) ? p : p.slice(0, -1);
}

/** Normalises roots once per sanitize call; longest first so nested roots yield the shortest relative path. */
export function prepareRoots(roots: readonly string[]): PreparedRoot[] {
  const out: PreparedRoot[] = [];
  for (const root of roots) {
    if (typeof root !== 'string' || root.length === 0 || root.includes('\0')) continue;
    if (WIN_ABSOLUTE.test(root)) {
      out.push({ flavor: 'win32', key: stripTrailing(win32.normalize(root), 'win32').toLowerCase() });
    } else {
      out.push({ flavor: 'posix', key: stripTrailing(posix.normalize(resolve(root)), 'posix') });
    }
  }
  return out.sort((a, b) => b.key.length - a.key.length);
}

/** The root-relative form of a normalised path, or undefined when no root contains it. */
function relativeTo(
  normal: string,
  flavor: PreparedRoot['flavor'],
  roots: readonly PreparedRoot[],
): string | undefined {
  const sepChar = flavor === 'posix' ? '/' : '\\';
  const probe = flavor === 'posix' ? normal : normal.toLowerCase();
  for (const root of roots) {
    if (root.flavor !== flavor) continue;
    if (probe === root.key) return '.';
    const prefix = root.key.endsWith(sepChar) ? root.key : root.key + sepChar;
    if (probe.startsWith(prefix)) return normal.slice(prefix.length) || '.';
  }
  return undefined;
}

/** True when the path names at most one component (`/tmp`, `/healthz`): it reveals no user or layout. */
function singleComponent(p: string): boolean {
  const body = p.replace(/^[\\/]+/, '').replace(/[\\/]$/, '');
  return !/[\\/]/.test(body);
}

function rewrite(
  raw: string,
  flavor: PreparedRoot['flavor'],
  roots: readonly PreparedRoot[],
  force: boolean,
): string {
  // A sentence-ending dot is not part of the path, but `/x/.` and `/x/..` keep theirs.
  let tail = '';
  let p = raw;
  if (p.length > 1 && p.endsWith('.') && !/[./\\]$/.test(p.slice(0, -1))) {
    tail = '.';
    p = p.slice(0, -1);
  }
  const normal = flavor === 'posix' ? posix.normalize(p) : win32.normalize(p);
  const relative = relativeTo(normal, flavor, roots);
  if (relative !== undefined) return relative + tail;
  if (!force && singleComponent(p) && singleComponent(normal)) return raw;
  return PATH_PLACEHOLDER + tail;
}

/** file: URL → the path it names; remote hosts (file://server/share) are never inside a local root. */
function rewriteFileUrl(url: string, roots: readonly PreparedRoot[]): string {
  let rest = url.slice(5); // after "file:"
  if (rest.length === 0) return url;
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    const host = slash < 0 ? rest.slice(2) : rest.slice(2, slash);
    if (host !== '' && host.toLowerCase() !== 'localhost') return PATH_PLACEHOLDER;
    rest = slash < 0 ? '/' : rest.slice(slash);
  }
  if (!rest.startsWith('/')) return url; // file:relative names nothing on the host
  let decoded = rest;
  try {
    decoded = decodeURIComponent(rest);
  } catch {
    // Malformed %-escapes: judge the raw text, which is at least as revealing as the decoded one.
  }
  if (/^\/[A-Za-z]:[\\/]/.test(decoded)) return rewrite(decoded.slice(1), 'win32', roots, true);
  return rewrite(decoded, 'posix', roots, true);
}

// One left-to-right pass. Each alternative starts only at a token start (lookbehind) and ends on a greedy
// run with nothing required after it, so matching is linear. Non-file URLs match only up to the end of
// their authority: the URL path stays in the text, where a host path in its query is still found.
const STOP = String.raw`\s"'\`<>()\[\]{}`;
const FILE_URL = `(?<![A-Za-z0-9+.-])[Ff][Ii][Ll][Ee]:[^${STOP}]*`;
const OTHER_URL = String.raw`(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{1,31}:\/\/[^${STOP}/?#]*`;
const UNC = String.raw`(?<![\\])\\\\[^${STOP},;|*?:\\]+\\[^${STOP},;|*?:]*`;
const DRIVE = String.raw`(?<![A-Za-z0-9_])[A-Za-z]:[\\/][^${STOP},;|*?:]*`;
const POSIX = String.raw`(?<![A-Za-z0-9_.~/\\])\/[^${STOP},;|*?:]*`;
const HOST_PATH = new RegExp(`(${FILE_URL})|(${OTHER_URL})|(${UNC})|(${DRIVE})|(${POSIX})`, 'g');

/** Replaces host paths outside `roots` with `<path>` and makes paths inside them root-relative. */
export function scrubHostPaths(text: string, roots: readonly PreparedRoot[]): string {
  return text.replace(
    HOST_PATH,
    (match: string, fileUrl?: string, otherUrl?: string, unc?: string, drive?: string) => {
      if (fileUrl !== undefined) return rewriteFileUrl(fileUrl, roots);
      if (otherUrl !== undefined) return match;
      if (unc !== undefined) return PATH_PLACEHOLDER; // names another machine: never inside a local root
      if (drive !== undefined) return rewrite(drive, 'win32', roots, false);
      return rewrite(match, 'posix', roots, false);
    },
  );
}
