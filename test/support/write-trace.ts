// Every filesystem write of a process tree, from strace: which paths were created, opened for writing, renamed,
// removed or re-moded. The real-CLI hardening test runs the whole server under it.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

/** Syscalls that change the filesystem (open/openat count only with a write flag). */
const SYSCALLS = [
  'creat',
  'open',
  'openat',
  'openat2',
  'mkdir',
  'mkdirat',
  'rename',
  'renameat',
  'renameat2',
  'unlink',
  'unlinkat',
  'rmdir',
  'link',
  'linkat',
  'symlink',
  'symlinkat',
  'truncate',
  'chmod',
  'fchmodat',
  'utimensat',
  'mknod',
  'mknodat',
];

/** strace options: follow forks, one file per process (no interleaved lines), fd paths, successful calls only. */
export function straceArgs(outputPrefix: string): string[] {
  return [
    '-f',
    '-ff',
    '-qq',
    '-y',
    '--seccomp-bpf',
    '-e',
    `trace=${SYSCALLS.join(',')}`,
    '-e',
    'status=successful',
    '-o',
    outputPrefix,
  ];
}

/** Throws a loud error when strace is missing (.ci/run installs it; the test must not skip). */
export function requireStrace(): void {
  const probe = spawnSync('strace', ['-V'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error('STRACE MISSING: the real-CLI write check needs strace (apt-get install -y strace).');
  }
}

export interface TracedWrite {
  readonly pid: number;
  readonly syscall: string;
  /** Absolute path, or the raw relative path when its directory is unknown. */
  readonly path: string;
  readonly line: string;
}

const WRITE_FLAGS = /O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND/;
const QUOTED = /"((?:[^"\\]|\\.)*)"/g;

function unquote(s: string): string {
  return s.replace(/\\(x[0-9a-f]{2}|[0-7]{1,3}|.)/gi, (_, e: string) => {
    if (e[0] === 'x' || e[0] === 'X') return String.fromCharCode(Number.parseInt(e.slice(1), 16));
    if (/^[0-7]+$/.test(e)) return String.fromCharCode(Number.parseInt(e, 8));
    return ({ n: '\n', t: '\t', r: '\r' } as Record<string, string>)[e] ?? e;
  });
}

/** `N</dir>` (strace -y) → '/dir'; AT_FDCWD → undefined. */
function dirOf(arg: string): string | undefined {
  const m = /^\d+<(.*)>$/.exec(arg.trim());
  return m ? m[1] : undefined;
}

function resolveAt(dirArg: string | undefined, path: string): string {
  if (isAbsolute(path) || dirArg === undefined) return path;
  const dir = dirOf(dirArg);
  return dir ? join(dir, path) : path;
}

/** The paths one traced line writes (none for read-only opens). */
export function writesOf(line: string, pid: number): TracedWrite[] {
  const m = /^([a-z0-9_]+)\((.*)\)\s+=\s+(-?\d+)/.exec(line);
  if (!m) return [];
  const syscall = m[1]!;
  const args = m[2]!;
  const paths = [...args.matchAll(QUOTED)].map((q) => unquote(q[1]!));
  const firstArg = args.split(',')[0] ?? '';
  const out = (path: string) => ({ pid, syscall, path, line });
  switch (syscall) {
    case 'open':
    case 'creat':
      if (syscall === 'open' && !WRITE_FLAGS.test(args)) return [];
      return paths[0] !== undefined ? [out(paths[0])] : [];
    case 'openat':
    case 'openat2':
      if (!WRITE_FLAGS.test(args)) return [];
      return paths[0] !== undefined ? [out(resolveAt(firstArg, paths[0]))] : [];
    case 'mkdir':
    case 'rmdir':
    case 'unlink':
    case 'truncate':
    case 'chmod':
    case 'mknod':
      return paths[0] !== undefined ? [out(paths[0])] : [];
    case 'mkdirat':
    case 'unlinkat':
    case 'fchmodat':
    case 'mknodat':
      return paths[0] !== undefined ? [out(resolveAt(firstArg, paths[0]))] : [];
    case 'utimensat': {
      if (paths[0] !== undefined) return [out(resolveAt(firstArg, paths[0]))];
      const dir = dirOf(firstArg);
      return dir ? [out(dir)] : [];
    }
    case 'rename':
    case 'link':
      return paths.slice(0, 2).map(out);
    case 'symlink':
      // symlink(target, linkpath): only the link is written.
      return paths[1] !== undefined ? [out(paths[1])] : [];
    case 'renameat':
    case 'renameat2':
    case 'linkat': {
      const parts = args.split(/,\s*/);
      const dirs = [parts[0], parts.find((p, i) => i > 1 && /^(\d+<.*>|AT_FDCWD)$/.test(p))];
      return paths.slice(0, 2).map((p, i) => out(resolveAt(dirs[i], p)));
    }
    case 'symlinkat': {
      const parts = args.split(/,\s*/);
      return paths[1] !== undefined ? [out(resolveAt(parts[1], paths[1]))] : [];
    }
    default:
      return [];
  }
}

/** All writes recorded under `outputPrefix` (files `<prefix>.<pid>`). */
export function readTrace(dir: string, base: string): TracedWrite[] {
  const writes: TracedWrite[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(`${base}.`)) continue;
    const pid = Number(name.slice(base.length + 1));
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) writes.push(...writesOf(line, pid));
  }
  return writes;
}

/** Devices every process may write (terminals, the null device). */
const DEVICE_RE = /^\/dev\/(null|tty|pts\/\d+|ptmx|zero|full)$/;

/** Writes outside `allowed` folders (and the harmless devices). */
export function writesOutside(writes: readonly TracedWrite[], allowed: readonly string[]): TracedWrite[] {
  return writes.filter(
    (w) => !DEVICE_RE.test(w.path) && !allowed.some((dir) => w.path === dir || w.path.startsWith(`${dir}/`)),
  );
}
