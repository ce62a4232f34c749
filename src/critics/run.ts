/** runCritic: one critic CLI run end to end — invocation, child env, where it runs, bounded process, parse, classify. */
import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Config, CriticId, CriticName } from '../config/index.js';
import { BrutalistError, ERROR_CODES, type ErrorCode } from '../errors/index.js';
import { type Clock, currentTraceparent, sha256Hex, systemClock } from '../infra/index.js';
import {
  buildChildEnv,
  installFor,
  isInside,
  makePrivateDir,
  type RunResult,
  runProcess,
  type SandboxPlan,
} from '../process/index.js';
import { type PolicyProxy, sanitizeText, startPolicyProxy, UrlPolicy } from '../security/index.js';
import { ADAPTERS, type CriticsConfig, configPathsFor } from './adapters.js';
import type { CriticAvailability, SandboxStatus } from './availability.js';
import { type BudgetStop, budgetedSink, type RunBudget } from './budget.js';
import { formatExitClass, scrubDetail } from './classify.js';
import {
  CRITIC_STDERR_TAIL_CHARS,
  type CriticFailureEvent,
  criticFailureChannel,
  criticRunChannel,
} from './diagnostics.js';
import {
  EVIDENCE_CRITICS,
  type EvidenceServer,
  PLAYWRIGHT_SERVER,
  resolveEvidenceServers,
} from './evidence.js';
import {
  persistentConfigDir,
  ROUTED_VENDOR,
  type RoutedRoute,
  routedEnv,
  routedExtraEnv,
  routedLabel,
} from './routed.js';
import type {
  CriticAdapter,
  CriticRequest,
  CriticResult,
  FileAccess,
  Invocation,
  ParsedOutput,
} from './types.js';

export interface RunCriticDeps {
  readonly config: CriticsConfig;
  readonly availability: CriticAvailability;
  readonly clock?: Clock;
  readonly env?: NodeJS.ProcessEnv;
}

export interface RunCriticOptions {
  /**
   * `read` (default): the critic runs in `cwd` with its read tools. `none`: no file to read — it runs in a fresh
   * empty private dir (0700, under config.workDir or the OS temp dir) made for this run and removed after it
   * (in the background: `privateDirsRemoved()` waits for it), whatever the outcome, and the adapter turns the
   * CLI's file tools off where the CLI allows it.
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
  /** The call's budget: may refuse the run, stop it mid-way (its partial answer kept, marked) and hears its usage. */
  readonly budget?: RunBudget;
  /** Evidence MCP servers (registry names, already checked) the critic gets for this run. */
  readonly evidence?: readonly string[];
  /** With fileAccess `none`: allow the CLI's web tools (abstract domains). */
  readonly webTools?: boolean;
}

