// The engine's input edges: secrets redacted out of client text before critics see it, and resume's conversation
// (typed errors for a missing id, a missing follow-up or another owner's context; history bounded on save).
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/engine/config.js';
import { loadConversation, saveConversation } from '../../src/engine/conversations.js';
import type { NewDebateArgs, NewRoastArgs } from '../../src/engine/types.js';
import { redactDebateInput, redactRoastInput } from '../../src/engine/untrusted-input.js';
import { isBrutalistError } from '../../src/errors/index.js';
import { ManualClock } from '../../src/infra/index.js';
import { CritiqueSanitizer } from '../../src/security/index.js';
import { createStateStore } from '../../src/state/index.js';

const SECRET = 'sk-live-0123456789abcdefghij';
const sanitizer = new CritiqueSanitizer({ SERVICE_API_KEY: SECRET });

describe('redactRoastInput', () => {
  it('redacts context, text fields and list items, and leaves numbers and booleans alone', () => {
    const args: NewRoastArgs = {
      domain: 'security',
      context: `key ${SECRET}`,
      fields: { threatModel: `uses ${SECRET}`, assets: ['plain', `has ${SECRET}`], depth: 3, strict: true },
    };
    const { args: out, redacted } = redactRoastInput(args, sanitizer, true);
    expect(JSON.stringify(out)).not.toContain(SECRET);
    expect(out.fields.depth).toBe(3);
    expect(out.fields.strict).toBe(true);
    expect((out.fields.assets as string[])[0]).toBe('plain');
    expect(redacted.envValues).toBe(3);
  });

  it('redacts the title of an abstract domain but never a filesystem path', () => {
    const abstract = redactRoastInput(
      { domain: 'idea', target: `Plan ${SECRET}`, fields: {} },
      sanitizer,
      true,
    );
    expect(abstract.args.target).not.toContain(SECRET);
    const path = `src/${SECRET}`;
    const filesystem = redactRoastInput({ domain: 'codebase', target: path, fields: {} }, sanitizer, true);
    expect(filesystem.args.target).toBe(path);
    expect(filesystem.redacted).toEqual({ secrets: 0, envValues: 0 });
    expect(filesystem.args).not.toHaveProperty('context');
  });

  it('changes nothing and counts nothing when redaction is off', () => {
    const args: NewRoastArgs = { domain: 'idea', context: SECRET, fields: {} };
    expect(redactRoastInput(args, sanitizer, false)).toEqual({
      args,
      redacted: { secrets: 0, envValues: 0 },
    });
  });
});

describe('redactDebateInput', () => {
  it('redacts topic, positions and context, and adds no context when none was given', () => {
    const args = {
      topic: `t ${SECRET}`,
      proPosition: `p ${SECRET}`,
      conPosition: `c ${SECRET}`,
      fields: {},
    } as unknown as NewDebateArgs; // only the text fields matter here
    const { args: out, redacted } = redactDebateInput(args, sanitizer, true);
    expect(JSON.stringify(out)).not.toContain(SECRET);
    expect(out).not.toHaveProperty('context');
    expect(redacted.envValues).toBe(3);
    const withContext = redactDebateInput({ ...args, context: SECRET }, sanitizer, true);
    expect(withContext.args.context).not.toContain(SECRET);
  });
});

describe('conversations', () => {
  const store = () =>
    createStateStore(resolveConfig({ overrides: { stateStore: 'memory' } }), {
      env: {},
      clock: new ManualClock(0),
      log: () => {},
    });
  const fieldOf = async (p: Promise<unknown>) => {
    const err = await p.catch((e: unknown) => e);
    return isBrutalistError(err) ? [err.code, err.data.field] : err;
  };
  const limits = { maxHistoryChars: 10, resultTtlMs: 60_000, maxConversationTurns: 10 };
  const conversation = {
    contextId: 'ctx_1',
    owner: 'alice',
    tool: 'roast',
    domain: 'idea',
    critics: ['claude' as const],
    turns: [
      { role: 'user' as const, text: 'aaaa', at: 0 },
      { role: 'critic' as const, text: 'bbbbbbbb', at: 0 },
      { role: 'user' as const, text: 'cccccccccccccccc', at: 0 },
    ],
  };

  it('refuses resume without a context id or without a follow-up, naming the field', async () => {
    const s = store();
    expect(await fieldOf(loadConversation(s, { fields: {}, context: 'more' }, 'alice'))).toEqual([
      'INVALID_ARGUMENT',
      'context_id',
    ]);
    expect(await fieldOf(loadConversation(s, { fields: {}, context_id: 'ctx_1' }, 'alice'))).toEqual([
      'INVALID_ARGUMENT',
      'context',
    ]);
    await s.close();
  });

  it("answers CONTEXT_NOT_FOUND for an unknown context and for another owner's", async () => {
    const s = store();
    await saveConversation(s, limits, conversation);
    const args = { fields: {}, context_id: 'ctx_1', context: 'more' };
    expect(await fieldOf(loadConversation(s, { ...args, context_id: 'ctx_2' }, 'alice'))).toEqual([
      'CONTEXT_NOT_FOUND',
      undefined,
    ]);
    expect(await fieldOf(loadConversation(s, args, 'bob'))).toEqual(['CONTEXT_NOT_FOUND', undefined]);
    expect((await loadConversation(s, args, 'alice')).contextId).toBe('ctx_1');
    await s.close();
  });

  it('keeps the newest turn, cut to maxHistoryChars, when it alone is over the bound', async () => {
    const s = store();
    await saveConversation(s, limits, conversation);
    const saved = await s.getConversation('ctx_1');
    expect(saved?.turns).toEqual([{ role: 'user', text: 'cccccccccc', at: 0 }]);
    await s.close();
  });

  it('keeps the newest turns that fit and drops the oldest', async () => {
    const s = store();
    await saveConversation(
      s,
      { ...limits, maxHistoryChars: 12 },
      { ...conversation, turns: conversation.turns.slice(0, 2) },
    );
    expect((await s.getConversation('ctx_1'))?.turns.map((t) => t.text)).toEqual(['aaaa', 'bbbbbbbb']);
    await saveConversation(
      s,
      { ...limits, maxHistoryChars: 9 },
      { ...conversation, turns: conversation.turns.slice(0, 2) },
    );
    expect((await s.getConversation('ctx_1'))?.turns.map((t) => t.text)).toEqual(['bbbbbbbb']);
    await s.close();
  });
});
