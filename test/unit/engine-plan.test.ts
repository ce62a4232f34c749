// The pure request plans: what a roast or debate runs, its one cache key, its fallback policy.
import { describe, expect, it } from 'vitest';
import { type CriticName, resolveConfig } from '../../src/engine/config.js';
import type { NewDebateArgs, NewRoastArgs } from '../../src/engine/index.js';
import {
  cacheKey,
  checkDebateArgs,
  checkRoastArgs,
  chooseDebaters,
  debatePlan,
  type RoastPlanContext,
  roastPlan,
  withAlternate,
} from '../../src/engine/plan.js';
import { isBrutalistError } from '../../src/errors/index.js';
import { NO_REDACTED_INPUT } from '../../src/security/index.js';
import type { Conversation } from '../../src/state/index.js';

const config = resolveConfig({ overrides: { stateStore: 'memory' } });

const idea: NewRoastArgs = { domain: 'idea', context: 'a pet rock subscription', fields: {} };
const facts: RoastPlanContext = {
  fingerprint: 'abstract',
  selection: { critics: ['claude'], skipped: [] },
  redactedInput: NO_REDACTED_INPUT,
  now: 1_000,
};
const roastKey = (args: Partial<NewRoastArgs>, ctx: Partial<RoastPlanContext> = {}, owner = 'local') =>
  cacheKey(roastPlan({ ...idea, ...args }, { ...facts, ...ctx }), owner);

const debate: NewDebateArgs = { topic: 'tabs', proPosition: 'tabs', conPosition: 'spaces' };
const debaters = {
  agents: ['claude', 'codex'] as readonly [CriticName, CriticName],
  notes: [],
  redactedInput: NO_REDACTED_INPUT,
};
const debateKey = (args: Partial<NewDebateArgs>, agents = debaters.agents) =>
  cacheKey(debatePlan({ ...debate, ...args }, { ...debaters, agents }), 'local');

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return isBrutalistError(err) ? { code: err.code, data: err.data } : err;
  }
  return undefined;
};

describe('cacheKey of a roast', () => {
  it('ignores how the result is run or read: force_refresh, priority and paging', () => {
    const plain = roastKey({});
    expect(roastKey({ force_refresh: true })).toBe(plain);
    expect(roastKey({ priority: 'batch' })).toBe(plain);
    expect(roastKey({ limit: 10, offset: 0 })).toBe(plain);
  });

  it('changes with what changes the text: critics, verbose, models, context, fields, fingerprint', () => {
    const plain = roastKey({});
    const others = [
      roastKey({}, { selection: { critics: ['codex'], skipped: [] } }),
      roastKey({ verbose: true }),
      roastKey({ models: { claude: 'opus' } }),
      roastKey({ context: 'a pet rock rental' }),
      roastKey({ fields: { stage: 'seed' } }),
      roastKey({}, { fingerprint: 'f2' }),
    ];
    expect(new Set([plain, ...others]).size).toBe(others.length + 1);
  });

  it('changes with the conversation it continues', () => {
    const conversation = (text: string): Conversation => ({
      contextId: 'c',
      owner: 'o',
      tool: 'roast',
      domain: 'idea',
      critics: ['claude'],
      turns: [{ role: 'critic', critic: 'claude', text, at: 0 }],
    });
    expect(roastKey({ resume: true }, { conversation: conversation('one') })).not.toBe(
      roastKey({ resume: true }, { conversation: conversation('two') }),
    );
  });
});

describe('roastPlan', () => {
  it('runs an abstract domain with no file access and a filesystem one in its target', () => {
    expect(roastPlan(idea, facts).place).toEqual({ fileAccess: 'none' });
    const file = roastPlan(
      { domain: 'codebase', target: 'src/a.ts', fields: {} },
      { ...facts, target: { path: '/r/src/a.ts', root: '/r', kind: 'file' }, fingerprint: 'f' },
    );
    expect(file.place).toEqual({ cwd: '/r/src', root: '/r' });
    expect(file.prompt).toContain('a.ts');
    expect(file.prompt).not.toContain('/r/src');
  });

  it('is not cacheable when the target was too large to fingerprint', () => {
    expect(roastPlan(idea, facts).cacheable).toBe(true);
    expect(roastPlan(idea, { ...facts, fingerprint: undefined }).cacheable).toBe(false);
  });

  it('falls back to another critic only when none was pinned', () => {
    expect(roastPlan(idea, facts).fallback).toBe('alternate');
    expect(roastPlan({ ...idea, clis: ['claude'] }, facts).fallback).toBe('none');
  });

  it('ends the turns with this request as the user turn', () => {
    expect(roastPlan(idea, facts).turns).toEqual([{ role: 'user', text: idea.context, at: 1_000 }]);
  });
});

