/** Process-group signalling and the registry of live runs that graceful shutdown drains. */
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import { stopSpawner } from './spawner.js';

/**
 * Sends `signal` to every member of the process group led by `pid` (0 only probes).
 * Returns false when no member is left (ESRCH). EPERM counts as present: a member exists
 * that we may not signal, and callers must not assume the group is gone.
 */
export function signalGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether any member of the group still exists (zombies included: the kernel still lists them). */
export function groupExists(pid: number): boolean {
  return signalGroup(pid, 0);
}

/** One reused read buffer for /proc/PID/stat: a stat line is well under 1 KiB, so 4 KiB always holds it. */
const STAT_BUF = Buffer.alloc(4096);
const CLOSE_PAREN = 0x29;
const SPACE = 0x20;
const DIGIT_0 = 0x30;

/** PF_EXITING in the stat flags field: the task is inside exit(), so it runs no more user code. */
const PF_EXITING = 0x4;

/** What the group checks need from one /proc/PID/stat line. */
export interface ProcStat {
  /** The state letter: R, S, D, Z (zombie), X (dead), ... */
  readonly state: string;
  readonly pgrp: number;
  /** The kernel's per-task flags (PF_*). */
  readonly flags: number;
}

/**
 * Parses state, process group and flags out of the bytes of a /proc/PID/stat line,
 * "pid (comm) state ppid pgrp session tty_nr tpgid flags ...": comm may hold spaces and ')', so the fields
 * start after the LAST ')'. Returns undefined for a line that does not have that shape.
 */
export function parseProcStat(buf: Uint8Array, length: number): ProcStat | undefined {
  let close = length - 1;
  while (close >= 0 && buf[close] !== CLOSE_PAREN) close--;
  const stateAt = close + 2;
  if (close < 0 || stateAt >= length || buf[close + 1] !== SPACE || buf[stateAt + 1] !== SPACE)
    return undefined;
  // Fields after the state: ppid pgrp session tty_nr tpgid flags; keep pgrp (index 1) and flags (index 5).
  let i = stateAt + 2;
  let pgrp = 0;
  for (let field = 0; field <= 5; field++) {
    let value = 0;
    let digits = 0;
    // tty_nr and tpgid may be negative (-1); only pgrp and flags are read, and those never are.
    if (buf[i] === 0x2d && field !== 1 && field !== 5) i++;
    for (; i < length && buf[i] !== SPACE && buf[i] !== 0x0a; i++, digits++) {
      const d = (buf[i] ?? 0) - DIGIT_0;
      if (d < 0 || d > 9) return undefined;
      value = value * 10 + d;
    }
    if (digits === 0) return undefined;
    if (field === 1) pgrp = value;
    if (field === 5) return { state: String.fromCharCode(buf[stateAt] ?? 0), pgrp, flags: value };
    i++;
  }
  return undefined;
}

/** A member that can still run code: not a zombie, not dead, not already inside exit(). */
export function isLive(stat: ProcStat): boolean {
  return stat.state !== 'Z' && stat.state !== 'X' && (stat.flags & PF_EXITING) === 0;
}

/** Reads /proc/<entry>/stat into the shared buffer; returns the byte count, or -1 when it is gone. */
function readStat(entry: string): number {
  let fd: number;
  try {
    fd = openSync(`/proc/${entry}/stat`, 'r');
  } catch {
    return -1; // exited while we looked
  }
  try {
    return readSync(fd, STAT_BUF, 0, STAT_BUF.length, 0);
  } catch {
    return -1;
  } finally {
    closeSync(fd);
  }
}

/** Whether `pid` is a live member of group `pgid`: one stat read, no scan. Gone or unreadable is not live. */
export function isLiveMember(pid: number, pgid: number): boolean {
  const length = readStat(String(pid));
  const stat = length > 0 ? parseProcStat(STAT_BUF, length) : undefined;
  return stat !== undefined && stat.pgrp === pgid && isLive(stat);
}

/**
 * Whether any member of the group is still running. Zombies and members already inside exit() do not count:
 * they run nothing and hold no pipes (or are closing them), and in a container whose PID 1 never reaps, an
 * orphan (bwrap's init after every sandboxed run) stays a zombie in the group forever.
 * Without a readable /proc (other OSes, hidepid) this falls back to groupExists.
 */
export function groupHasLiveMembers(pgid: number): boolean {
  if (!groupExists(pgid)) return false;
  if (process.platform !== 'linux') return true;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true;
  }
  let sawMember = false;
  for (const entry of entries) {
    const first = entry.charCodeAt(0);
    if (first < DIGIT_0 || first > DIGIT_0 + 9) continue; // not a PID directory
    const length = readStat(entry);
    if (length <= 0) continue;
    const stat = parseProcStat(STAT_BUF, length);
    if (stat === undefined || stat.pgrp !== pgid) continue;
    sawMember = true;
    if (isLive(stat)) return true;
  }
  // kill() saw a member that /proc does not show us: assume it is alive.
  return !sawMember;
}

/**
 * groupHasLiveMembers for a group whose members (but its leader, bwrap) live in a PID namespace whose init is
 * `init` (from bwrap's --info-fd): the kernel has emptied (or is emptying: SIGKILL) the namespace once its init is
 * dead or inside exit(), so one stat read answers instead of a /proc scan. Without `init`, the scan.
 */
export function sandboxHasLiveMembers(pgid: number, init: number | undefined): boolean {
  if (init !== undefined && !isLiveMember(init, pgid)) return false;
  return groupHasLiveMembers(pgid);
}

export interface LiveRun {
  /** Starts the SIGTERM → SIGKILL sequence with the given grace, classified as a cancellation. */
  shutdown(graceMs: number): void;
  /** Resolves once the run has produced its result. */
  readonly settled: Promise<void>;
}

const live = new Set<LiveRun>();

/** Adds a run with a live process group; the returned function removes it. */
export function registerRun(run: LiveRun): () => void {
  live.add(run);
  return () => {
    live.delete(run);
  };
}

/** Number of runs whose process group may still be alive. */
export function activeProcessGroups(): number {
  return live.size;
}

/**
 * SIGTERMs every live group, SIGKILLs after `graceMs`, and resolves when all those runs have settled.
 * Runs started after the call are not included: stop admitting work before calling it.
 */
export async function killAllProcessGroups(graceMs: number): Promise<void> {
  const runs = [...live];
  for (const run of runs) run.shutdown(graceMs);
  await Promise.all(runs.map((run) => run.settled));
  // Nothing is owed by the spawner any more; a run started later starts a new one.
  stopSpawner();
}
