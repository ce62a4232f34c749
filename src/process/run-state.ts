/** The states of one run (a discriminated union) and the pure classifications the runner makes on its events. */
import { statSync } from 'node:fs';
import type { TimerHandle } from '../infra/index.js';
import { workdirBindFailed } from './sandbox.js';
import type { ExitClass } from './types.js';

/**
 * After its leader exited, a run whose pipes no group member holds keeps reading for DRAIN_ROUNDS killGraceMs
 * periods, and at least MIN_DRAIN_MS (a short grace must not cut off output a busy event loop has yet to read).
 */
const DRAIN_ROUNDS = 4;
const MIN_DRAIN_MS = 2_000;

/** How many drain checks a run makes before it stops reading. */
export function drainRounds(killGraceMs: number): number {
  return Math.max(DRAIN_ROUNDS, Math.ceil(MIN_DRAIN_MS / Math.max(1, killGraceMs)));
}

/**
 * How far the runner has gone in stopping the process group. It is a region of its own, carried from phase to
 * phase: a SIGTERM sent while the leader runs still ends in a SIGKILL after the grace while the run drains or
 * waits for the group. The kill timer belongs to 'terminating' and is cleared when the group is SIGKILLed or the
 * run is done.
 */
export type Escalation =
  | { readonly kind: 'none' }
  /** SIGTERM sent to the group; `killTimer` sends the SIGKILL after the grace. */
  | { readonly kind: 'terminating'; readonly killTimer: TimerHandle }
  /** SIGKILL sent to the group (or no SIGTERM was worth sending first). */
  | { readonly kind: 'killed' };

export type Terminating = Extract<Escalation, { kind: 'terminating' }>;
export type Killed = Extract<Escalation, { kind: 'killed' }>;

/**
 * The phase of a run. Each phase owns the timers in its fields: leaving it clears them (the abort listener
 * belongs to 'running' the same way).
 *   starting ──spawned──▶ running (same deadline);  starting ──deadline|abort|shutdown──▶ done (a late child is killed)
 *   starting ──spawned──▶ running ──deadline|stall|abort|shutdown|output cap──▶ stopping
 *   starting ──spawned, cwd outside root──▶ stopping (SIGKILL already sent)
 *   running|stopping ──leader exit──▶ draining ──pipes closed|last drain check──▶ awaiting-group | done
 *   awaiting-group ──group empty|SIGKILL──▶ done;  starting ──spawn failed──▶ done
 */
export type RunState =
  /** The launcher has not answered yet; the deadline (armed for the whole run) is already running. */
  | { readonly kind: 'starting'; readonly deadlineTimer?: TimerHandle }
  /** The leader runs and nothing asked it to stop; the deadline and the stall watchdog are armed. */
  | {
      readonly kind: 'running';
      readonly deadlineTimer: TimerHandle;
      /** Re-armed in place for the remaining idle time (see Run.onStallTimer). */
      readonly stallTimer: TimerHandle;
    }
  /** The leader runs and the group was signalled; the first trigger's reason is kept on the run. */
  | { readonly kind: 'stopping'; readonly escalation: Terminating | Killed }
  /**
   * The leader exited; stdout and stderr are read until their pipes close. Every killGraceMs `drainTimer` looks
   * for a live group member holding them; `round` counts those checks.
   */
  | {
      readonly kind: 'draining';
      readonly escalation: Escalation;
      readonly drainTimer: TimerHandle;
      readonly round: number;
    }
  /** Output is done; members that were sent SIGTERM still run: poll until they are gone or the SIGKILL is sent. */
  | { readonly kind: 'awaiting-group'; readonly escalation: Terminating; readonly pollTimer: TimerHandle }
  /** The result was delivered. */
  | { readonly kind: 'done' };

/** The timers a phase owns (not the escalation's kill timer, which outlives phases). */
export function phaseTimers(state: RunState): TimerHandle[] {
  switch (state.kind) {
    case 'starting':
      return state.deadlineTimer === undefined ? [] : [state.deadlineTimer];
    case 'running':
      return [state.deadlineTimer, state.stallTimer];
    case 'draining':
      return [state.drainTimer];
    case 'awaiting-group':
      return [state.pollTimer];
    default:
      return [];
  }
}

/** The escalation a phase carries ('none' before the leader was ever signalled). */
export function escalationOf(state: RunState): Escalation {
  return state.kind === 'stopping' || state.kind === 'draining' || state.kind === 'awaiting-group'
    ? state.escalation
    : NO_ESCALATION;
}

export const NO_ESCALATION: Escalation = { kind: 'none' };
export const KILLED: Killed = { kind: 'killed' };

/** How a leader that ended on its own ended. */
export function naturalExit(code: number | null, signal: NodeJS.Signals | null): ExitClass {
  if (code === 0) return { kind: 'ok' };
  if (code !== null) return { kind: 'exit', code };
  return { kind: 'signal', signal: signal ?? 'UNKNOWN' };
}

/** The exit reported when nothing classified the run (no spawn failure, trigger or exit event). */
export const UNKNOWN_EXIT: ExitClass = { kind: 'signal', signal: 'UNKNOWN' };

/** bwrap exits 1 before the critic starts when the pinned directory moved while it was bound. */
export function sandboxSetupExit(
  natural: ExitClass | undefined,
  boundWorkdir: string | undefined,
  root: string | undefined,
  stderrTail: string,
): ExitClass | undefined {
  const exited = natural?.kind === 'exit' && natural.code === 1;
  if (!exited || boundWorkdir === undefined) return undefined;
  return workdirBindFailed(stderrTail, boundWorkdir, root) ? { kind: 'cwd_missing' } : undefined;
}

/** What a failed spawn means: uv_spawn reports a missing cwd as ENOENT too; only a missing command is not_found. */
export function spawnFailureExit(err: unknown, cwdPinned: boolean, cwd: string): ExitClass {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? 'UNKNOWN';
  const cwdGone = !cwdPinned && (code === 'ENOENT' || code === 'ENOTDIR') && !isDirectory(cwd);
  if (cwdGone) return { kind: 'cwd_missing' };
  return code === 'ENOENT' ? { kind: 'not_found' } : { kind: 'spawn_error', errno: code };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