describe('cacheKey owner', () => {
  it("differs between principals asking the same thing, so one never gets or joins the other's critique", () => {
    expect(roastKey({}, {}, 'alice')).not.toBe(roastKey({}, {}, 'bob'));
    expect(roastKey({}, {}, 'alice')).toBe(roastKey({}, {}, 'alice'));
  });
});

describe('withAlternate', () => {
  it('aims the plan at the other critic under its own key, says why, and falls back no further', () => {
    const plan = roastPlan(idea, facts);
    const alternate = withAlternate(plan, 'codex');
    expect(alternate.critics).toEqual(['codex']);
    expect(alternate.fallback).toBe('none');
    expect(alternate.notes).toEqual(['claude is paused (circuit open), so codex answered instead.']);
    expect(cacheKey(alternate, 'local')).toBe(
      roastKey({}, { selection: { critics: ['codex'], skipped: [] } }),
    );
  });
});

describe('cacheKey of a debate', () => {
  it('ignores force_refresh, priority and paging', () => {
    const plain = debateKey({});
    expect(debateKey({ force_refresh: true })).toBe(plain);
    expect(debateKey({ priority: 'interactive' })).toBe(plain);
    expect(debateKey({ limit: 5 })).toBe(plain);
  });

  it('changes with verbose, rounds, models, positions and which critic argues which side', () => {
    const plain = debateKey({});
    const others = [
      debateKey({ verbose: true }),
      debateKey({ rounds: 2 }),
      debateKey({ models: { codex: 'o3' } }),
      debateKey({ conPosition: 'both' }),
      debateKey({}, ['codex', 'claude']),
    ];
    expect(new Set([plain, ...others]).size).toBe(others.length + 1);
  });

  it('never swaps a debater for another critic', () => {
    expect(debatePlan(debate, debaters).fallback).toBe('none');
  });
});

describe('chooseDebaters', () => {
  const none = () => false;
  it('takes the first two installed critics whose circuit is closed', () => {
    expect(chooseDebaters(['claude', 'codex', 'gemini'], (c) => c === 'claude')).toEqual({
      agents: ['codex', 'gemini'],
      notes: [],
    });
  });

  it('lets the only critic argue both sides, and says so', () => {
    expect(chooseDebaters(['gemini'], none)).toEqual({
      agents: ['gemini', 'gemini'],
      notes: ['Only gemini is available, so it argues both sides.'],
    });
  });

  it('uses critics with open circuits when nothing else is left', () => {
    expect(chooseDebaters(['claude', 'codex'], () => true).agents).toEqual(['claude', 'codex']);
  });

  it('fails with NO_CRITIC_AVAILABLE when nothing is installed', () => {
    expect(codeOf(() => chooseDebaters([], none))).toMatchObject({ code: 'NO_CRITIC_AVAILABLE' });
  });
});

describe('argument checks', () => {
  it('needs a target for a filesystem domain and a context for an abstract one', () => {
    expect(codeOf(() => checkRoastArgs({ domain: 'codebase', fields: {} }, config))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      data: { field: 'target' },
    });
    expect(codeOf(() => checkRoastArgs({ domain: 'idea', fields: {} }, config))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      data: { field: 'context' },
    });
    expect(codeOf(() => checkRoastArgs(idea, config))).toBeUndefined();
  });

  it('needs exactly two named debaters', () => {
    expect(codeOf(() => checkDebateArgs({ ...debate, agents: ['claude'] }, config))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      data: { field: 'agents' },
    });
    expect(codeOf(() => checkDebateArgs({ ...debate, agents: ['claude', 'codex'] }, config))).toBeUndefined();
  });
});
