/** runProcess: the one place that spawns a child, in its own process group, bounded by deadline, stall, cap and abort. */
import { type ChildProcess, spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { type Clock, systemClock, type TimerHandle } from '../infra/index.js';
import { exitChannel, type ProcessExitEvent, spawnChannel } from './diagnostics.js';
import { groupHasLiveMembers, isLiveMember, registerRun, signalGroup } from './group.js';
import { CappedCollector, TailCollector } from './output.js';
import { bwrapArgs, infoChildPid, workdirBindFailed } from './sandbox.js';
import type { ExitClass, RunResult, RunSpec } from './types.js';
import { checkChildCwd, type PinnedWorkdir, pinWorkdir } from './workdir.js';

/** How often a run whose group was signalled checks whether the members are gone, before the SIGKILL. */
const GROUP_POLL_MS = 25;
/**
 * After its leader exited, a run whose pipes no group member holds keeps reading for DRAIN_ROUNDS killGraceMs
 * periods, and at least MIN_DRAIN_MS (a short grace must not cut off output a busy event loop has yet to read).
 */
const DRAIN_ROUNDS = 4;
const MIN_DRAIN_MS = 2_000;

/** The stdio slot the pinned working directory's descriptor is passed in to bwrap. */
const WORKDIR_FD_SLOT = 3;
/** The stdio slot bwrap writes its --info-fd JSON to (the PID of its init). */
const INFO_FD_SLOT = 4;
/** More than bwrap's info JSON ever takes; the rest is not read. */
const MAX_INFO_CHARS = 1024;

/** Runs one child to completion. Never rejects: every outcome is an ExitClass. */
export function runProcess(spec: RunSpec): Promise<RunResult> {
  const clock = spec.clock ?? systemClock;
  if (spec.signal?.aborted) {
    const result: RunResult = {
      exit: { kind: 'cancelled' },
      stdout: Buffer.alloc(0),
      stdoutBytes: 0,
      stderrTail: '',
      truncated: false,
      durationMs: 0,
      pid: undefined,
    };
    publishExit(result);
    return Promise.resolve(result);
  }
  return new Promise((resolve) => new Run(spec, clock, resolve).start());
}

function publishExit(r: RunResult): void {
  if (!exitChannel.hasSubscribers) return;
  const event: ProcessExitEvent = {
    pid: r.pid,
    exit: r.exit,
    durationMs: r.durationMs,
    stdoutBytes: r.stdoutBytes,
    truncated: r.truncated,
  };
  exitChannel.publish(event);
}

class Run {
  private readonly startedAt: number;
  private readonly stdout: CappedCollector;
  private readonly stderr: TailCollector;
  private child: ChildProcess | undefined;
  private pid: number | undefined;
  /** The first kill trigger; it wins the classification. */
  private reason: ExitClass | undefined;
  /** How the leader ended on its own (code or signal). */
  private natural: ExitClass | undefined;
  private spawnFailure: ExitClass | undefined;
  private leaderExited = false;
  private termSent = false;
  private killSent = false;
  private finished = false;
  private completed = false;
  private waitingForGroup = false;
  /** The cwd was held open by a descriptor at spawn, so an ENOENT can only mean the command is missing. */
  private cwdPinned = false;
  /** The host path bwrap binds as the working directory, when the run is sandboxed. */
  private boundWorkdir: string | undefined;
  /** What bwrap wrote to --info-fd so far: it names the sandbox's init. */
  private sandboxInfo = '';
  private lastActivityAt: number;
  /** With a stdoutSink: bytes read, and whether the sink said it is full. */
  private sinkBytes = 0;
  private sinkFull = false;
  private deadlineTimer: TimerHandle | undefined;
  private stallTimer: TimerHandle | undefined;
  private killTimer: TimerHandle | undefined;
  private drainTimer: TimerHandle | undefined;
  private pollTimer: TimerHandle | undefined;
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
    this.lastActivityAt = this.startedAt;
    this.stdout = new CappedCollector(spec.maxOutputBytes);
    this.stderr = new TailCollector(spec.maxStderrBytes);
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
    try {
      this.spawn(pinned);
    } finally {
      // The child has its own copy of the descriptor (or chdir'd through it) once spawn returned.
      pinned?.close();
    }
  }

  private spawn(pinned: PinnedWorkdir | undefined): void {
    const { spec } = this;
    let command = spec.command;
    let args: readonly string[] = spec.args;
    const stdio: Array<'pipe' | number> = ['pipe', 'pipe', 'pipe'];
    this.cwdPinned = pinned?.fd !== undefined;
    if (spec.sandbox && pinned?.fd !== undefined) {
      command = spec.sandbox.bwrap;
      args = bwrapArgs(spec.sandbox, pinned.path, WORKDIR_FD_SLOT, spec.command, spec.args, INFO_FD_SLOT);
      stdio[WORKDIR_FD_SLOT] = pinned.fd;
      stdio[INFO_FD_SLOT] = 'pipe';
      this.boundWorkdir = pinned.path;
    }
    let child: ChildProcess;
    try {
      // detached: the child calls setsid(), so it leads a new process group we can signal as a whole.
      child = spawn(command, [...args], {
        cwd: pinned?.spawnCwd ?? spec.cwd,
        env: { ...spec.env },
        shell: false,
        detached: true,
        stdio,
        windowsHide: true,
      });
    } catch (err) {
      this.failSpawn(err);
      return;
    }
    this.child = child;
    // Stream errors (EPIPE when the child never reads stdin, ERR_STREAM_DESTROYED after a kill) are expected
    // outcomes of a child exiting early; the exit itself is what gets classified.
    child.stdin?.on('error', () => {});
    child.stdout?.on('error', () => {});
    child.stderr?.on('error', () => {});
    const info = child.stdio[INFO_FD_SLOT];
    if (info) {
      info.on('error', () => {});
      info.on('data', (chunk: Buffer) => {
        if (this.sandboxInfo.length < MAX_INFO_CHARS) this.sandboxInfo += chunk.toString('latin1');
      });
    }
    // After a successful spawn, 'error' only reports failed kill()/send(), which we never call.
    child.on('error', (err) => {
      if (this.pid === undefined) this.failSpawn(err);
    });
    if (child.pid === undefined) return; // spawn failed; 'error' follows on the next tick

    const pid = child.pid;
    this.pid = pid;
    this.unregister = registerRun({
      shutdown: (graceMs) => {
        // A run whose leader already exited is only draining, which killGraceMs bounds.
        if (!this.leaderExited) this.trigger({ kind: 'cancelled' }, graceMs);
      },
      settled: this.settled,
    });
    if (spawnChannel.hasSubscribers) {
      spawnChannel.publish({ pid, command: basename(spec.command), argCount: spec.args.length });
    }

    child.stdout?.on('data', (chunk: Buffer) => this.onStdout(chunk));
    child.stderr?.on('data', (chunk: Buffer) => {
      this.lastActivityAt = this.clock.now();
      this.stderr.push(chunk);
    });
    child.on('exit', (code, signal) => this.onLeaderExit(code, signal));
    child.on('close', () => this.finish());

    // The guarantee behind the pinning: the leader's cwd, as the kernel reports it, is inside the root. A miss
    // (the pinned directory was moved out of the root in between) is killed before it gets its prompt.
    if (pinned?.fd !== undefined && spec.root !== undefined) {
      const where = checkChildCwd(pid, spec.root);
      if (where === 'cwd_outside_root' || where === 'cwd_missing') {
        this.reason = { kind: where };
        this.termSent = true;
        this.killSent = true;
        signalGroup(pid, 'SIGKILL');
        child.stdin?.destroy();
        return;
      }
    }

    if (spec.stdin !== undefined) child.stdin?.end(spec.stdin);
    else child.stdin?.end();

    this.deadlineTimer = this.clock.setTimeout(() => this.trigger({ kind: 'timeout' }), spec.timeoutMs);
    this.armStall(spec.stallTimeoutMs);
    spec.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  private onStdout(chunk: Buffer): void {
    this.lastActivityAt = this.clock.now();
    const sink = this.spec.stdoutSink;
    if (sink) {
      this.sinkBytes += chunk.length;
      if (this.sinkFull) return;
      let more: boolean;
      try {
        more = sink.push(chunk);
      } catch {
        more = false;
      }
      this.notify(chunk);
      if (!more) {
        this.sinkFull = true;
        this.trigger({ kind: 'output_cap' });
      }
      return;
    }
    const kept = this.stdout.push(chunk);
    if (kept.length > 0) this.notify(kept);
    if (this.stdout.overflowed) this.trigger({ kind: 'output_cap' });
  }

  private notify(chunk: Buffer): void {
    if (!this.spec.onStdout) return;
    try {
      this.spec.onStdout(chunk);
    } catch {
      // A failing consumer must not crash the runner or orphan the child; the output is still collected.
    }
  }

  /** The watchdog re-arms for the remaining idle time instead of resetting a timer on every chunk. */
  private armStall(delayMs: number): void {
    this.stallTimer = this.clock.setTimeout(() => {
      this.stallTimer = undefined;
      if (this.leaderExited || this.reason) return;
      const idleMs = this.clock.now() - this.lastActivityAt;
      if (idleMs >= this.spec.stallTimeoutMs) this.trigger({ kind: 'stalled' });
      else this.armStall(this.spec.stallTimeoutMs - idleMs);
    }, delayMs);
  }

  /** Starts SIGTERM → (grace) → SIGKILL on the whole group; only the first trigger sets the reason. */
  private trigger(reason: ExitClass, graceMs = this.spec.killGraceMs): void {
    if (this.finished || this.pid === undefined) return;
    this.reason ??= reason;
    this.stopWatchdogs();
    this.terminateGroup(graceMs);
  }

  private terminateGroup(graceMs: number): void {
    if (this.termSent || this.pid === undefined) return;
    this.termSent = true;
    signalGroup(this.pid, 'SIGTERM');
    this.killTimer = this.clock.setTimeout(() => this.forceKill(), graceMs);
  }

  private forceKill(): void {
    this.killTimer = undefined;
    this.killSent = true;
    if (this.pid !== undefined) signalGroup(this.pid, 'SIGKILL');
    if (this.waitingForGroup) this.complete();
  }

  private onLeaderExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.leaderExited = true;
    if (code === 0) this.natural = { kind: 'ok' };
    else if (code !== null) this.natural = { kind: 'exit', code };
    else this.natural = { kind: 'signal', signal: signal ?? 'UNKNOWN' };
    this.stopWatchdogs();
    // Grandchildren left running in the group must not outlive the run. Under bwrap they live in its PID
    // namespace, which the kernel empties when bwrap's init exits right after the critic; the init itself may
    // still be exiting now, so finish() looks once the pipes it holds have closed. Zombies never count: in a
    // container whose PID 1 never reaps, that init stays a zombie in the group after every sandboxed run.
    if (this.boundWorkdir === undefined) this.stopLiveMembers();
    this.armDrain(0);
  }

  /** SIGTERMs the group (then SIGKILL after killGraceMs) if a member other than a zombie is still running. */
  private stopLiveMembers(): void {
    if (this.pid === undefined || this.termSent || this.killSent) return;
    // Under bwrap every other member lives in its PID namespace, which the kernel has emptied (or is emptying:
    // SIGKILL) once the namespace's init is dead or inside exit(): one stat read then, instead of a /proc scan.
    const init = infoChildPid(this.sandboxInfo);
    if (init !== undefined && !isLiveMember(init, this.pid)) return;
    if (groupHasLiveMembers(this.pid)) this.terminateGroup(this.spec.killGraceMs);
  }

  /**
   * After the leader exits, the pipes close once every writer is gone. A grandchild may hold them open forever,
   * so every killGraceMs we look: a live group member → SIGKILL and stop reading. With no member left, what is
   * still unread is only waiting for a busy event loop, so keep reading, up to DRAIN_ROUNDS checks (a writer that
   * escaped the group with setsid cannot keep the run open longer than that).
   */
  private armDrain(round: number): void {
    this.drainTimer = this.clock.setTimeout(() => {
      this.drainTimer = undefined;
      const holder = this.pid !== undefined && groupHasLiveMembers(this.pid);
      const rounds = Math.max(DRAIN_ROUNDS, Math.ceil(MIN_DRAIN_MS / Math.max(1, this.spec.killGraceMs)));
      if (!holder && round + 1 < rounds) {
        this.armDrain(round + 1);
        return;
      }
      if (!this.killSent && this.pid !== undefined) {
        this.killSent = true;
        signalGroup(this.pid, 'SIGKILL');
      }
      this.child?.stdout?.destroy();
      this.child?.stderr?.destroy();
      this.finish();
    }, this.spec.killGraceMs);
  }

  private failSpawn(err: unknown): void {
    const code = (err as NodeJS.ErrnoException | undefined)?.code ?? 'UNKNOWN';
    // uv_spawn reports a missing cwd as ENOENT too; only a missing command means "not installed".
    const cwdGone =
      !this.cwdPinned && (code === 'ENOENT' || code === 'ENOTDIR') && !isDirectory(this.spec.cwd);
    this.spawnFailure = cwdGone
      ? { kind: 'cwd_missing' }
      : code === 'ENOENT'
        ? { kind: 'not_found' }
        : { kind: 'spawn_error', errno: code };
    this.child?.stdin?.destroy();
    this.child?.stdout?.destroy();
    this.child?.stderr?.destroy();
    this.finish();
  }

  private stopWatchdogs(): void {
    this.clearTimer('deadlineTimer');
    this.clearTimer('stallTimer');
    this.spec.signal?.removeEventListener('abort', this.onAbort);
  }

  private clearTimer(name: 'deadlineTimer' | 'stallTimer' | 'killTimer' | 'drainTimer' | 'pollTimer'): void {
    const handle = this[name];
    if (handle !== undefined) this.clock.clearTimeout(handle);
    this[name] = undefined;
  }

  /** Output is done; if signalled members may still be running, wait for them or for the pending SIGKILL. */
  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.stopWatchdogs();
    this.clearTimer('drainTimer');
    // Unconfined runs looked when the leader exited; nothing that was not running then can have started since.
    if (this.leaderExited && this.boundWorkdir !== undefined) this.stopLiveMembers();
    this.awaitGroup();
  }

  private awaitGroup(): void {
    this.pollTimer = undefined;
    if (this.pid !== undefined && this.termSent && !this.killSent && groupHasLiveMembers(this.pid)) {
      this.waitingForGroup = true;
      this.pollTimer = this.clock.setTimeout(
        () => this.awaitGroup(),
        Math.min(GROUP_POLL_MS, this.spec.killGraceMs),
      );
      return;
    }
    this.complete();
  }

  /** bwrap exits 1 before the critic starts when the pinned directory moved while it was bound. */
  private sandboxSetupFailure(stderrTail: string): ExitClass | undefined {
    const exited = this.natural?.kind === 'exit' && this.natural.code === 1;
    if (!exited || this.boundWorkdir === undefined) return undefined;
    return workdirBindFailed(stderrTail, this.boundWorkdir) ? { kind: 'cwd_missing' } : undefined;
  }

  private complete(): void {
    if (this.completed) return;
    this.completed = true;
    this.clearTimer('killTimer');
    this.clearTimer('pollTimer');
    this.unregister?.();
    const stderrTail = this.stderr.toString();
    const result: RunResult = {
      exit:
        this.spawnFailure ??
        this.reason ??
        this.sandboxSetupFailure(stderrTail) ??
        this.natural ??
        UNKNOWN_EXIT,
      stdout: this.stdout.toBuffer(),
      stdoutBytes: this.spec.stdoutSink ? this.sinkBytes : this.stdout.totalBytes,
      stderrTail,
      truncated: this.spec.stdoutSink ? this.sinkFull : this.stdout.overflowed,
      durationMs: this.clock.now() - this.startedAt,
      pid: this.pid,
    };
    publishExit(result);
    this.resolve(result);
    this.settle();
  }
}

const UNKNOWN_EXIT: ExitClass = { kind: 'signal', signal: 'UNKNOWN' };

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
