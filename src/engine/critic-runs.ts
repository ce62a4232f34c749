/** Choosing critics, running them in parallel under one signal, reporting progress, and summarising outcomes. */

import {
  ADAPTERS,
  type CriticAvailability,
  CriticEventParser,
  type CriticRequest,
  type CriticResult,
  type FileAccess,
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
import { type Config, CRITIC_NAMES, type CriticName } from './config.js';
import type { CriticRunSummary, Models } from './types.js';

/** Runs one critic; the engine binds it to runCritic with its config and availability. */
export type CriticRunner = (
  critic: CriticName,
  request: CriticRequest,
  options: Workplace & {
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
  } & EvidenceChoice,
) => Promise<CriticResult>;

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
  readonly critics: readonly CriticName[];
  readonly skipped: ReadonlyArray<{ critic: CriticName; code: string }>;
}

/**
 * Single critic by default: the first available in the preference order. When the caller lists critics,
 * all available ones run; unavailable ones are reported as skipped (or fail the request if none is left).
 */
export async function selectCritics(
  requested: readonly CriticName[] | undefined,
  availability: CriticAvailability,
  config: Config,
): Promise<Selection> {
  if (requested && requested.length > 0) {
    const unique = [...new Set(requested)];
    if (unique.length > config.maxParallelCritics) {
      throw new BrutalistError(
        'INVALID_ARGUMENT',
        `At most ${config.maxParallelCritics} critics may run at once.`,
        {
          data: { field: 'clis', limit: config.maxParallelCritics },
        },
      );
    }
    const checks = await Promise.all(unique.map((c) => availability.check(c)));
    const critics = checks.filter((a) => a.available).map((a) => a.critic);
    const skipped = checks
      .filter((a) => !a.available)
      .map((a) => ({ critic: a.critic, code: a.error ?? 'CLI_NOT_FOUND' }));
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

/** One critic's run; its text (or error message) is already sanitized, and `sanitized` says what went. */
export type CriticOutcome =
  | {
      readonly critic: CriticName;
      readonly ok: true;
      readonly result: CriticResult;
      readonly sanitized: SanitizedCounts;
      /** The findings block cut from the raw answer (not yet sanitized); null: none; undefined: not asked for. */
      readonly findings?: ParsedBlock | null;
    }
  | {
      readonly critic: CriticName;
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
  critics: readonly CriticName[],
  buildRequest: (critic: CriticName) => CriticRequest,
  run: CriticRunner,
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
      const parser = new CriticEventParser(critic);
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
 * labels), never anything that starts like a flag.
 */
export function checkModels(models: Models | undefined): void {
  for (const critic of CRITIC_NAMES) {
    const model = models?.[critic];
    if (model !== undefined && !ADAPTERS[critic].acceptsModel(model)) {
      throw new BrutalistError('INVALID_ARGUMENT', `models.${critic} is not a valid model name.`, {
        data: { field: `models.${critic}` },
      });
    }
  }
}
