/** Choosing critics, running them in parallel under one signal, reporting progress, and summarising outcomes. */

import {
  ADAPTERS,
  type CriticAvailability,
  CriticEventParser,
  type CriticRequest,
  type CriticResult,
  type FileAccess,
  MAX_EVENT_LINE_BYTES,
  ROUTED_VENDOR,
  type RoutedRoute,
  type RunBudget,
} from '../critics/index.js';
import { BrutalistError, type ErrorCode, toBrutalistError } from '../errors/index.js';
import { type ParsedBlock, parseFindings } from '../findings/index.js';
import type { Clock } from '../infra/index.js';
import {
  type CritiqueSanitizer,
  NO_SANITIZED,
  type SanitizedCounts,
  stripTerminalControls,
} from '../security/index.js';
import type { StreamEvent } from '../streaming/index.js';
import { type Config, type CriticId, type CriticName, isCriticName } from './config.js';
import type { CriticRunSummary, Models } from './types.js';

/**
 * Runs one vendor CLI; the engine binds it to runCritic with its config and availability (or the queue front). A
 * routed critic runs as `claude` with its route in the request (ADR 0048).
 */
export type CriticRunner = (
  critic: CriticName,
  request: CriticRequest,
  options: RunnerOptions,
) => Promise<CriticResult>;

/** Runs one critic by id (a native name or a routed client's id): what the guard hands the plan's work. */
export type IdRunner = (
  critic: CriticId,
  request: CriticRequest,
  options: RunnerOptions,
) => Promise<CriticResult>;

export type RunnerOptions = Workplace & {
  signal: AbortSignal;
  onStdout: (chunk: Buffer) => void;
  /** What is left of the request deadline: the child's kill deadline (never above cliTimeoutMs). */
  timeoutMs?: number;
  /** The request's admission level, 0 (critical) .. 3 (batch): a queued run keeps it (ADR 0041). */
  priority?: number;
  /** The request's deadline on the clock: a queued run whose deadline passed is never started. */
  deadlineAt?: number;
  /** The call's budget (caps and usage booking), when the call has one. */
  budget?: RunBudget;
  /** Stable key of this critic call within its run: a queued run uses it as its job id (idempotent add). */
  jobKey?: string;
} & EvidenceChoice;

/** What a run may reach beyond its files: evidence MCP servers, and web tools (only with nothing to read). */
export interface EvidenceChoice {
  readonly evidence?: readonly string[];
  readonly webTools?: boolean;
}

/**
 * Where a critic runs: in a validated target (`cwd` inside the realpath `root`), or, with fileAccess `none`,
 * in a fresh empty private dir the runner makes and removes (abstract domains and debates).
 */
export type Workplace =
  | { readonly fileAccess?: 'read'; readonly cwd: string; readonly root?: string }
  | { readonly fileAccess: Extract<FileAccess, 'none'>; readonly cwd?: undefined; readonly root?: undefined };

export interface Selection {
  readonly critics: readonly CriticId[];
  readonly skipped: ReadonlyArray<{ critic: CriticId; code: string }>;
}

/**
 * Single critic by default: the first available in the preference order. When the caller lists critics (native
 * names or routed ids in `routes`), all available ones run; unavailable ones are reported as skipped (or fail the
 * request if none is left). A routed critic is available when the claude CLI is.
 */
