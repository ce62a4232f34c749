/** Types of the subprocess runner: what to run, with which bounds, and how it ended. */
import type { Clock } from '../infra/index.js';

export interface RunSpec {
  /** Executable name (looked up on the child's PATH) or absolute path. Never a shell string. */
  readonly command: string;
  /** argv after the command. Must never contain user-supplied text that could be read as an option. */
  readonly args: readonly string[];
  /** Validated working directory (the target root). */
  readonly cwd: string;
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
  /** Stdout bytes kept; past it the group is stopped, exit kind 'output_cap', truncated = true. */
  readonly maxOutputBytes: number;
  /** Tail of stderr kept for error classification. */
  readonly maxStderrBytes: number;
  /** Abort → the process group is killed, exit kind 'cancelled'. */
  readonly signal?: AbortSignal;
  /** Called with each stdout chunk as it arrives (only bytes within maxOutputBytes). */
  readonly onStdout?: (chunk: Buffer) => void;
  readonly clock?: Clock;
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
  | { readonly kind: 'spawn_error'; readonly errno: string };

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
