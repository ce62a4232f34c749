/** The work of a plan: its critics run through the guard, their answers composed into text and metadata. */
import { runDebate } from '../domains/index.js';
import type { Clock } from '../infra/index.js';
import { addCounts, type CritiqueSanitizer, NO_SANITIZED, type SanitizedCounts } from '../security/index.js';
import type { ConversationTurn } from '../state/index.js';
import { composeCritique, composeTurnDetails } from './compose.js';
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
  const outcomes = await runCriticsInParallel(
    plan.critics,
    (critic) => requestFor(plan, critic, plan.prompt),
    deps.guard.runner(withEvents(call, emit)),
    { ...plan.place, signal, sanitizer: deps.sanitizer },
    emit,
    deps.clock,
  );
  throwIfAllFailed(outcomes);
  return {
    text: composeCritique(plan.title, outcomes, plan.verbose),
    meta: metaOf(plan, outcomes),
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
    { topic, proPosition, conPosition, context, rounds, agents },
    {
      signal,
      runTurn: async (critic, _position, prompt, turnSignal) => {
        const [outcome] = await runCriticsInParallel(
          [critic],
          () => requestFor(plan, critic, prompt),
          deps.guard.runner(withEvents(call, emit)),
          // A debate reads no files: each turn runs in its own empty private dir.
          { fileAccess: 'none', signal: turnSignal ?? signal, sanitizer: deps.sanitizer },
          emit,
          deps.clock,
        );
        outcomes.push(outcome!);
        if (!outcome!.ok) throw outcome!.error;
        return outcome!.result.text;
      },
    },
  );
  const details = plan.verbose ? `\n${composeTurnDetails(outcomes)}\n` : '';
  return { text: `${debate.markdown}${details}`, meta: metaOf(plan, outcomes), turns: [] };
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
