/** The work of a plan: its critics run through the guard, their answers composed into text and metadata. */
import { runDebate } from '../domains/index.js';
import {
  checkFindings,
  EMPTY_SNAPSHOT,
  type FindingsOptions,
  type FindingsPlace,
  findingsTable,
  sanitizeFindings,
  takeSnapshot,
} from '../findings/index.js';
import type { Clock } from '../infra/index.js';
import { addCounts, type CritiqueSanitizer, NO_SANITIZED, type SanitizedCounts } from '../security/index.js';
import type { ConversationTurn } from '../state/index.js';
import { type CitationConfig, type CitationReport, citationReport, recheckCitations } from './citations.js';
import { composeCritique, composeTurnDetails } from './compose.js';
import type { Config } from './config.js';
import {
  type CriticOutcome,
  type EmitEvent,
  runCriticsInParallel,
  summarize,
  throwIfAllFailed,
} from './critic-runs.js';
import type { CriticGuard, GuardedCall } from './guarded-runner.js';
import { type DebatePlan, type RequestPlan, type RoastPlan, requestFor } from './plan.js';
import type { ResultMeta } from './types.js';

/** A finished (or cached) result: the composed text, its metadata, and the critics' turns for the conversation. */
export interface Finished {
  readonly text: string;
  readonly meta: ResultMeta;
  readonly turns: readonly ConversationTurn[];
}

export interface WorkDeps {
  readonly guard: CriticGuard;
  readonly sanitizer: CritiqueSanitizer;
  readonly clock: Clock;
  readonly findings: FindingsSettings;
  /** The citation re-check's switch, URL policy and fetch limits; absent: citations are counted only. */
  readonly config?: CitationConfig;
}

/** How a roast's findings are parsed, checked and shown (config findings*). */
export interface FindingsSettings extends FindingsOptions {
  readonly snapshotMaxFiles: number;
  readonly tableRows: number;
}

export function findingsSettings(config: Config): FindingsSettings {
  return {
    maxPerCritic: config.findingsMaxPerCritic,
    maxFileBytes: config.findingsMaxFileBytes,
    maxFilesChecked: config.findingsMaxFilesChecked,
    nearLines: config.findingsNearLines,
    maxPathChars: config.maxPathChars,
    maxPathComponentChars: config.maxPathComponentChars,
    snapshotMaxFiles: config.findingsSnapshotMaxFiles,
    tableRows: config.findingsTableRows,
  };
}

/** Runs `plan`'s critics for one request (`call`: its priority, caller and deadline) under `signal`. */
export function runPlanWork(
  plan: RequestPlan,
  deps: WorkDeps,
  call: GuardedCall,
  signal: AbortSignal,
  emit: EmitEvent,
): Promise<Finished> {
  return plan.tool === 'roast'
    ? runRoast(plan, deps, call, signal, emit)
    : runDebateTurns(plan, deps, call, signal, emit);
}

async function runRoast(
  plan: RoastPlan,
  deps: WorkDeps,
  call: GuardedCall,
  signal: AbortSignal,
  emit: EmitEvent,
): Promise<Finished> {
  const settings = deps.findings;
  const place: FindingsPlace | null = plan.place.fileAccess === 'none' ? null : { cwd: plan.place.cwd };
  // A directory target's snapshot came from the fingerprint's walk (ADR 0046). A file target's directory is walked
  // here, started with the critics (which take seconds to boot before they read anything), so it is off the
  // answer path. A cited file that differs afterwards changed during the run.
  const snapshot = plan.snapshot
    ? Promise.resolve(plan.snapshot)
    : place
      ? takeSnapshot(place.cwd, settings.snapshotMaxFiles)
      : Promise.resolve(EMPTY_SNAPSHOT);
  const outcomes = await runCriticsInParallel(
    plan.critics,
    (critic) => requestFor(plan, critic, plan.prompt),
    deps.guard.runner(withEvents(call, emit)),
    {
      ...plan.place,
      signal,
      sanitizer: deps.sanitizer,
      findingsPerCritic: settings.maxPerCritic,
      evidence: plan.evidence,
      webTools: plan.webTools,
    },
    emit,
    deps.clock,
  );
  throwIfAllFailed(outcomes);
  const blocks = outcomes.flatMap((o) => (o.ok ? [{ critic: o.critic, block: o.findings ?? null }] : []));
  const report = await checkFindings(blocks, plan.critics, place, await snapshot, settings);
  const { findings, sanitized } = sanitizeFindings(report.findings, deps.sanitizer);
  const meta = metaOf(plan, outcomes);
  const citations = plan.citations ? await citationsOf(outcomes, deps) : undefined;
  return {
    text: composeCritique(
      plan.title,
      outcomes,
      plan.verbose,
      findingsTable(findings, report.summary, settings.tableRows),
    ),
    meta: {
      ...meta,
      sanitized: addCounts(meta.sanitized, sanitized),
      findings,
      findingsSummary: report.summary,
      ...(citations ? { citations } : {}),
    },
    turns: outcomes.flatMap((o) =>
      o.ok ? [{ role: 'critic' as const, critic: o.critic, text: o.result.text, at: deps.clock.now() }] : [],
    ),
  };
}

