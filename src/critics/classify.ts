/** Failure classification shared by the adapters: exit class + stderr + structured error → a stable ErrorCode. */
import { BrutalistError, type ErrorCode } from '../errors/index.js';
import type { ExitClass, RunResult } from '../process/types.js';
import type { ParsedOutput } from './types.js';

/** The short string form recorded in CriticResult.exitClass and error data. */
export function formatExitClass(exit: ExitClass): string {
  switch (exit.kind) {
    case 'exit':
      return `exit:${exit.code}`;
    case 'signal':
      return `signal:${exit.signal}`;
    default:
      return exit.kind;
  }
}

/** Runner outcomes that say everything by themselves, whatever the CLI printed. */
const RUNNER_CODES: Partial<Record<ExitClass['kind'], ErrorCode>> = {
  timeout: 'CLI_TIMEOUT',
  stalled: 'CLI_STALLED',
  cancelled: 'CANCELLED',
  not_found: 'CLI_NOT_FOUND',
  spawn_error: 'CLI_SPAWN_FAILED',
  signal: 'CLI_KILLED',
};

// Evidence patterns, checked in this order: auth, then quota (quota errors often carry 429 too), then rate, then model.
const AUTH_RE =
  /invalid[ _-]?(?:x-)?api[ _-]?key|incorrect api key|api key not valid|\/login\b|not logged in|unauthori[sz]ed|forbidden|authentication[ _-]?(?:failed|error|required)|failed to authenticate|must specify the \w*api_key|oauth (?:token|session) (?:has )?expired|\b(?:status|error):? ?40[13]\b/i;
const QUOTA_RE = /insufficient_quota|quota|credit balance|usage limit/i;
const RATE_RE = /rate[ _-]?limit|too many requests|\b429\b/i;
const MODEL_RE =
  /model_not_found|unknown model|invalid model|models?\b[^\n]{0,160}?(?:not found|(?:does|may) not exist|not supported|not available)/i;
/**
 * The CLI never reached its model API: claude "Unable to connect to API (ConnectionRefused)", gemini
 * "fetch failed", codex "Reconnecting... waiting for network (Connection failed: ...)".
 */
const UNREACHABLE_RE =
  /unable to connect to api|connection ?refused|econnrefused|enotfound|ehostunreach|enetunreach|getaddrinfo|fetch failed|waiting for network|connection failed|could not resolve host/i;
/** stderr lines that are known harmless noise and must not steer classification. */
const STDERR_NOISE_RE = /model metadata for/i;

export interface ClassifyHints {
  /** Exit codes by which this CLI itself reports missing/invalid auth (gemini: 41). */
  readonly authExitCodes?: readonly number[];
  /** Exit codes that mean "this folder is not trusted" (gemini: 55). */
  readonly untrustedExitCodes?: readonly number[];
}

/**
 * The error code for a finished run, or undefined when it succeeded. Uses only the exit class,
 * stderr and the CLI's structured error: a successful critique that talks about "429" stays a success.
 */
export function classifyRun(
  run: RunResult,
  parsed: ParsedOutput | undefined,
  hints: ClassifyHints = {},
): ErrorCode | undefined {
  const runnerCode = RUNNER_CODES[run.exit.kind];
  const structured = parsed?.error;
  const stderr = run.stderrTail
    .split('\n')
    .filter((l) => !STDERR_NOISE_RE.test(l))
    .join('\n');
  const evidence = `${structured?.message ?? ''}\n${stderr}`;
  // A CLI that keeps retrying (codex on a refused connection, gemini's model router on 429s) is stopped by our
  // deadline or stall watchdog; when it never produced any text, what it was retrying is the more useful code.
  if ((runnerCode === 'CLI_TIMEOUT' || runnerCode === 'CLI_STALLED') && !parsed?.text) {
    if (UNREACHABLE_RE.test(evidence)) return 'MODEL_API_UNREACHABLE';
    if (structured?.status === 429 || RATE_RE.test(evidence)) return 'RATE_LIMITED';
  }
  if (runnerCode) return runnerCode;
  if ((run.exit.kind === 'ok' || run.exit.kind === 'output_cap') && !structured) return undefined;

  const status = structured?.status;
  const exitCode = run.exit.kind === 'exit' ? run.exit.code : 0;

  if (hints.untrustedExitCodes?.includes(exitCode)) return 'WORKSPACE_UNTRUSTED';
  if (status === 401 || status === 403 || hints.authExitCodes?.includes(exitCode) || AUTH_RE.test(evidence)) {
    return 'AUTH_REQUIRED';
  }
  if (QUOTA_RE.test(evidence)) return 'QUOTA_EXCEEDED';
  if (status === 429 || RATE_RE.test(evidence)) return 'RATE_LIMITED';
  if ((status === 404 && /model/i.test(evidence)) || MODEL_RE.test(evidence)) return 'MODEL_NOT_FOUND';
  if (UNREACHABLE_RE.test(evidence)) return 'MODEL_API_UNREACHABLE';
  return 'CLI_FAILED';
}

const DETAIL_MAX_CHARS = 300;
// Absolute or home-relative paths with at least two segments; URLs are left alone (preceded by ':' or '/').
const PATH_RE = /(?<![\w:/.~-])~?(?:\/[^\s/'"`:,;)\]}]+){2,}/g;

/** A client-safe excerpt of a CLI's structured error message: one line, host paths masked, ≤ 300 chars. */
export function scrubDetail(message: string): string {
  const oneLine = message.replace(/\s+/g, ' ').trim().replace(PATH_RE, '<path>');
  return oneLine.length > DETAIL_MAX_CHARS ? `${oneLine.slice(0, DETAIL_MAX_CHARS - 1)}…` : oneLine;
}

/** Extracts an HTTP status from messages like "unexpected status 401", "last status: 429", "API Error: 500". */
export function statusFromMessage(message: string): number | undefined {
  const m = /\b(?:status|api error):? ?([1-5]\d\d)\b/i.exec(message);
  return m ? Number(m[1]) : undefined;
}

// Models go into argv: never anything that could be read as an option or smuggle whitespace.
const MODEL_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._:/@[\]-]{0,127}$/;

/** Whether a model name is a plain identifier that cannot be read as an option. */
export function isSafeModel(model: string): boolean {
  return MODEL_NAME_RE.test(model);
}

/** Throws INVALID_ARGUMENT for a model name that is not a plain identifier. */
export function assertSafeModel(model: string): void {
  if (!isSafeModel(model)) {
    throw new BrutalistError(
      'INVALID_ARGUMENT',
      'model must be 1-128 characters of letters, digits and . _ : / @ [ ] -, starting with a letter or digit',
      { data: { argument: 'model' } },
    );
  }
}

/** A `--version` line's semver ("2.1.197 (Claude Code)", "codex-cli 0.169.0", "0.61.0"). */
export function parseSemver(stdout: string): string | undefined {
  const m = /(?:^|\s)v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)(?=\s|$)/m.exec(stdout);
  return m?.[1];
}

/** CLI_OUTPUT_INVALID for output with nothing this adapter recognises. */
export function outputInvalid(critic: string): BrutalistError {
  return new BrutalistError('CLI_OUTPUT_INVALID', undefined, { data: { critic } });
}
