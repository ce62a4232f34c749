/** Prompts and the markdown transcript of `roast_cli_debate`: blind openings, then targeted rebuttals. */
import type { CriticId } from '../config/index.js';
import { blockName, FENCE_RULE, fence, quotePath } from './fence.js';

export type DebatePosition = 'pro' | 'con';

/** What both sides are told about the debate. */
export interface DebateTopic {
  readonly topic: string;
  readonly proPosition: string;
  readonly conPosition: string;
  readonly context?: string;
  /** Validated path relative to the critics' cwd when the debate is about files there. */
  readonly targetPath?: string;
}

export interface DebateTurn {
  readonly critic: CriticId;
  readonly position: DebatePosition;
  readonly round: number;
  readonly text: string;
}

export interface OpeningPromptInput extends DebateTopic {
  readonly position: DebatePosition;
  /** Total rounds, so a debater knows whether rebuttals follow; defaults to 1. */
  readonly rounds?: number;
}

export interface RebuttalPromptInput extends OpeningPromptInput {
  /** 2 or more. */
  readonly round: number;
  /** Every turn of the earlier rounds; turns of the current round are never included. */
  readonly transcript: readonly DebateTurn[];
}

const SIDE: Record<DebatePosition, string> = { pro: 'PRO', con: 'CON' };

function opponent(position: DebatePosition): DebatePosition {
  return position === 'pro' ? 'con' : 'pro';
}

const DEBATER =
  'You are an expert debater in a structured, adversarial debate judged on the strength of evidence and ' +
  'reasoning. Your side was assigned, not chosen: argue it as forcefully as honest argument allows. Attack ' +
  'ideas, never people, and do not fabricate facts, numbers, quotes or sources; when something is uncertain, ' +
  'say so and argue from what is known.';

function groundRules(input: DebateTopic): string[] {
  const rules = [
    '## Ground rules',
    `- ${FENCE_RULE}`,
    '- Do not create, modify or delete files and do not run commands that change state.',
  ];
  if (input.targetPath !== undefined) {
    rules.push(
      `- Files relevant to the debate are under ${quotePath(input.targetPath)} in the working directory. Read them ` +
        '(read-only) for evidence and cite paths relative to the working directory.',
    );
  }
  return rules;
}

function motion(input: DebateTopic): string[] {
  const out = [
    '## The debate',
    'Topic:',
    fence('DEBATE_TOPIC', input.topic),
    'PRO thesis:',
    fence('PRO_POSITION', input.proPosition),
    'CON thesis:',
    fence('CON_POSITION', input.conPosition),
  ];
  if (input.context !== undefined && input.context.trim() !== '') {
    out.push('Background from the user:', fence('USER_CONTEXT', input.context));
  }
  return out;
}

function assemble(sections: string[][]): string {
  return `${sections.map((lines) => lines.join('\n\n')).join('\n\n')}\n`;
}

/** Round 1. Built only from the topic and the assigned side: it never sees the opponent's text. */
export function buildOpeningPrompt(input: OpeningPromptInput): string {
  const side = SIDE[input.position];
  const rounds = input.rounds ?? 1;
  return assemble([
    [DEBATER],
    groundRules(input),
    motion(input),
    [
      `## Your assignment: opening statement (round 1 of ${rounds})`,
      `You argue the ${side} thesis; your opponent argues the ${SIDE[opponent(input.position)]} thesis. You have not ` +
        'seen their argument and they have not seen yours, so make your case on its own merits rather than ' +
        'guessing at theirs.',
      [
        'Structure:',
        '1. Your thesis in one sentence, in your own words.',
        '2. Your three to five strongest arguments, most decisive first, each with concrete evidence, a mechanism or a real example.',
        '3. The strongest objection you expect from the other side, and your answer to it.',
        '4. What evidence would change your mind.',
      ].join('\n'),
    ],
  ]);
}

/** Rounds 2..N: rebut the opponent's strongest points from the transcript so far, concede what is true. */
export function buildRebuttalPrompt(input: RebuttalPromptInput): string {
  const side = SIDE[input.position];
  const other = SIDE[opponent(input.position)];
  const rounds = Math.max(input.rounds ?? input.round, input.round);
  const transcript = ['## The debate so far'];
  for (const turn of input.transcript) {
    transcript.push(
      `Round ${turn.round}, ${SIDE[turn.position]} (${turn.critic}):`,
      fence(blockName('DEBATE_ROUND', turn.round, turn.position), turn.text),
    );
  }
  return assemble([
    [DEBATER],
    groundRules(input),
    motion(input),
    transcript,
    [
      `## Your assignment: rebuttal (round ${input.round} of ${rounds})`,
      `You argue the ${side} thesis. Answer the ${other} side's latest statement (round ${input.round - 1}) directly.`,
      [
        'Structure:',
        `1. The two or three strongest points the ${other} side has made. For each, state it fairly and precisely ` +
          '(quote a short phrase), then show specifically where it fails: wrong facts, weak inference, or limited scope.',
        '2. Concessions: state plainly what the other side got right. Conceding true points makes the rest credible.',
        '3. Your case, refined in light of the exchange: sharpen or narrow it; do not repeat earlier rounds.',
        '4. The single question on which the debate should be decided, and why it favours your side.',
      ].join('\n'),
    ],
  ]);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** The debate as markdown for the user: positions, then every turn grouped by round (PRO before CON). */
export function buildDebateTranscript(
  input: DebateTopic & { readonly agents: readonly [CriticId, CriticId] },
  transcript: readonly DebateTurn[],
): string {
  const [proCritic, conCritic] = input.agents;
  const lines = [
    `# Debate: ${oneLine(input.topic)}`,
    '',
    `- **PRO** (${proCritic}): ${oneLine(input.proPosition)}`,
    `- **CON** (${conCritic}): ${oneLine(input.conPosition)}`,
    '',
    '_Positions were assigned, not chosen. Judge each argument on its evidence, not on who made it._',
  ];
  const rounds = [...new Set(transcript.map((t) => t.round))].sort((a, b) => a - b);
  for (const round of rounds) {
    lines.push('', `## Round ${round}: ${round === 1 ? 'opening statements' : 'rebuttals'}`);
    const turns = transcript
      .filter((t) => t.round === round)
      .sort((a, b) => (a.position === b.position ? 0 : a.position === 'pro' ? -1 : 1));
    for (const turn of turns) {
      lines.push('', `### ${SIDE[turn.position]} (${turn.critic})`, '', turn.text.trim());
    }
  }
  return `${lines.join('\n')}\n`;
}