async function runDebateTurns(
  plan: DebatePlan,
  deps: WorkDeps,
  call: GuardedCall,
  signal: AbortSignal,
  emit: EmitEvent,
): Promise<Finished> {
  const outcomes: CriticOutcome[] = [];
  const { topic, proPosition, conPosition, context, rounds, agents } = plan;
  const debate = await runDebate(
    { topic, proPosition, conPosition, context, rounds, agents, evidence: plan.evidence },
    {
      signal,
      runTurn: async (critic, _position, prompt, turnSignal) => {
        const [outcome] = await runCriticsInParallel(
          [critic],
          () => requestFor(plan, critic, prompt),
          deps.guard.runner(withEvents(call, emit)),
          // A debate reads no files: each turn runs in its own empty private dir.
          {
            fileAccess: 'none',
            signal: turnSignal ?? signal,
            sanitizer: deps.sanitizer,
            evidence: plan.evidence,
          },
          emit,
          deps.clock,
        );
        outcomes.push(outcome!);
        // The call's budget ran out before this turn: the debate ends here with the turns it has (ADR 0047).
        if (!outcome!.ok && outcome!.error.code === 'BUDGET_EXCEEDED') {
          return `_${critic} did not speak: this call's budget is spent._`;
        }
        if (!outcome!.ok) throw outcome!.error;
        return outcome!.result.text;
      },
    },
  );
  const details = plan.verbose ? `\n${composeTurnDetails(outcomes)}\n` : '';
  return { text: `${debate.markdown}${details}`, meta: metaOf(plan, outcomes), turns: [] };
}

/** The successful critiques' citation tags counted, and re-checked when config citationRecheck is on. */
async function citationsOf(outcomes: readonly CriticOutcome[], deps: WorkDeps): Promise<CitationReport> {
  const texts = outcomes.flatMap((o) => (o.ok ? [{ critic: o.critic, text: o.result.text }] : []));
  const report = citationReport(texts);
  if (!deps.config?.citationRecheck || report.verified === 0) return report;
  return recheckCitations(report, texts, deps.config, deps.clock);
}

function metaOf(plan: RequestPlan, outcomes: readonly CriticOutcome[]): ResultMeta {
  return {
    tool: plan.tool,
    domain: plan.domain,
    critics: outcomes.map((o) => summarize(o, plan.verbose)),
    cached: false,
    cacheAgeMs: null,
    skipped: plan.skipped,
    notes: plan.notes,
    sanitized: sanitizedTotal(outcomes),
    redactedInput: plan.redactedInput,
  };
}

/** The request's guard settings, reporting queue position and admission as stream events. */
function withEvents(call: GuardedCall, emit: EmitEvent): GuardedCall {
  return {
    ...call,
    onQueued: (_critic, position, estimatedWaitMs) =>
      emit({ kind: 'queued', position, ...(estimatedWaitMs === undefined ? {} : { estimatedWaitMs }) }),
    onAdmitted: (critic) => emit({ kind: 'started', critic }),
  };
}

function sanitizedTotal(outcomes: readonly CriticOutcome[]): SanitizedCounts {
  return outcomes.reduce((sum, o) => addCounts(sum, o.sanitized), NO_SANITIZED);
}
