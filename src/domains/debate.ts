/** Debate orchestration: blind parallel openings, then rounds of parallel rebuttals over the transcript so far. */
import type { CriticId } from '../config/index.js';
import { BrutalistError, isBrutalistError } from '../errors/index.js';
import { anySignal } from '../infra/index.js';
import {
  buildDebateTranscript,
  buildOpeningPrompt,
  buildRebuttalPrompt,
  type DebatePosition,
  type DebateTopic,
  type DebateTurn,
} from './debate-prompts.js';
import { evidenceSection } from './prompt.js';

export * from './debate-prompts.js';

/** Most rounds a debate may run (one opening round plus rebuttals); the MCP schema uses the same bound. */
export const DEBATE_MAX_ROUNDS = 3;

export interface DebateInput extends DebateTopic {
  /** 1..maxRounds (default maxRounds = DEBATE_MAX_ROUNDS). */
  readonly rounds: number;
  /** [pro, con]. The same critic may take both sides; each turn is a separate, independent run. */
  readonly agents: readonly [CriticId, CriticId];
  readonly maxRounds?: number;
  /** Evidence MCP servers both sides have; each turn's prompt says what they are for. */
  readonly evidence?: readonly string[];
}

export interface DebateDeps {
  /** Runs one turn and returns the critic's text; must honour `signal`. */
  readonly runTurn: (
    critic: CriticId,
    position: DebatePosition,
    prompt: string,
    signal: AbortSignal,
  ) => Promise<string>;
  readonly signal?: AbortSignal;
}

export interface DebateResult {
  readonly transcript: readonly DebateTurn[];
  readonly markdown: string;
}

function invalid(field: string, message: string): BrutalistError {
  return new BrutalistError('INVALID_ARGUMENT', message, { data: { field } });
}

function validate(input: DebateInput): void {
  const maxRounds = input.maxRounds ?? DEBATE_MAX_ROUNDS;
  if (!Number.isInteger(input.rounds) || input.rounds < 1 || input.rounds > maxRounds) {
    throw invalid('rounds', `rounds must be an integer from 1 to ${maxRounds}.`);
  }
  for (const field of ['topic', 'proPosition', 'conPosition'] as const) {
    if (input[field].trim() === '') throw invalid(field, `${field} must not be empty.`);
  }
  if (input.agents.length !== 2) throw invalid('agents', 'agents must name exactly two critics (pro, con).');
}

/** The abort reason when it is already one of ours (e.g. DEADLINE_EXCEEDED), else CANCELLED. */
function abortError(signal: AbortSignal): BrutalistError {
  return isBrutalistError(signal.reason)
    ? signal.reason
    : new BrutalistError('CANCELLED', undefined, { cause: signal.reason });
}

interface PlannedTurn {
  readonly critic: CriticId;
  readonly position: DebatePosition;
  readonly prompt: string;
}

/**
 * Runs both sides of one round in parallel. When one side fails, the other is aborted and awaited before the
 * first failure is rethrown, so no critic keeps running after the debate has given up.
 */
async function runRound(
  round: number,
  planned: readonly PlannedTurn[],
  deps: DebateDeps,
): Promise<DebateTurn[]> {
  const local = new AbortController();
  const combined = anySignal([deps.signal, local.signal]);
  let failure: { error: unknown } | undefined;
  try {
    const runs = planned.map(async (turn): Promise<DebateTurn> => {
      try {
        const text = await deps.runTurn(turn.critic, turn.position, turn.prompt, combined.signal);
        return { critic: turn.critic, position: turn.position, round, text };
      } catch (error) {
        if (!failure) {
          failure = { error };
          local.abort(error);
        }
        throw error;
      }
    });
    const settled = await Promise.allSettled(runs);
    if (failure) throw failure.error;
    return settled.map((s) => (s as PromiseFulfilledResult<DebateTurn>).value);
  } finally {
    combined.dispose();
  }
}

/**
 * Round 1: both openings in parallel, each prompt built without the other side's text. Rounds 2..N: both
 * rebuttals in parallel, each seeing every turn of the earlier rounds. Stops at the first failed turn
 * (rethrowing its error) and checks the abort signal before every round.
 */
/** A turn's prompt with the evidence tools section appended (unchanged without evidence servers). */
function withEvidence(prompt: string, servers: readonly string[]): string {
  const section = evidenceSection(servers);
  return section.length > 0 ? `${prompt}\n${section.join('\n\n')}\n` : prompt;
}

export async function runDebate(input: DebateInput, deps: DebateDeps): Promise<DebateResult> {
  validate(input);
  const [proCritic, conCritic] = input.agents;
  const sides: ReadonlyArray<readonly [CriticId, DebatePosition]> = [
    [proCritic, 'pro'],
    [conCritic, 'con'],
  ];
  const transcript: DebateTurn[] = [];
  for (let round = 1; round <= input.rounds; round++) {
    if (deps.signal?.aborted) throw abortError(deps.signal);
    const earlier = [...transcript];
    const planned = sides.map(([critic, position]) => ({
      critic,
      position,
      prompt: withEvidence(
        round === 1
          ? buildOpeningPrompt({ ...input, position, rounds: input.rounds })
          : buildRebuttalPrompt({ ...input, position, rounds: input.rounds, round, transcript: earlier }),
        input.evidence ?? [],
      ),
    }));
    try {
      transcript.push(...(await runRound(round, planned, deps)));
    } catch (error) {
      // A turn that failed because the caller aborted reports the abort, not the runner's side effect.
      if (deps.signal?.aborted && !isBrutalistError(error)) throw abortError(deps.signal);
      throw error;
    }
  }
  return { transcript, markdown: buildDebateTranscript(input, transcript) };
}