export async function selectCritics(
  requested: readonly string[] | undefined,
  availability: CriticAvailability,
  config: Config,
  routes: RouteTable = NO_ROUTES,
): Promise<Selection> {
  if (requested && requested.length > 0) {
    const unique = [...new Set(requested)].map((id) => criticIdOf(id, routes, 'clis'));
    const natives = unique.filter(isCriticName);
    if (natives.length > config.maxParallelCritics) {
      throw new BrutalistError(
        'INVALID_ARGUMENT',
        `At most ${config.maxParallelCritics} critics may run at once.`,
        {
          data: { field: 'clis', limit: config.maxParallelCritics },
        },
      );
    }
    if (unique.length - natives.length > config.routedMaxClients) {
      throw new BrutalistError(
        'ROUTED_CLIENT_INVALID',
        `At most ${config.routedMaxClients} routed critics may run at once.`,
        { data: { reason: 'too_many', limit: config.routedMaxClients } },
      );
    }
    const checks = await Promise.all(
      unique.map(async (id) => ({ id, a: await availability.check(isCriticName(id) ? id : ROUTED_VENDOR) })),
    );
    const critics = checks.filter((c) => c.a.available).map((c) => c.id);
    const skipped = checks
      .filter((c) => !c.a.available)
      .map((c) => ({ critic: c.id, code: c.a.error ?? 'CLI_NOT_FOUND' }));
    if (critics.length === 0) {
      const only = skipped.length === 1 ? skipped[0] : undefined;
      throw new BrutalistError(only ? (only.code as ErrorCode) : 'NO_CRITIC_AVAILABLE', undefined, {
        data: { critics: unique, codes: skipped.map((s) => `${s.critic}:${s.code}`) },
      });
    }
    return { critics, skipped };
  }
  for (const critic of config.criticPreference) {
    const a = await availability.check(critic);
    if (a.available) return { critics: [critic], skipped: [] };
  }
  throw new BrutalistError('NO_CRITIC_AVAILABLE', undefined, {
    data: { checked: [...config.criticPreference] },
  });
}

/** The vendor CLI a critic id runs: itself, or claude for a routed critic. */
export function vendorOf(critic: CriticId): CriticName {
  return isCriticName(critic) ? critic : ROUTED_VENDOR;
}

/** The routed critics one request may address, by id. */
export type RouteTable = ReadonlyMap<string, RoutedRoute>;
export const NO_ROUTES: RouteTable = new Map();

/** `id` as a critic id: a native name, or a routed client of this request; else ROUTED_CLIENT_INVALID. */
export function criticIdOf(id: string, routes: RouteTable, field: string): CriticId {
  if (isCriticName(id)) return id;
  const route = routes.get(id);
  if (route) return route.id;
  throw new BrutalistError(
    'ROUTED_CLIENT_INVALID',
    `${field}: "${id.slice(0, 40)}" is neither a critic CLI nor a routed client (config file or \`clients\`).`,
    { data: { field, reason: 'unknown_critic' } },
  );
}

/** One critic's run; its text (or error message) is already sanitized, and `sanitized` says what went. */
export type CriticOutcome =
  | {
      readonly critic: CriticId;
      readonly ok: true;
      readonly result: CriticResult;
      readonly sanitized: SanitizedCounts;
      /** The findings block cut from the raw answer (not yet sanitized); null: none; undefined: not asked for. */
      readonly findings?: ParsedBlock | null;
    }
  | {
      readonly critic: CriticId;
      readonly ok: false;
      readonly error: BrutalistError;
      readonly durationMs: number;
      readonly sanitized: SanitizedCounts;
    };

/** Where a run reports progress events; single-flight fans them out to every caller sharing the run. */
export type EmitEvent = (event: StreamEvent) => void;

/** A tool name from the critic's stream shown in progress: the model chose it, so controls go. */
function cleanEvent(event: StreamEvent): StreamEvent {
  if (event.kind !== 'tool') return event;
  const name = stripTerminalControls(event.name, { ...NO_SANITIZED });
  return name === event.name ? event : { ...event, name };
}

/** A failed run's message can quote the vendor endpoint's error text: sanitized like a critique. */
function cleanError(
  error: BrutalistError,
  sanitizer: CritiqueSanitizer,
): { error: BrutalistError; sanitized: SanitizedCounts } {
  const { text, counts } = sanitizer.critique(error.message);
  if (text === error.message) return { error, sanitized: counts };
  return {
    error: new BrutalistError(error.code, text, { data: error.data, cause: error }),
    sanitized: counts,
  };
}

/**
 * Runs every critic in parallel; one failing critic never fails the others. This is the one place every critic
 * answer enters the engine (roasts and each debate turn), so it is where critic text is sanitized: what is
 * composed, cached, paged, stored as a conversation turn or quoted to the next debater is already clean.
 */
