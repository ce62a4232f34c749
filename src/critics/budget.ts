/** The per-run side of a call's budget: what runCritic asks before, during and after one critic run. */
import type { CriticId } from '../config/index.js';
import type { OutputParser } from './stream.js';
import type { TokenUsage } from './types.js';

/**
 * Bytes of streamed answer text counted as one token while a run is going (and for a run that never reported its
 * usage). About right for English prose and code with the vendors' tokenizers; it is an estimate, never reported
 * as usage.
 */
export const BYTES_PER_TOKEN_ESTIMATE = 4;

/** Tokens estimated for `bytes` of text: ceil(bytes / 4). */
export function estimateTokens(bytes: number): number {
  return Math.ceil(Math.max(0, bytes) / BYTES_PER_TOKEN_ESTIMATE);
}

/** Which cap stopped a run: the call's output tokens, or its dollars (claude's own cap, or the price table's). */
export type BudgetStop = 'max_tokens' | 'max_usd';

/** How a run may go on: the dollar cap handed to a CLI that has one (claude's --max-budget-usd), if any. */
export interface RunAllowance {
  readonly maxUsd?: number;
}

/**
 * One call's budget as one critic run sees it. The engine's meter implements it; runCritic calls `admit` before
 * spawning (a refusal throws), `allows` after every stdout chunk (false stops the run, its partial answer kept)
 * and `settle` once the run is over, whatever the outcome.
 */
export interface RunBudget {
  admit(critic: CriticId, promptBytes: number): RunAllowance;
  allows(critic: CriticId, answerBytes: number): boolean;
  /** Why this run was stopped, if the budget stopped it. */
  stoppedBy(critic: CriticId): BudgetStop | undefined;
  settle(critic: CriticId, usage: TokenUsage | undefined, stoppedBy: BudgetStop | undefined): void;
}

/** The parser as the run's sink, stopping the run once the call's budget says the answer so far is enough. */
export function budgetedSink(parser: OutputParser, critic: CriticId, budget: RunBudget): OutputParser {
  return {
    push: (chunk) => parser.push(chunk) && budget.allows(critic, parser.answerBytes()),
    answerBytes: () => parser.answerBytes(),
    finish: () => parser.finish(),
  };
}
