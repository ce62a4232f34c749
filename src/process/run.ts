/** runProcess: the one place that spawns a child, in its own process group, bounded by deadline, stall, cap and abort. */
import { basename } from 'node:path';
import { type Clock, systemClock, type TimerHandle } from '../infra/index.js';
import { spawnChannel } from './diagnostics.js';
import { registerRun, sandboxHasLiveMembers, signalGroup } from './group.js';
import { destroyStdio, type Launched, launchSpecFor, listenToStdio, quietStreams } from './launch.js';
import { cancelledBeforeStart, publishExit, RunOutput } from './run-output.js';
import {
  drainRounds,
  type Escalation,
  escalationOf,
  KILLED,
  NO_ESCALATION,
  naturalExit,
  phaseTimers,
  type RunState,
  sandboxSetupExit,
  spawnFailureExit,
  type Terminating,
  UNKNOWN_EXIT,
} from './run-state.js';
import { defaultLaunch, SPAWNER_LOST } from './spawner.js';
import type { ExitClass, RunResult, RunSpec } from './types.js';
import { checkChildCwd, type PinnedWorkdir, pinWorkdir } from './workdir.js';

/** How often a run whose group was signalled checks whether the members are gone, before the SIGKILL. */
const GROUP_POLL_MS = 25;

/** Runs one child to completion. Never rejects: every outcome is an ExitClass. */
export function runProcess(spec: RunSpec): Promise<RunResult> {
  if (spec.signal?.aborted) return Promise.resolve(publishExit(cancelledBeforeStart()));
  return new Promise((resolve) => new Run(spec, spec.clock ?? systemClock, resolve).start());
}

/**
 * One run as a state machine: `state` (run-state.ts) is the only lifecycle data, and each event has one handler
 * that switches on it. Classification data (reason, natural exit, spawn failure) and the output collectors live
 * beside it: they are results, not phases.
 */
class Run {
  private readonly startedAt: number;
  private readonly output: RunOutput;
  private state: RunState = { kind: 'starting' };
  private child: Launched | undefined;
  private pid: number | undefined;
  /** The leader was reaped; with no output pipe left open, the output is done. */
  private exited = false;
  private openStreams = 0;
  /** The first kill trigger; it wins the classification. */
  private reason: ExitClass | undefined;
  /** How the leader ended on its own (code or signal). */
  private natural: ExitClass | undefined;
  private spawnFailure: ExitClass | undefined;
  /** The cwd was held open by a descriptor at spawn, so an ENOENT can only mean the command is missing. */
  private cwdPinned = false;
  /** The host path bwrap binds as the working directory, when the run is sandboxed. */
  private boundWorkdir: string | undefined;
  private unregister: (() => void) | undefined;
  private settle: () => void = () => {};
  private readonly settled = new Promise<void>((r) => {
    this.settle = r;
  });
  private readonly onAbort = () => this.trigger({ kind: 'cancelled' }, this.spec.killGraceMs);

  constructor(
    private readonly spec: RunSpec,
    private readonly clock: Clock,
    private readonly resolve: (r: RunResult) => void,
  ) {
    this.startedAt = clock.now();
    this.output = new RunOutput(spec, clock);
  }

  start(): void {
    const { spec } = this;
    let pinned: PinnedWorkdir | undefined;
    if (spec.root !== undefined) {
      const outcome = pinWorkdir(spec.cwd, spec.root);
      if (typeof outcome === 'string') {
        this.spawnFailure = { kind: outcome };
        this.finish();
        return;
      }
      pinned = outcome;
    }
    this.launch(pinned);
  }

  /** Leaves the current phase (its timers are cleared, its abort listener removed) for `next`. */
  private enter(next: RunState): void {
    const prev = this.state;
    for (const timer of phaseTimers(prev)) this.clock.clearTimeout(timer);
    if (prev.kind === 'running' || prev.kind === 'starting')
      this.spec.signal?.removeEventListener('abort', this.onAbort);
    this.state = next;
  }