/** What a failure report needs besides the code: where the run was (for path scrubbing) and whose secrets to drop. */
interface FailureScope {
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
function failure(
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
function publishRun(
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

/**
 * Runs `critic` on `request` in `options.cwd`. Resolves with the critique (possibly truncated at the
 * output cap); rejects with a BrutalistError whose code says what went wrong.
 */
export async function runCritic(
  deps: RunCriticDeps,
  vendorName: CriticName,
  request: CriticRequest,
  options: RunCriticOptions,
): Promise<CriticResult> {
  const critic: CriticId = request.route?.id ?? vendorOf(vendorName, request.route);
  try {
    return await runOnce(deps, vendorName, request, options);
  } finally {
    // A run that ended before its output was read (spawn failure, target gone) is settled here without usage;
    // settling is idempotent, so a run settled with its usage stays as it was.
    options.budget?.settle(critic, undefined, options.budget.stoppedBy(critic));
  }
}

async function runOnce(
  deps: RunCriticDeps,
  vendorName: CriticName,
  request: CriticRequest,
  options: RunCriticOptions,
): Promise<CriticResult> {
  const { config } = deps;
  const { route } = request;
  // A routed critic is the claude CLI (`vendorName`) under its own id; results and errors name the id.
  const vendor = vendorOf(vendorName, route);
  const critic: CriticId = route?.id ?? vendor;
  const adapter = ADAPTERS[vendor];
  const availability = await deps.availability.check(vendor);
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
  const evidenceNames = options.evidence ?? [];
  if (evidenceNames.length > 0 && !EVIDENCE_CRITICS.has(vendor)) {
    throw new BrutalistError('EVIDENCE_UNSUPPORTED', undefined, { data: { critic, exitClass: 'not_run' } });
  }
  const { budget } = options;
  // Before anything is spawned: a budget this critic cannot be held to refuses the run here.
  const allowance = budget?.admit(critic, Buffer.byteLength(request.prompt, 'utf8'));

  const place = workplace(config, fileAccess, options);
  const scratch = scratchPlace(config, place.root);
  let routedDir: { path: string; remove: () => void } | undefined;
  let run: RunResult;
  let invocation: ReturnType<typeof adapter.buildInvocation>;
  let model: string | undefined;
  // Stdout goes through the adapter's parser as it arrives: only the answer is kept, and maxOutputBytes bounds it.
  const parser = adapter.openParser({ maxAnswerBytes: config.maxOutputBytes });
  let proxy: PolicyProxy | undefined;
  try {
    const settings = adapter.settings(config);
    model = request.model || route?.model || settings.model || undefined;
    const baseUrl = route ? route.baseUrl : settings.baseUrl;
    let evidence: EvidenceServer[] | undefined;
    // The browser and the CLI's own web fetches reach the web only through this run's URL-policy proxy, closed
    // with the run (ADR 0049, 0050).
    const webFetches = options.webTools === true && fileAccess === 'none' && adapter.webFetchProxied === true;
    if (webFetches || evidenceNames.includes(PLAYWRIGHT_SERVER)) {
      proxy = await startPolicyProxy(new UrlPolicy(config), { idleTimeoutMs: config.urlFetchTimeoutMs });
    }
    if (evidenceNames.length > 0) {
      evidence = resolveEvidenceServers(evidenceNames, config, {
        scratchDir: scratch.path(),
        ...(proxy ? { proxyUrl: proxy.url } : {}),
      });
    }
    invocation = adapter.buildInvocation(request, model, {
      ...settings.invocation,
      fileAccess,
      cwd: place.cwd,
      scratchDir: scratch.path,
      ...(baseUrl ? { baseUrl } : {}),
      ...(allowance?.maxUsd !== undefined ? { maxBudgetUsd: allowance.maxUsd } : {}),
      ...(evidence ? { evidence } : {}),
      ...(options.webTools ? { webTools: true } : {}),
      ...(webFetches && proxy ? { webProxyUrl: proxy.url } : {}),
    });
    if (route) routedDir = routedConfigPlace(config, route);
    const routed = route && routedDir ? { route, dir: routedDir.path } : undefined;
    const env = childEnv(config, adapter, deps.env ?? process.env, invocation.env, routed);
    const timeoutMs =
      options.timeoutMs !== undefined
        ? Math.max(1, Math.min(options.timeoutMs, config.cliTimeoutMs))
        : config.cliTimeoutMs;
    let confined: ReturnType<typeof sandboxFor>;
    try {
      confined = sandboxFor(sandbox, vendor, availability.path!, env, invocation, routed);
    } catch {
      // The resolved binary is gone since the probe (realpath failed): the next check resolves it again.
      deps.availability.invalidate(vendor);
      throw new BrutalistError('CLI_NOT_FOUND', undefined, { data: { critic, exitClass: 'not_found' } });
    }
    const command = await launchOf(
      adapter,
      config,
      confined?.exec ?? availability.path!,
      invocation.args,
      env,
    );
    if (confined) confined.plan.readOnly.push(...command.readOnly);
    run = await runProcess({
      command: confined && command.wrapped ? installFor(command.command, env.PATH).exec : command.command,
      args: command.args,
      cwd: place.cwd,
      root: place.root,
      ...(confined ? { sandbox: confined.plan } : {}),
      env: confined ? { ...env, TMPDIR: '/tmp' } : env,
      stdin: invocation.stdin,
      timeoutMs,
      stallTimeoutMs: config.stallTimeoutMs,
      killGraceMs: config.killGraceMs,
      maxOutputBytes: config.maxOutputBytes,
      stdoutSink: budget ? budgetedSink(parser, critic, budget) : parser,
      maxStderrBytes: config.maxStderrBytes,
      clock: deps.clock ?? systemClock,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onStdout ? { onStdout: options.onStdout } : {}),
    });
  } finally {
    // runProcess resolves only once the process group is gone, so nothing still writes in the private dirs. They
    // are deleted in the background: the answer does not wait for the filesystem's rmdir (ADR 0045).
    place.remove();
    scratch.remove();
    void proxy?.close();
    routedDir?.remove();
  }
  // Where the run was to happen, not how the CLI did: the target moved or vanished under us.
  if (run.exit.kind === 'cwd_missing' || run.exit.kind === 'cwd_outside_root') {
    const code = run.exit.kind === 'cwd_missing' ? 'PATH_NOT_FOUND' : 'PATH_OUTSIDE_ROOT';
    throw new BrutalistError(code, undefined, { data: { critic, exitClass: run.exit.kind } });
  }

  const exitClass = formatExitClass(run.exit);
  const serverEnv = deps.env ?? process.env;
  const scope: FailureScope = {
    critic,
    label: route ? routedLabel(route) : critic,
    root: place.root,
    // A routed token may sit in a variable of any name: scrubbed under one the secret scrubber knows.
    env: route ? { ...serverEnv, ROUTED_AUTH_TOKEN: serverEnv[route.authTokenEnv] } : serverEnv,
  };
  let parsed: ParsedOutput | undefined;
  let parseError: unknown;
  try {
    parsed = parser.finish();
  } catch (err) {
    parseError = err;
  }

  const stoppedBy: BudgetStop | undefined = budget?.stoppedBy(critic) ?? parsed?.stoppedBy;
  budget?.settle(critic, parsed?.usage, stoppedBy);
  // Stopped at the budget: with some answer written, a partial critique; with none, the budget's refusal.
  if (stoppedBy && !parsed?.text.trim()) {
    throw new BrutalistError(
      'BUDGET_EXCEEDED',
      `${critic} was stopped at this call's budget before it wrote anything.`,
      {
        data: {
          critic,
          exitClass: 'budget',
          limit: stoppedBy === 'max_usd' ? 'usd' : 'tokens',
          scope: 'call',
        },
      },
    );
  }
  const code =
    stoppedBy && parsed && parsed.text.trim().length > 0 ? undefined : adapter.classifyFailure(run, parsed);
  if (code) {
    // The binary vanished since the probe: make the next check notice.
    if (code === 'CLI_NOT_FOUND') deps.availability.invalidate(vendor);
    throw failure(code, scope, exitClass, parsed, run);
  }
  if (!parsed || parsed.text.trim().length === 0) {
    throw failure('CLI_OUTPUT_INVALID', scope, exitClass, parsed, run, parseError);
  }

  publishRun(scope.label, exitClass, undefined, run, parsed);
  return {
    critic,
    cliVersion: availability.version,
    model: parsed.model ?? model,
    argv: invocation.shownArgs ?? invocation.args,
    promptSha256: sha256Hex(request.prompt),
    durationMs: run.durationMs,
    exitClass: stoppedBy ? 'budget' : exitClass,
    outputBytes: run.stdoutBytes,
    truncated: run.truncated || stoppedBy !== undefined,
    usage: parsed.usage,
    ...(stoppedBy ? { stoppedBy } : {}),
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
    return { cwd: dir.path, root: dir.path, remove: dir.removeInBackground };
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

/** The mount plan of a confined run: the CLI's install, node and handed folders read-only, its config dirs writable. */
function sandboxFor(
  status: SandboxStatus,
  critic: CriticName,
  binary: string,
  env: Readonly<Record<string, string>>,
  handed: Pick<Invocation, 'readOnlyPaths' | 'writablePaths'>,
  routed?: { readonly dir: string },
): { exec: string; plan: SandboxPlan & { readOnly: string[] } } | undefined {
  if (status.mode !== 'bwrap' || status.bwrap === undefined) return undefined;
  const install = installFor(binary, env.PATH);
  // A routed run sees its own config dir only: never the operator's ~/.claude.json or key files.
  const config = routed ? { writable: [routed.dir], readOnly: [] } : configPathsFor(critic, env);
  return {
    exec: install.exec,
    plan: {
      bwrap: status.bwrap,
      readOnly: [...install.dirs, ...config.readOnly, ...(handed.readOnlyPaths ?? [])],
      // Bound after the read-only ones: a writable folder inside a read-only one (the scratch's output dir) wins.
      writable: [...config.writable, ...(handed.writablePaths ?? [])],
    },
  };
}

/** What is spawned: the CLI itself, or the adapter's wrapper around it (agy's pty) and the folders it needs. */
async function launchOf(
  adapter: CriticAdapter,
  config: CriticsConfig,
  cli: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
): Promise<{ command: string; args: readonly string[]; readOnly: readonly string[]; wrapped: boolean }> {
  if (!adapter.launch) return { command: cli, args, readOnly: [], wrapped: false };
  const launch = await adapter.launch(config, cli, args, config.killGraceMs, env.PATH);
  return { ...launch, wrapped: true };
}

/**
 * A private 0700 folder for files a CLI is handed (agy's long prompt), made on first use under workDir or the OS
 * temp dir, never inside the target's root, and removed with its contents after the run.
 */
function scratchPlace(config: CriticsConfig, root: string): { path: () => string; remove: () => void } {
  let dir: ReturnType<typeof makePrivateDir> | undefined;
  return {
    path: () => {
      if (dir) return dir.path;
      try {
        dir = makePrivateDir(config.workDir || tmpdir(), 'brutalist-scratch-');
      } catch (cause) {
        throw new BrutalistError(
          'CLI_SPAWN_FAILED',
          'No private scratch folder could be made (check workDir).',
          {
            cause,
          },
        );
      }
      if (isInside(realOr(dir.path), root)) {
        dir.remove();
        dir = undefined;
        throw new BrutalistError('CONFIG_INVALID', 'workDir must not lie inside a reviewed root.', {
          data: { option: 'workDir' },
        });
      }
      return dir.path;
    },
    remove: () => dir?.removeInBackground(),
  };
}

/** The vendor CLI a run starts: routed runs are claude's, whatever queue or runner carried them. */
function vendorOf(vendor: CriticName, route: RoutedRoute | undefined): CriticName {
  if (route && vendor !== ROUTED_VENDOR) {
    throw new BrutalistError('INTERNAL_ERROR', 'A routed critic must run the claude CLI.');
  }
  return vendor;
}

/**
 * The child env. Native: the adapter's allowlist and extraEnv, minus what the adapter denies (claude: an ambient
 * ANTHROPIC_BASE_URL/ANTHROPIC_MODEL), then its settings. Routed: only the base allowlist and the harmless part of
 * extraEnv, then the route's own gateway, token, models and config dir: nothing of the operator's login.
 */
function childEnv(
  config: CriticsConfig,
  adapter: CriticAdapter,
  serverEnv: NodeJS.ProcessEnv,
  set: Readonly<Record<string, string>>,
  routed: { route: RoutedRoute; dir: string } | undefined,
): Record<string, string> {
  // The critic run's span (or the request's context when tracing is off): a CLI that traces joins our trace.
  const traceparent = currentTraceparent();
  if (routed) {
    return buildChildEnv(serverEnv, {
      allow: routedExtraEnv(config),
      set: { ...set, ...routedEnv(routed.route, serverEnv, routed.dir) },
      traceparent,
    });
  }
  return buildChildEnv(serverEnv, {
    allow: [...adapter.envAllowlist(serverEnv), ...config.extraEnv],
    deny: adapter.envDenylist ?? [],
    set,
    traceparent,
  });
}

/**
 * A routed critic's CLAUDE_CONFIG_DIR: the config-file client's own persistent one, or, for a per-call client, a
 * fresh private dir (0700) for this run, removed after it like the run's other private dirs.
 */
function routedConfigPlace(config: CriticsConfig, route: RoutedRoute): { path: string; remove: () => void } {
  if (route.source === 'config') return { path: persistentConfigDir(config, route), remove: () => {} };
  try {
    const dir = makePrivateDir(config.workDir || tmpdir(), 'brutalist-routed-');
    return { path: dir.path, remove: dir.removeInBackground };
  } catch (cause) {
    throw new BrutalistError('CLI_SPAWN_FAILED', 'No private config folder could be made (check workDir).', {
      cause,
    });
  }
}
