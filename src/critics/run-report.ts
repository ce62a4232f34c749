/** How a critic run is reported: the typed error of a failed one (with its detail), and the metrics and log channels. */
import type { CriticId } from '../config/index.js';
import { BrutalistError, ERROR_CODES, type ErrorCode } from '../errors/index.js';
import type { RunResult } from '../process/index.js';
import { sanitizeText } from '../security/index.js';
import { scrubDetail } from './classify.js';
import {
  CRITIC_STDERR_TAIL_CHARS,
  type CriticFailureEvent,
  criticFailureChannel,
  criticRunChannel,
} from './diagnostics.js';
import type { ParsedOutput } from './types.js';

/** What a failure report needs besides the code: where the run was (for path scrubbing) and whose secrets to drop. */
export interface FailureScope {
  readonly critic: CriticId;
  /** The metrics label (a per-call routed critic's is `routed`). */
  readonly label: string;
  readonly root: string;
  readonly env: NodeJS.ProcessEnv;
}

/** Stderr lines a detail quotes when the CLI printed no structured error: the last ones say why it stopped. */
const DETAIL_STDERR_LINES = 2;
/**
 * Stderr lines that never say why a run failed: the CLIs' start-up warnings (codex "WARNING: proceeding, even
 * though…", gemini "Warning: 256-color support…", "Ripgrep is not available…"). Skipped unless nothing else is left.
 */
const DETAIL_NOISE_RE = /^warn(?:ing)?\b|ripgrep is not available|model metadata for/i;

/**
 * The failed run as a BrutalistError carrying its cause: `data.detail` (the vendor's error message, else the last
 * stderr lines; sanitized, one line, ≤ 300 chars) and `data.exitClass`. The sanitized stderr tail is published on
 * the critic-failure channel for the log, never sent to the client.
 */
export function failure(
  code: ErrorCode,
  scope: FailureScope,
  exitClass: string,
  parsed: ParsedOutput | undefined,
  run: RunResult,
  cause?: unknown,
): BrutalistError {
  const clean = (text: string, maxChars?: number) =>
    sanitizeText(text, { roots: [scope.root], env: scope.env, ...(maxChars ? { maxChars } : {}) });
  const stderrTail = clean(run.stderrTail.slice(-CRITIC_STDERR_TAIL_CHARS * 2), CRITIC_STDERR_TAIL_CHARS);
  const raw = parsed?.error?.message || lastLines(stderrTail, DETAIL_STDERR_LINES);
  const detail = raw ? scrubDetail(clean(raw)) : '';
  if (criticFailureChannel.hasSubscribers) {
    const event: CriticFailureEvent = {
      critic: scope.critic,
      code,
      exitClass,
      durationMs: run.durationMs,
      stderrTail,
      detail,
    };
    criticFailureChannel.publish(event);
  }
  publishRun(scope.label, exitClass, code, run, parsed);
  const retryAfterMs = parsed?.error?.retryAfterMs;
  return new BrutalistError(code, `${scope.critic}: ${ERROR_CODES[code].message}`, {
    data: {
      critic: scope.critic,
      exitClass,
      ...(detail ? { detail } : {}),
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    },
    cause: cause ?? { stderrTail },
  });
}

/** Tells metrics how a run that started a process ended (nothing when no one listens). */
export function publishRun(
  critic: string,
  exitClass: string,
  code: ErrorCode | undefined,
  run: RunResult,
  parsed: ParsedOutput | undefined,
): void {
  if (!criticRunChannel.hasSubscribers) return;
  const { durationMs, stdoutBytes: outputBytes, truncated } = run;
  const inputTokens = parsed?.usage?.inputTokens;
  const outputTokens = parsed?.usage?.outputTokens;
  criticRunChannel.publish({
    critic,
    exitClass,
    code,
    durationMs,
    outputBytes,
    truncated,
    inputTokens,
    outputTokens,
  });
}

/** The last `count` non-empty lines that are not known noise (or, when all are noise, the last ones at all). */
function lastLines(text: string, count: number): string {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  const telling = lines.filter((line) => !DETAIL_NOISE_RE.test(line));
  return (telling.length > 0 ? telling : lines).slice(-count).join(' | ');
}