  /**
   * Asks the launcher for the child. The deadline, the abort listener and the shutdown hook are armed first: a
   * spawner that answers late (or never) cannot hold a run past them. The pinned directory stays open until the
   * launcher has answered: the child enters it through its /proc path.
   */
  private launch(pinned: PinnedWorkdir | undefined): void {
    const { spec } = this;
    this.cwdPinned = pinned?.fd !== undefined;
    const { launchSpec, boundWorkdir } = launchSpecFor(spec, pinned);
    this.boundWorkdir = boundWorkdir;
    this.state = { kind: 'starting', deadlineTimer: this.armDeadline() };
    spec.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.unregister = registerRun({
      // A run already signalled has its own grace; one whose leader exited is only draining (killGraceMs bounds it).
      shutdown: (graceMs) => {
        if (this.state.kind === 'running' || this.state.kind === 'starting')
          this.trigger({ kind: 'cancelled' }, graceMs);
      },
      settled: this.settled,
    });
    (spec.launch ?? defaultLaunch)(launchSpec, {
      spawned: (child) => {
        pinned?.close();
        this.onSpawned(child, pinned);
      },
      failed: (code) => {
        pinned?.close();
        this.onFailed(code);
      },
      exit: (code, signal) => this.onLeaderExit(code, signal),
      lost: () => this.onLost(),
    });
  }

  private onSpawned(child: Launched, pinned: PinnedWorkdir | undefined): void {
    const { spec } = this;
    const pid = child.pid;
    const streams = quietStreams(child);
    const s = this.state;
    if (s.kind !== 'starting') {
      // The run ended (deadline, abort, shutdown) before the launcher answered: the child never gets its prompt.
      signalGroup(pid, 'SIGKILL');
      destroyStdio(child);
      return;
    }
    this.child = child;
    this.pid = pid;
    // A socket handed over by the spawner may have closed (empty, at EOF) before the last one arrived.
    const open = streams.filter((stream) => !stream.closed);
    this.openStreams = open.length;
    listenToStdio(child, open, {
      stdout: (chunk) => {
        if (this.output.pushStdout(chunk, this.pid)) this.trigger({ kind: 'output_cap' });
      },
      stderr: (chunk) => this.output.pushStderr(chunk),
      info: (chunk) => this.output.pushInfo(chunk),
      closed: () => this.onStreamClosed(),
    });
    if (spawnChannel.hasSubscribers) {
      spawnChannel.publish({ pid, command: basename(spec.command), argCount: spec.args.length });
    }

    // The guarantee behind the pinning: the leader's cwd, as the kernel reports it, is inside the root. A miss
    // (the pinned directory was moved out of the root in between) is killed before it gets its prompt.
    if (pinned?.fd !== undefined && spec.root !== undefined) {
      const where = checkChildCwd(pid, spec.root);
      if (where === 'cwd_outside_root' || where === 'cwd_missing') {
        this.reason = { kind: where };
        signalGroup(pid, 'SIGKILL');
        child.stdin.destroy();
        this.enter({ kind: 'stopping', escalation: KILLED });
        return;
      }
    }

    if (spec.stdin !== undefined) child.stdin.end(spec.stdin);
    else child.stdin.end();
    this.state = {
      kind: 'running',
      deadlineTimer: s.deadlineTimer ?? this.armDeadline(),
      stallTimer: this.clock.setTimeout(() => this.onStallTimer(), spec.stallTimeoutMs),
    };
  }

  private armDeadline(): TimerHandle {
    return this.clock.setTimeout(() => this.trigger({ kind: 'timeout' }), this.spec.timeoutMs);
  }

  private onFailed(code: string): void {
    if (this.state.kind !== 'starting') return;
    this.spawnFailure = spawnFailureExit({ code }, this.cwdPinned, this.spec.cwd);
    this.finish();
  }