export async function runCriticsInParallel(
  critics: readonly CriticId[],
  buildRequest: (critic: CriticId) => CriticRequest,
  run: IdRunner,
  options: Workplace &
    EvidenceChoice & {
      signal: AbortSignal;
      sanitizer: CritiqueSanitizer;
      /** Cut each answer's findings block off before sanitizing, keeping at most this many entries. */
      findingsPerCritic?: number;
    },
  emit: EmitEvent,
  clock: Clock,
): Promise<CriticOutcome[]> {
  const { sanitizer, findingsPerCritic, ...runOptions } = options;
  return Promise.all(
    critics.map(async (critic): Promise<CriticOutcome> => {
      const started = clock.now();
      const parser = new CriticEventParser(vendorOf(critic), MAX_EVENT_LINE_BYTES, critic);
      emit({ kind: 'started', critic });
      try {
        const result = await run(critic, buildRequest(critic), {
          ...runOptions,
          onStdout: (chunk) => {
            for (const event of parser.push(chunk)) emit(cleanEvent(event));
          },
        });
        emit({ kind: 'done', critic, ok: true });
        if (findingsPerCritic === undefined) {
          const { text, counts } = sanitizer.critique(result.text);
          return { critic, ok: true, result: { ...result, text }, sanitized: counts };
        }
        // The block is cut from the raw answer: its quotes are checked against the files before any redaction.
        const { prose, block } = parseFindings(result.text, findingsPerCritic);
        const { text, counts } = sanitizer.critique(prose);
        return { critic, ok: true, result: { ...result, text }, sanitized: counts, findings: block };
      } catch (err) {
        emit({ kind: 'done', critic, ok: false });
        const { error, sanitized } = cleanError(toBrutalistError(err), sanitizer);
        return { critic, ok: false, error, durationMs: clock.now() - started, sanitized };
      }
    }),
  );
}

/** Fails the request when no critic succeeded: a single critic's own error, else the first one with all codes listed. */
export function throwIfAllFailed(outcomes: readonly CriticOutcome[]): void {
  const failures = outcomes.filter((o): o is Extract<CriticOutcome, { ok: false }> => !o.ok);
  if (failures.length < outcomes.length) return;
  const first = failures[0];
  if (!first) throw new BrutalistError('NO_CRITIC_AVAILABLE');
  if (failures.length === 1) throw first.error;
  throw new BrutalistError(first.error.code, `All critics failed; first: ${first.error.message}`, {
    data: { ...first.error.data, codes: failures.map((f) => `${f.critic}:${f.error.code}`) },
  });
}

/**
 * The per-critic record of a result. Run details (CLI version, argv, prompt hash) only with `verbose`: clients that
 * hand the model `JSON.stringify(structuredContent)` should see the critique, not pages of metadata.
 */
export function summarize(outcome: CriticOutcome, verbose = false): CriticRunSummary {
  if (outcome.ok) {
    const r = outcome.result;
    const details = verbose
      ? { cliVersion: r.cliVersion ?? null, argv: r.argv, promptSha256: r.promptSha256 }
      : {};
    return {
      critic: r.critic,
      ok: true,
      model: r.model ?? null,
      ...details,
      durationMs: r.durationMs,
      exitClass: r.exitClass,
      outputBytes: r.outputBytes,
      truncated: r.truncated,
      usage: r.usage ?? null,
      ...(r.stoppedBy ? { stoppedBy: r.stoppedBy } : {}),
      error: null,
    };
  }
  const exitClass = outcome.error.data.exitClass;
  return {
    critic: outcome.critic,
    ok: false,
    model: null,
    durationMs: outcome.durationMs,
    exitClass: typeof exitClass === 'string' ? exitClass : 'not_run',
    outputBytes: 0,
    truncated: false,
    usage: null,
    error: { code: outcome.error.code, message: outcome.error.message },
  };
}

/**
 * Model names land in argv as option values: each critic's adapter says which it takes (plain identifiers; agy's
 * labels), never anything that starts like a flag. A routed critic takes what claude takes.
 */
export function checkModels(models: Models | undefined, routes: RouteTable = NO_ROUTES): void {
  for (const [critic, model] of Object.entries(models ?? {})) {
    const id = criticIdOf(critic, routes, `models.${critic.slice(0, 40)}`);
    const adapter = ADAPTERS[isCriticName(id) ? id : ROUTED_VENDOR];
    if (model !== undefined && !adapter.acceptsModel(model)) {
      throw new BrutalistError('INVALID_ARGUMENT', `models.${critic} is not a valid model name.`, {
        data: { field: `models.${critic}` },
      });
    }
  }
}
