/** Types of the subprocess runner: what to run, with which bounds, and how it ended. */
import type { Clock } from '../infra/index.js';
import type { Launcher } from './launch.js';
import type { SandboxPlan } from './sandbox.js';

export interface RunSpec {
  /** Absolute path of the executable (see resolveExecutable). Never a shell string. */
  readonly command: string;
  /** argv after the command. Must never contain user-supplied text that could be read as an option. */
  readonly args: readonly string[];
  /** Validated working directory (the target root). */
  readonly cwd: string;
  /**
   * The realpath `cwd` must stay inside. Set, the directory is pinned (opened, checked, entered through the
   * descriptor on Linux) and the child's cwd is confirmed after spawn: a miss kills the group at once, exit
   * kind 'cwd_outside_root'; a directory gone before spawn gives 'cwd_missing'.
   */
  readonly root?: string;
  /** Run the command inside a bwrap mount namespace (needs `root`: the working directory is bound from it). */
  readonly sandbox?: SandboxPlan;
  /** The complete child environment (see buildChildEnv); nothing is inherited implicitly. */
  readonly env: Readonly<Record<string, string>>;
  /** Written to the child's stdin, then stdin is closed. Undefined: stdin is closed at once. */
  readonly stdin?: string;
  /** Hard deadline for the whole run. */
  readonly timeoutMs: number;
  /** No stdout/stderr bytes for this long → the group is killed, exit kind 'stalled'. */
  readonly stallTimeoutMs: number;
  /** SIGTERM → SIGKILL grace period for the process group. */
  readonly killGraceMs: number;
  /**
   * Stdout bytes kept; past it the group is stopped, exit kind 'output_cap', truncated = true. Not applied with a
   * `stdoutSink`: the sink keeps what it wants and says when it is full.
   */
  readonly maxOutputBytes: number;
  /** Tail of stderr kept for error classification. */
  readonly maxStderrBytes: number;
  /** Abort → the process group is killed, exit kind 'cancelled'. */
  readonly signal?: AbortSignal;
  /** Called with each stdout chunk as it arrives (only bytes within maxOutputBytes). */
  readonly onStdout?: (chunk: Buffer) => void;
  /**
   * Consumes stdout instead of the runner keeping it (RunResult.stdout is then empty): every chunk goes to
   * `push` (and to onStdout); `false` means the sink is full → the group is stopped, exit kind 'output_cap',
   * truncated = true, and later chunks are dropped. A throwing sink counts as full.
   */
  readonly stdoutSink?: StdoutSink;
  readonly clock?: Clock;
  /** How the child is started; default: the spawner process (config `spawner`), else a fork of this process. */
  readonly launch?: Launcher;
}

export interface StdoutSink {
  push(chunk: Buffer): boolean;
}

export type ExitClass =
  | { readonly kind: 'ok' }
  | { readonly kind: 'exit'; readonly code: number }
  | { readonly kind: 'signal'; readonly signal: string }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'stalled' }
  | { readonly kind: 'output_cap' }
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'spawn_error'; readonly errno: string }
  /** The working directory was gone (or unreadable) when the child was to start. */
  | { readonly kind: 'cwd_missing' }
  /** The working directory was not inside `root` at spawn: the child never ran there (or was killed at once). */
  | { readonly kind: 'cwd_outside_root' };

export interface RunResult {
  readonly exit: ExitClass;
  /** Kept stdout bytes (≤ maxOutputBytes). */
  readonly stdout: Buffer;
  /** Total stdout bytes the child wrote that we read (kept or not). */
  readonly stdoutBytes: number;
  /** Last maxStderrBytes of stderr, decoded as UTF-8 (invalid sequences become U+FFFD). */
  readonly stderrTail: string;
  readonly truncated: boolean;
  readonly durationMs: number;
  readonly pid: number | undefined;
}
