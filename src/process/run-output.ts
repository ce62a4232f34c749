/**
 * What one run keeps of its child's output: the stdout prefix (or what a sink took), the stderr tail, bwrap's info,
 * and when the child last wrote anything.
 */
import type { Clock } from '../infra/index.js';
import { exitChannel, firstOutputChannel, type ProcessExitEvent } from './diagnostics.js';
import { CappedCollector, TailCollector } from './output.js';
import { infoChildPid } from './sandbox.js';
import type { RunResult, RunSpec } from './types.js';

export interface OutputSummary {
  readonly stdout: Buffer;
  readonly stdoutBytes: number;
  readonly stderrTail: string;
  readonly truncated: boolean;
}

/** More than bwrap's info JSON ever takes; the rest is not read. */
const MAX_INFO_CHARS = 1024;

export class RunOutput {
  private readonly stdout: CappedCollector;
  private readonly stderr: TailCollector;
  /** With a stdoutSink: bytes read, and whether the sink said it is full. */
  private sinkBytes = 0;
  private sinkFull = false;
  private sawStdout = false;
  /** What bwrap wrote to --info-fd so far: it names the sandbox's init. */
  private sandboxInfo = '';
  /** When the child last wrote to stdout or stderr (the stall watchdog's measure); the run's start before that. */
  lastActivityAt: number;

  constructor(
    private readonly spec: RunSpec,
    private readonly clock: Clock,
  ) {
    this.stdout = new CappedCollector(spec.maxOutputBytes);
    this.stderr = new TailCollector(spec.maxStderrBytes);
    this.lastActivityAt = clock.now();
  }

  /**
   * Takes a stdout chunk of the child `pid` (and hands it on); returns true when the output is past its bound and
   * must stop. The first chunk is published on the first-output channel.
   */
  pushStdout(chunk: Buffer, pid: number | undefined): boolean {
    this.lastActivityAt = this.clock.now();
    if (!this.sawStdout) {
      this.sawStdout = true;
      if (firstOutputChannel.hasSubscribers) firstOutputChannel.publish({ pid });
    }
    const sink = this.spec.stdoutSink;
    if (sink) {
      this.sinkBytes += chunk.length;
      if (this.sinkFull) return false;
      let more: boolean;
      try {
        more = sink.push(chunk);
      } catch {
        more = false;
      }
      this.notify(chunk);
      if (!more) this.sinkFull = true;
      return !more;
    }
    const kept = this.stdout.push(chunk);
    if (kept.length > 0) this.notify(kept);
    return this.stdout.overflowed;
  }

  pushStderr(chunk: Buffer): void {
    this.lastActivityAt = this.clock.now();
    this.stderr.push(chunk);
  }

  /** Takes a chunk of bwrap's --info-fd JSON. */
  pushInfo(chunk: Buffer): void {
    if (this.sandboxInfo.length < MAX_INFO_CHARS) this.sandboxInfo += chunk.toString('latin1');
  }

  /** The pid of the sandbox's init, once bwrap has named it. */
  sandboxInitPid(): number | undefined {
    return infoChildPid(this.sandboxInfo);
  }

  stderrTail(): string {
    return this.stderr.toString();
  }

  summary(stderrTail: string): OutputSummary {
    return {
      stdout: this.stdout.toBuffer(),
      stdoutBytes: this.spec.stdoutSink ? this.sinkBytes : this.stdout.totalBytes,
      stderrTail,
      truncated: this.spec.stdoutSink ? this.sinkFull : this.stdout.overflowed,
    };
  }

  private notify(chunk: Buffer): void {
    if (!this.spec.onStdout) return;
    try {
      this.spec.onStdout(chunk);
    } catch {
      // A failing consumer must not crash the runner or orphan the child; the output is still collected.
    }
  }
}

/** Publishes a run's result summary on the exit channel (nothing when no one listens); returns the result. */
export function publishExit(r: RunResult): RunResult {
  if (!exitChannel.hasSubscribers) return r;
  const event: ProcessExitEvent = {
    pid: r.pid,
    exit: r.exit,
    durationMs: r.durationMs,
    stdoutBytes: r.stdoutBytes,
    truncated: r.truncated,
  };
  exitChannel.publish(event);
  return r;
}

/** The result of a run whose signal was aborted before it started: nothing was spawned. */
export function cancelledBeforeStart(): RunResult {
  return {
    exit: { kind: 'cancelled' },
    stdout: Buffer.alloc(0),
    stdoutBytes: 0,
    stderrTail: '',
    truncated: false,
    durationMs: 0,
    pid: undefined,
  };
}
