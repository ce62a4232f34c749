/** Process-group signalling and the registry of live runs that graceful shutdown drains. */
import { readdirSync, readFileSync } from 'node:fs';

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

/**
 * Whether any member of the group is still running. Zombies do not count: in a container whose
 * PID 1 never reaps, a killed grandchild stays a zombie forever, and waiting on it would only add delay.
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
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
    } catch {
      continue; // exited while we looked
    }
    // Format: "pid (comm) state ppid pgrp ..."; comm may contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) !== pgid) continue;
    sawMember = true;
    if (fields[0] !== 'Z' && fields[0] !== 'X') return true;
  }
  // kill() saw a member that /proc does not show us: assume it is alive.
  return !sawMember;
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
}
