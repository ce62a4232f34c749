/** runCritic: one critic CLI run end to end — checks, invocation, bounded process, parse, classify, result. */
import type { CriticId, CriticName } from '../config/index.js';
import { BrutalistError, ERROR_CODES } from '../errors/index.js';
import { type Clock, sha256Hex, systemClock } from '../infra/index.js';
import { installFor, type RunResult, runProcess } from '../process/index.js';
import { type PolicyProxy, startPolicyProxy, UrlPolicy } from '../security/index.js';
import { ADAPTERS, type CriticsConfig } from './adapters.js';
import type { CriticAvailability } from './availability.js';
import { type BudgetStop, budgetedSink, type RunBudget } from './budget.js';
import { formatExitClass } from './classify.js';
import {
  type EvidenceServer,
  evidenceSupported,
  PLAYWRIGHT_SERVER,
  resolveEvidenceServers,
} from './evidence.js';
import { routedLabel } from './routed.js';
import { type FailureScope, failure, publishRun } from './run-report.js';
import {
  childEnv,
  launchOf,
  routedConfigPlace,
  sandboxFor,
  scratchPlace,
  vendorOf,
  workplace,
} from './run-setup.js';
import type { CriticRequest, CriticResult, FileAccess, ParsedOutput } from './types.js';

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
  if (evidenceNames.length > 0 && !evidenceSupported(vendor, fileAccess)) {
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
