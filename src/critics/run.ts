/** runCritic: one critic CLI run end to end — invocation, child env, where it runs, bounded process, parse, classify. */
import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Config, CriticName } from '../config/index.js';
import { BrutalistError, ERROR_CODES, type ErrorCode } from '../errors/index.js';
import { type Clock, sha256Hex, systemClock } from '../infra/index.js';
import {
  buildChildEnv,
  installFor,
  makePrivateDir,
  type RunResult,
  runProcess,
  type SandboxPlan,
} from '../process/index.js';
import { ADAPTERS, baseUrlFor, configPathsFor, defaultModelFor } from './adapters.js';
import type { CriticAvailability, SandboxStatus } from './availability.js';
import { formatExitClass, scrubDetail } from './classify.js';
import type { CriticRequest, CriticResult, FileAccess, ParsedOutput } from './types.js';

export interface RunCriticDeps {
  readonly config: Config;
  readonly availability: CriticAvailability;
  readonly clock?: Clock;
  readonly env?: NodeJS.ProcessEnv;
}

export interface RunCriticOptions {
  /**
   * `read` (default): the critic runs in `cwd` with its read tools. `none`: no file to read — it runs in a fresh
   * empty private dir (0700, under config.workDir or the OS temp dir) made for this run and removed after it,
   * whatever the outcome, and the adapter turns the CLI's file tools off where the CLI allows it.
   */
  readonly fileAccess?: FileAccess;
  /** Validated working directory (the target, or its folder); required with fileAccess `read`. */
  readonly cwd?: string;
  /** The validated root `cwd` lies in (a realpath); the child's cwd is held to it. Default: cwd's realpath. */
  readonly root?: string;
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

  const sandbox = await deps.availability.sandbox();
  if (config.sandbox === 'bwrap' && sandbox.mode !== 'bwrap') {
    throw new BrutalistError('SANDBOX_UNAVAILABLE', undefined, { data: { critic } });
  }
  const fileAccess = options.fileAccess ?? 'read';

  const place = workplace(config, fileAccess, options);
  let run: RunResult;
  let invocation: ReturnType<typeof adapter.buildInvocation>;
  let model: string | undefined;
  // Stdout goes through the adapter's parser as it arrives: only the answer is kept, and maxOutputBytes bounds it.
  const parser = adapter.openParser({ maxAnswerBytes: config.maxOutputBytes });
  try {
    model = request.model || defaultModelFor(config, critic) || undefined;
    const baseUrl = baseUrlFor(config, critic);
    invocation = adapter.buildInvocation(request, model, {
      trustWorkspace: config.geminiTrustWorkspace,
      fileAccess,
      cwd: place.cwd,
      ...(config.geminiSystemDefaultsPath
        ? { geminiSystemDefaultsPath: config.geminiSystemDefaultsPath }
        : {}),
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
    let confined: ReturnType<typeof sandboxFor>;
    try {
      confined = sandboxFor(sandbox, critic, availability.path!, env);
    } catch {
      // The resolved binary is gone since the probe (realpath failed): the next check resolves it again.
      deps.availability.invalidate(critic);
      throw new BrutalistError('CLI_NOT_FOUND', undefined, { data: { critic, exitClass: 'not_found' } });
    }
    run = await runProcess({
      command: confined?.exec ?? availability.path!,
      args: invocation.args,
      cwd: place.cwd,
      root: place.root,
      ...(confined ? { sandbox: confined.plan } : {}),
      env: confined ? { ...env, TMPDIR: '/tmp' } : env,
      stdin: invocation.stdin,
      timeoutMs,
      stallTimeoutMs: config.stallTimeoutMs,
      killGraceMs: config.killGraceMs,
      maxOutputBytes: config.maxOutputBytes,
      stdoutSink: parser,
      maxStderrBytes: config.maxStderrBytes,
      clock: deps.clock ?? systemClock,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onStdout ? { onStdout: options.onStdout } : {}),
    });
  } finally {
    // runProcess resolves only once the process group is gone, so nothing still writes in the private dir.
    place.remove();
  }
  // Where the run was to happen, not how the CLI did: the target moved or vanished under us.
  if (run.exit.kind === 'cwd_missing' || run.exit.kind === 'cwd_outside_root') {
    const code = run.exit.kind === 'cwd_missing' ? 'PATH_NOT_FOUND' : 'PATH_OUTSIDE_ROOT';
    throw new BrutalistError(code, undefined, { data: { critic, exitClass: run.exit.kind } });
  }

  const exitClass = formatExitClass(run.exit);
  let parsed: ParsedOutput | undefined;
  let parseError: unknown;
  try {
    parsed = parser.finish();
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

/** Where one run happens: the target (held to its root), or a private empty dir made now and removed after. */
function workplace(
  config: Config,
  fileAccess: FileAccess,
  options: RunCriticOptions,
): { cwd: string; root: string; remove: () => void } {
  if (fileAccess === 'none') {
    let dir: ReturnType<typeof makePrivateDir>;
    try {
      dir = makePrivateDir(config.workDir || tmpdir());
    } catch (cause) {
      throw new BrutalistError(
        'CLI_SPAWN_FAILED',
        'No private working directory could be made (check workDir).',
        {
          cause,
        },
      );
    }
    return { cwd: dir.path, root: dir.path, remove: dir.remove };
  }
  if (options.cwd === undefined) {
    throw new BrutalistError('INTERNAL_ERROR', 'A critic with file access needs a working directory.');
  }
  return { cwd: options.cwd, root: options.root ?? realOr(options.cwd), remove: () => {} };
}

function realOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path; // gone: the runner reports cwd_missing
  }
}

/** The mount plan of a confined run: the CLI's install and node read-only, its config dirs writable. */
function sandboxFor(
  status: SandboxStatus,
  critic: CriticName,
  binary: string,
  env: Readonly<Record<string, string>>,
): { exec: string; plan: SandboxPlan } | undefined {
  if (status.mode !== 'bwrap' || status.bwrap === undefined) return undefined;
  const install = installFor(binary, env.PATH);
  const config = configPathsFor(critic, env);
  return {
    exec: install.exec,
    plan: { bwrap: status.bwrap, readOnly: [...install.dirs, ...config.readOnly], writable: config.writable },
  };
}
