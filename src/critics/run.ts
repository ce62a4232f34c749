/** runCritic: one critic CLI run end to end — invocation, child env, bounded process, parse, classify. */
import type { Config, CriticName } from '../config/index.js';
import { BrutalistError, ERROR_CODES, type ErrorCode } from '../errors/index.js';
import { type Clock, sha256Hex, systemClock } from '../infra/index.js';
import { buildChildEnv, type RunResult, runProcess } from '../process/index.js';
import { ADAPTERS, baseUrlFor, binaryFor, defaultModelFor } from './adapters.js';
import type { CriticAvailability } from './availability.js';
import { formatExitClass, scrubDetail } from './classify.js';
import type { CriticRequest, CriticResult, ParsedOutput } from './types.js';

export interface RunCriticDeps {
  readonly config: Config;
  readonly availability: CriticAvailability;
  readonly clock?: Clock;
  readonly env?: NodeJS.ProcessEnv;
}

export interface RunCriticOptions {
  /** Validated working directory: the target root. */
  readonly cwd: string;
  readonly signal?: AbortSignal;
  /** A tighter deadline than config.cliTimeoutMs (e.g. what is left of the request deadline). */
  readonly timeoutMs?: number;
  readonly onStdout?: (chunk: Buffer) => void;
}

/** Stderr kept in the internal cause for operators' logs; it never goes into data or the message. */
const CAUSE_STDERR_CHARS = 2_000;

function failure(
  code: ErrorCode,
  critic: CriticName,
  exitClass: string,
  parsed: ParsedOutput | undefined,
  run: RunResult | undefined,
  cause?: unknown,
): BrutalistError {
  const detail = parsed?.error?.message ? scrubDetail(parsed.error.message) : undefined;
  return new BrutalistError(code, `${critic}: ${ERROR_CODES[code].message}`, {
    data: { critic, exitClass, ...(detail ? { detail } : {}) },
    cause: cause ?? (run ? { stderrTail: run.stderrTail.slice(-CAUSE_STDERR_CHARS) } : undefined),
  });
}

/**
 * Runs `critic` on `request` in `options.cwd`. Resolves with the critique (possibly truncated at the
 * output cap); rejects with a BrutalistError whose code says what went wrong.
 */
export async function runCritic(
  deps: RunCriticDeps,
  critic: CriticName,
  request: CriticRequest,
  options: RunCriticOptions,
): Promise<CriticResult> {
  const { config } = deps;
  const adapter = ADAPTERS[critic];
  const availability = await deps.availability.check(critic);
  if (!availability.available) {
    const code = availability.error ?? 'CLI_NOT_FOUND';
    throw new BrutalistError(code, `${critic}: ${ERROR_CODES[code].message}`, {
      data: { critic, exitClass: 'unavailable' },
    });
  }

  const model = request.model || defaultModelFor(config, critic) || undefined;
  const baseUrl = baseUrlFor(config, critic);
  const invocation = adapter.buildInvocation(request, model, {
    trustWorkspace: config.geminiTrustWorkspace,
    cwd: options.cwd,
    ...(config.geminiSystemDefaultsPath ? { geminiSystemDefaultsPath: config.geminiSystemDefaultsPath } : {}),
    ...(baseUrl ? { baseUrl } : {}),
  });
  const serverEnv = deps.env ?? process.env;
  const env = buildChildEnv(serverEnv, {
    allow: [...adapter.envAllowlist(serverEnv), ...config.extraEnv],
    set: invocation.env,
  });
  const timeoutMs =
    options.timeoutMs !== undefined
      ? Math.max(1, Math.min(options.timeoutMs, config.cliTimeoutMs))
      : config.cliTimeoutMs;

  const run = await runProcess({
    command: binaryFor(config, critic),
    args: invocation.args,
    cwd: options.cwd,
    env,
    stdin: invocation.stdin,
    timeoutMs,
    stallTimeoutMs: config.stallTimeoutMs,
    killGraceMs: config.killGraceMs,
    maxOutputBytes: config.maxOutputBytes,
    maxStderrBytes: config.maxStderrBytes,
    clock: deps.clock ?? systemClock,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onStdout ? { onStdout: options.onStdout } : {}),
  });

  const exitClass = formatExitClass(run.exit);
  let parsed: ParsedOutput | undefined;
  let parseError: unknown;
  try {
    parsed = adapter.parseOutput(run.stdout.toString('utf8'), run.truncated);
  } catch (err) {
    parseError = err;
  }

  const code = adapter.classifyFailure(run, parsed);
  if (code) {
    // The binary vanished since the probe: make the next check notice.
    if (code === 'CLI_NOT_FOUND') deps.availability.invalidate(critic);
    throw failure(code, critic, exitClass, parsed, run);
  }
  if (!parsed || parsed.text.trim().length === 0) {
    throw failure('CLI_OUTPUT_INVALID', critic, exitClass, parsed, run, parseError);
  }

  return {
    critic,
    cliVersion: availability.version,
    model: parsed.model ?? model,
    argv: invocation.shownArgs ?? invocation.args,
    promptSha256: sha256Hex(request.prompt),
    durationMs: run.durationMs,
    exitClass,
    outputBytes: run.stdoutBytes,
    truncated: run.truncated,
    usage: parsed.usage,
    text: parsed.text,
  };
}
