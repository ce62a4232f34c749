/** The bubblewrap (bwrap) mount namespace a critic runs in: what it shows, and the argv that builds it. */
import { closeSync, lstatSync, openSync, readlinkSync, readSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { absolutePathEntries } from './executable.js';
import { isInside } from './workdir.js';

/** What one sandboxed run may see besides the system dirs, its working directory and a private /tmp. */
export interface SandboxPlan {
  /** Absolute path of the bwrap executable. */
  readonly bwrap: string;
  /** Host paths shown read-only at the same place (the CLI's install, node). Missing ones are skipped. */
  readonly readOnly: readonly string[];
  /** Host paths shown writable at the same place (the CLI's config and login). Missing ones are skipped. */
  readonly writable: readonly string[];
}

/** The merged-/usr top-level names: bound read-only when directories, recreated when symlinks (Debian 12+). */
const SYSTEM_TOP = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
/** What a CLI needs from /etc to resolve names, verify TLS, know its user and time zone; nothing else. */
const ETC_ENTRIES = [
  '/etc/ssl',
  '/etc/ca-certificates',
  '/etc/ca-certificates.conf',
  '/etc/pki',
  '/etc/crypto-policies',
  '/etc/resolv.conf',
  '/etc/hosts',
  '/etc/host.conf',
  '/etc/gai.conf',
  '/etc/nsswitch.conf',
  '/etc/passwd',
  '/etc/group',
  '/etc/localtime',
  '/etc/alternatives',
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
];

/** Namespaces and mounts every sandbox gets, before the per-run paths. Also what the start-up probe runs. */
export function baseBwrapArgs(): string[] {
  const args = [
    // The sandbox dies with its bwrap; bwrap stays in our process group (no --new-session), so the runner's
    // group signals reach the critic directly and its SIGTERM grace still applies.
    '--die-with-parent',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
  ];
  for (const top of SYSTEM_TOP) {
    const kind = entryKind(top);
    if (kind === 'dir') args.push('--ro-bind', top, top);
    else if (kind === 'link') args.push('--symlink', readlinkSync(top), top);
  }
  for (const entry of ETC_ENTRIES) args.push('--ro-bind-try', entry, entry);
  // /tmp is a fresh tmpfs per run: nothing the critic writes there outlives it or is seen by another run.
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp');
  return args;
}

/**
 * The full bwrap argv for one run: base mounts, the plan's paths, the working directory bound read-only from
 * the descriptor the child receives as `fdSlot` (so the directory shown is the one that was checked), then the
 * command. `workdir` is where that directory is on the host; it appears at the same path, and becomes the cwd.
 * With `infoFdSlot`, bwrap writes `{"child-pid": N, ...}` there: N is its init in the sandbox's PID namespace.
 */
export function bwrapArgs(
  plan: SandboxPlan,
  workdir: string,
  fdSlot: number,
  command: string,
  args: readonly string[],
  infoFdSlot?: number,
): string[] {
  const out = [...systemArgs()];
  for (const path of plan.readOnly) out.push('--ro-bind-try', path, path);
  for (const path of plan.writable) out.push('--bind-try', path, path);
  if (infoFdSlot !== undefined) out.push('--info-fd', String(infoFdSlot));
  out.push('--ro-bind-fd', String(fdSlot), workdir, '--chdir', workdir, '--', command, ...args);
  return out;
}

/** The PID of bwrap's init from what it wrote to --info-fd, or undefined when that is not there (yet). */
export function infoChildPid(info: string): number | undefined {
  const match = /"child-pid"\s*:\s*(\d+)/.exec(info);
  return match ? Number(match[1]) : undefined;
}

/** baseBwrapArgs once per process: the host's system layout (merged /usr or not) does not change under us. */
let system: readonly string[] | undefined;
function systemArgs(): readonly string[] {
  system ??= Object.freeze(baseBwrapArgs());
  return system;
}

/**
 * Whether bwrap itself stopped before the critic started because the working directory moved while it was
 * being bound. bwrap turns the descriptor into a path, mounts that path and then compares inodes, so a target
 * renamed or swapped for a symlink in between fails closed ("Can't get type of source", "Race condition binding
 * dirfd"). That is the target moving under us, not the critic failing. A critic can print these lines itself,
 * but then it only turns its own failure into a path error.
 */
export function workdirBindFailed(stderrTail: string, workdir: string, root: string | undefined): boolean {
  const line = stderrTail.trim();
  if (line.includes('\n')) return false;
  return (
    movedSource(line, workdir, root) ||
    line.startsWith(`bwrap: Can't find source path /proc/self/fd/`) ||
    line.startsWith('bwrap: Race condition binding dirfd')
  );
}

/**
 * "Can't get type of source P": P is where the pinned directory was when bwrap resolved its descriptor — the
 * workdir, or wherever inside the root it was renamed to since. Every other bound source is either a system dir
 * or bound with -try (a missing one is skipped, never reported).
 */
function movedSource(line: string, workdir: string, root: string | undefined): boolean {
  const m = /^bwrap: Can't get type of source (.+): No such file or directory$/.exec(line);
  if (!m) return false;
  const source = m[1]!;
  return source === workdir || (root !== undefined && isInside(source, root));
}

function entryKind(path: string): 'dir' | 'link' | 'other' | 'missing' {
  try {
    const info = lstatSync(path);
    return info.isSymbolicLink() ? 'link' : info.isDirectory() ? 'dir' : 'other';
  } catch {
    return 'missing';
  }
}

/** Whether `path` is already visible through the read-only system mounts. */
function underSystem(path: string): boolean {
  return SYSTEM_TOP.some((top) => path === top || path.startsWith(top + sep));
}

/**
 * The directories a resolved CLI binary needs to run, read-only: its package tree (the outermost
 * `node_modules` above its realpath, which holds its hoisted dependencies and native sidecars; else the
 * realpath's own directory) and, for a `#!…node` script, the `node` that PATH would pick. Also returns the
 * realpath to exec inside the sandbox (the PATH symlink itself may live in a directory that is not shown).
 */
export function installFor(binary: string, pathValue: string | undefined): { exec: string; dirs: string[] } {
  // Per run, on the event loop: the native realpath (one libc call, not a JS walk of lstats), and PATH entries
  // without a `node` passed over by a stat that does not throw (ENOENT errors cost more than the lookups).
  const exec = realpathSync.native(binary);
  const dirs: string[] = [];
  const add = (dir: string) => {
    if (!underSystem(dir) && !dirs.includes(dir)) dirs.push(dir);
  };
  const parts = exec.split(sep);
  const outermost = parts.indexOf('node_modules');
  add(outermost > 0 ? parts.slice(0, outermost + 1).join(sep) : dirname(exec));
  if (isNodeScript(exec)) {
    for (const entry of absolutePathEntries(pathValue)) {
      const node = join(entry, 'node');
      if (!statSync(node, { throwIfNoEntry: false })) continue;
      let real: string;
      try {
        real = realpathSync.native(node);
      } catch {
        continue;
      }
      add(entry);
      add(dirname(real));
      break;
    }
  }
  return { exec, dirs };
}

/** Whether the file starts with a `#!` line that names node (`#!/usr/bin/env node`, `#!/opt/node/bin/node`). */
function isNodeScript(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(256);
    const n = readSync(fd, head, 0, head.length, 0);
    const first = head.subarray(0, n).toString('latin1').split('\n')[0] ?? '';
    return first.startsWith('#!') && /\bnode\b/.test(first);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