  /** The spawner died before it reported how the leader ended: stop the whole group, report a spawn error. */
  private onLost(): void {
    const s = this.state;
    if (s.kind === 'done' || this.pid === undefined) return;
    this.spawnFailure = { kind: 'spawn_error', errno: SPAWNER_LOST };
    signalGroup(this.pid, 'SIGKILL');
    this.destroyStreams();
    const escalation = escalationOf(s);
    if (escalation.kind === 'terminating') this.clock.clearTimeout(escalation.killTimer);
    this.complete(KILLED);
  }

  /** Node's 'close': the leader was reaped and every output pipe closed. */
  private onStreamClosed(): void {
    this.openStreams--;
    if (this.exited && this.openStreams <= 0) this.finish();
  }

  private destroyStreams(): void {
    if (this.child) destroyStdio(this.child);
  }

  /** The watchdog re-arms for the remaining idle time instead of resetting a timer on every chunk. */
  private onStallTimer(): void {
    const s = this.state;
    if (s.kind !== 'running') return;
    const idleMs = this.clock.now() - this.output.lastActivityAt;
    if (idleMs >= this.spec.stallTimeoutMs) {
      this.trigger({ kind: 'stalled' });
      return;
    }
    const stallTimer = this.clock.setTimeout(() => this.onStallTimer(), this.spec.stallTimeoutMs - idleMs);
    this.state = { ...s, stallTimer }; // same phase: the deadline stays armed
  }

  /**
   * A reason to stop the group (deadline, stall, abort, shutdown, output cap): the first one sets the reason, and
   * the group gets SIGTERM → (graceMs) → SIGKILL unless it was already signalled. Once the output is done there
   * is nothing left to stop.
   */
  private trigger(reason: ExitClass, graceMs = this.spec.killGraceMs): void {
    const s = this.state;
    if (s.kind === 'starting') {
      // Nothing to signal yet: the run ends now, and a child the launcher reports later is killed on arrival.
      this.reason ??= reason;
      this.complete(NO_ESCALATION);
      return;
    }
    const pid = this.pid;
    if (pid === undefined) return;
    switch (s.kind) {
      case 'running':
        this.reason ??= reason;
        this.enter({ kind: 'stopping', escalation: this.terminate(pid, graceMs) });
        return;
      case 'stopping':
        this.reason ??= reason;
        return;
      case 'draining':
        // Only the output cap fires here: the watchdogs and the abort listener left with 'running'.
        this.reason ??= reason;
        if (s.escalation.kind === 'none') this.state = { ...s, escalation: this.terminate(pid, graceMs) };
        return;
      default:
        return;
    }
  }

  /** SIGTERMs the group and arms the SIGKILL that follows after `graceMs`. */
  private terminate(pid: number, graceMs: number): Terminating {
    signalGroup(pid, 'SIGTERM');
    return { kind: 'terminating', killTimer: this.clock.setTimeout(() => this.onKillTimer(), graceMs) };
  }

  private onKillTimer(): void {
    const s = this.state;
    if (escalationOf(s).kind !== 'terminating') return;
    if (this.pid !== undefined) signalGroup(this.pid, 'SIGKILL');
    if (s.kind === 'stopping') this.state = { kind: 'stopping', escalation: KILLED };
    else if (s.kind === 'draining') this.state = { ...s, escalation: KILLED };
    else if (s.kind === 'awaiting-group') this.complete(KILLED);
  }

