/** The conversation a roast continues (`resume`) and the one it leaves behind, bounded in size and turns. */

import { BrutalistError } from '../errors/index.js';
import type { Conversation, ConversationTurn, StateStore } from '../state/index.js';
import type { Config } from './config.js';
import type { RoastArgs } from './types.js';

type Limits = Pick<Config, 'maxHistoryChars' | 'resultTtlMs' | 'maxConversationTurns'>;

/** The owner's earlier conversation named by `context_id`; resume needs both a context id and a follow-up. */
export async function loadConversation(
  store: StateStore,
  args: RoastArgs,
  owner: string,
): Promise<Conversation> {
  if (!args.context_id) {
    throw new BrutalistError('INVALID_ARGUMENT', 'resume needs the context_id of an earlier critique.', {
      data: { field: 'context_id' },
    });
  }
  if (!args.context) {
    throw new BrutalistError(
      'INVALID_ARGUMENT',
      'resume needs a context: your follow-up question or answer.',
      {
        data: { field: 'context' },
      },
    );
  }
  const conversation = await store.getConversation(args.context_id);
  if (!conversation || conversation.owner !== owner) throw new BrutalistError('CONTEXT_NOT_FOUND');
  return conversation;
}

/** Stores the conversation under the result's context id, its history cut to maxHistoryChars. */
export async function saveConversation(
  store: StateStore,
  limits: Limits,
  conversation: Conversation,
): Promise<void> {
  const turns = boundHistory(conversation.turns, limits.maxHistoryChars);
  await store.putConversation({ ...conversation, turns }, limits.resultTtlMs, limits.maxConversationTurns);
}

/** Keeps the newest turns whose text fits in `maxChars` (the oldest are dropped first). */
function boundHistory(turns: readonly ConversationTurn[], maxChars: number): ConversationTurn[] {
  const kept: ConversationTurn[] = [];
  let total = 0;
  for (let i = turns.length - 1; i >= 0; i--) {
    const turn = turns[i]!;
    if (total + turn.text.length > maxChars && kept.length > 0) break;
    kept.unshift(turn.text.length > maxChars ? { ...turn, text: turn.text.slice(0, maxChars) } : turn);
    total += turn.text.length;
  }
  return kept;
}
