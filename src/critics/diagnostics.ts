/** The diagnostics_channel event a failed critic run publishes; observability subscribes and logs it. */
import type { CriticId } from '../config/index.js';
import type { ErrorCode } from '../errors/index.js';
import { diagnosticsChannel } from '../infra/index.js';

export const CRITIC_FAILURE_CHANNEL = 'brutalist:critic:failure';

/**
 * Published once per failed runCritic call, in the async context of the request that ran it. Text fields are
 * already sanitized (secrets redacted, host paths outside the run's root masked), so subscribers may log them.
 */
export interface CriticFailureEvent {
  readonly critic: CriticId;
  readonly code: ErrorCode;
  /** `exit:1`, `signal:SIGKILL`, `timeout`, `stalled`, … (formatExitClass), or `unavailable`. */
  readonly exitClass: string;
  /** How long the process ran; 0 when none was started. */
  readonly durationMs: number;
  /** The last lines of the CLI's stderr, sanitized, at most CRITIC_STDERR_TAIL_CHARS. */
  readonly stderrTail: string;
  /** The short cause also sent to the client as `data.detail` (empty when there is none). */
  readonly detail: string;
}

export const CRITIC_STDERR_TAIL_CHARS = 2_000;

export const criticFailureChannel = diagnosticsChannel<CriticFailureEvent>(CRITIC_FAILURE_CHANNEL);

/** Published once per runCritic call that ran a process (success or failure), in the request's async context. */
export interface CriticRunEvent {
  /** A bounded label: the native critic's name, a config-file routed critic's id, or `routed` (per-call ones). */
  readonly critic: string;
  /** `ok`, or the failure's exit class (`exit:1`, `signal:SIGKILL`, `timeout`, …). */
  readonly exitClass: string;
  /** The error code of a failed run; undefined on success. */
  readonly code: ErrorCode | undefined;
  readonly durationMs: number;
  readonly outputBytes: number;
  readonly truncated: boolean;
  readonly inputTokens: number | undefined;
  readonly outputTokens: number | undefined;
}

export const criticRunChannel = diagnosticsChannel<CriticRunEvent>('brutalist:critic:run');