  private onLeaderExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.natural = naturalExit(code, signal);
    this.exited = true;
    const s = this.state;
    if (s.kind === 'running' || s.kind === 'stopping')
      this.drain(s.kind === 'running' ? NO_ESCALATION : s.escalation);
    // Node's 'close' order: the pipes may all have closed before the leader was reaped.
    if (this.openStreams <= 0) this.finish();
  }

  private drain(escalation: Escalation): void {
    // Grandchildren left running in the group must not outlive the run. Under bwrap they live in its PID
    // namespace, which the kernel empties when bwrap's init exits right after the critic; the init itself may
    // still be exiting now, so finish() looks once the pipes it holds have closed. Zombies never count: in a
    // container whose PID 1 never reaps, that init stays a zombie in the group after every sandboxed run.
    const next = this.boundWorkdir === undefined ? this.stopLiveMembers(escalation) : escalation;
    this.enter({ kind: 'draining', escalation: next, round: 0, drainTimer: this.armDrain() });
  }

  /** SIGTERMs the group (then SIGKILL after killGraceMs) if a member other than a zombie is still running. */
  private stopLiveMembers(escalation: Escalation): Escalation {
    if (this.pid === undefined || escalation.kind !== 'none' || !this.liveMembers(this.pid))
      return escalation;
    return this.terminate(this.pid, this.spec.killGraceMs);
  }

  private liveMembers(pid: number): boolean {
    return sandboxHasLiveMembers(pid, this.output.sandboxInitPid());
  }

  private armDrain(): TimerHandle {
    return this.clock.setTimeout(() => this.onDrainTimer(), this.spec.killGraceMs);
  }

  /**
   * After the leader exits, the pipes close once every writer is gone. A grandchild may hold them open forever,
   * so every killGraceMs we look: a live group member → SIGKILL and stop reading. With no member left, what is
   * still unread is only waiting for a busy event loop, so keep reading, up to DRAIN_ROUNDS checks (a writer that
   * escaped the group with setsid cannot keep the run open longer than that).
   */
  private onDrainTimer(): void {
    const s = this.state;
    if (s.kind !== 'draining') return;
    const holder = this.pid !== undefined && this.liveMembers(this.pid);
    if (!holder && s.round + 1 < drainRounds(this.spec.killGraceMs)) {
      this.state = { ...s, round: s.round + 1, drainTimer: this.armDrain() }; // same phase, next check
      return;
    }
    if (s.escalation.kind !== 'killed' && this.pid !== undefined) {
      signalGroup(this.pid, 'SIGKILL');
      if (s.escalation.kind === 'terminating') this.clock.clearTimeout(s.escalation.killTimer);
      this.state = { ...s, escalation: KILLED };
    }
    this.destroyStreams();
    this.finish();
  }

  /** Output is done (pipes closed, drain over, or nothing spawned); wait for signalled members still running. */
  private finish(): void {
    const s = this.state;
    if (s.kind === 'awaiting-group' || s.kind === 'done') return;
    let escalation = escalationOf(s);
    // Unconfined runs looked when the leader exited; nothing that was not running then can have started since.
    if (s.kind === 'draining' && this.boundWorkdir !== undefined)
      escalation = this.stopLiveMembers(escalation);
    this.awaitGroup(escalation);
  }

  /** Members that were sent SIGTERM and still run are polled until they are gone or the SIGKILL goes out. */
  private awaitGroup(escalation: Escalation): void {
    if (this.pid !== undefined && escalation.kind === 'terminating' && this.liveMembers(this.pid)) {
      const pollMs = Math.min(GROUP_POLL_MS, this.spec.killGraceMs);
      this.enter({
        kind: 'awaiting-group',
        escalation,
        pollTimer: this.clock.setTimeout(() => this.onPollTimer(), pollMs),
      });
      return;
    }
    this.complete(escalation);
  }

  private onPollTimer(): void {
    const s = this.state;
    if (s.kind === 'awaiting-group') this.awaitGroup(s.escalation);
  }

  private complete(escalation: Escalation): void {
    if (this.state.kind === 'done') return;
    if (escalation.kind === 'terminating') this.clock.clearTimeout(escalation.killTimer);
    this.enter({ kind: 'done' });
    this.unregister?.();
    const stderrTail = this.output.stderrTail();
    const result: RunResult = {
      exit:
        this.spawnFailure ??
        this.reason ??
        sandboxSetupExit(this.natural, this.boundWorkdir, this.spec.root, stderrTail) ??
        this.natural ??
        UNKNOWN_EXIT,
      ...this.output.summary(stderrTail),
      durationMs: this.clock.now() - this.startedAt,
      pid: this.pid,
    };
    publishExit(result);
    this.resolve(result);
    this.settle();
  }
}
