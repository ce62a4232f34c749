// The call meter (caps shared by a call's runs, refusals, booking) and the daily ledger over a memory store.
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/engine/config.js';
import { NO_USAGE, UsageBudgets, UsageLedger } from '../../src/engine/index.js';
import { isBrutalistError } from '../../src/errors/index.js';
import { ManualClock } from '../../src/infra/index.js';
import { MemoryStateStore } from '../../src/state/index.js';

const NOW = Date.parse('2026-12-03T15:00:00Z');

function setup(overrides: Record<string, unknown> = {}, maxCallersPerDay = 100, flushMs = 0) {
  const clock = new ManualClock(NOW);
  const store = new MemoryStateStore({
    maxBytes: 1 << 24,
    maxEntries: 1_000,
    cacheMaxEntryBytes: 1 << 16,
    clock,
  });
  const ledger = new UsageLedger(store, {
    retentionDays: 90,
    maxCallersPerDay,
    lockTtlMs: 5000,
    lockPollMs: 10,
    flushMs,
    clock,
  });
  const config = resolveConfig({ overrides: { stateStore: 'memory', ...overrides } });
  return { clock, store, ledger, budgets: new UsageBudgets(config, ledger, clock) };
}

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return isBrutalistError(err) ? err.code : 'other';
  }
  return undefined;
};

describe('CallMeter', () => {
  it('holds max_tokens across the runs of one call, counting streamed bytes at 4 per token', async () => {
    const { budgets } = setup();
    const meter = await budgets.open('alice', { max_tokens: 100 });
    meter.admit('claude', 10);
    meter.admit('codex', 10);
    expect(meter.allows('claude', 200)).toBe(true); // 50 tokens
    expect(meter.allows('codex', 200)).toBe(true); // 100 in all
    expect(meter.allows('codex', 204)).toBe(false); // 101
    expect(meter.stoppedBy('codex')).toBe('max_tokens');
    expect(meter.stoppedBy('claude')).toBeUndefined();
  });

  it('counts a finished run by its reported output tokens, and refuses the next run once the cap is spent', async () => {
    const { budgets } = setup();
    const meter = await budgets.open('alice', { max_tokens: 100 });
    meter.admit('codex', 10);
    meter.settle('codex', { outputTokens: 100 }, undefined);
    expect(codeOf(() => meter.admit('gemini', 10))).toBe('BUDGET_EXCEEDED');
  });

  it('settles a run once: a second settle (the runner’s fallback) changes nothing', async () => {
    const { budgets, ledger } = setup();
    const meter = await budgets.open('alice', {});
    meter.admit('codex', 10);
    meter.settle('codex', { inputTokens: 5, outputTokens: 7 }, undefined);
    meter.settle('codex', undefined, undefined);
    await ledger.flush();
    expect(await ledger.today('alice')).toEqual({
      ...NO_USAGE,
      runs: 1,
      inputTokens: 5,
      outputTokens: 7,
      countedTokens: 7,
    });
  });

  it('refuses max_usd for a critic without reported cost or price, and hands claude what is left', async () => {
    const { budgets } = setup({ usagePrices: ['codex=1/10'] });
    const meter = await budgets.open('alice', { max_usd: 0.5 });
    expect(codeOf(() => meter.admit('gemini', 10))).toBe('BUDGET_UNENFORCEABLE');
    expect(meter.admit('codex', 400_000)).toEqual({}); // 100k input tokens at $1/M: $0.10
    meter.settle('codex', undefined, undefined);
    expect(meter.admit('claude', 10).maxUsd).toBeCloseTo(0.4, 9);
    meter.settle('claude', { costUsd: 0.4 }, undefined);
    expect(codeOf(() => meter.admit('codex', 10))).toBe('BUDGET_EXCEEDED');
  });

  it('prices a codex run from the table and stops it past max_usd', async () => {
    const { budgets } = setup({ usagePrices: ['codex=0/10'] });
    const meter = await budgets.open('alice', { max_usd: 0.001 }); // 100 output tokens
    meter.admit('codex', 10);
    expect(meter.allows('codex', 400)).toBe(true);
    expect(meter.allows('codex', 404)).toBe(false);
    expect(meter.stoppedBy('codex')).toBe('max_usd');
  });
});

describe('daily budgets', () => {
  it('refuse up front once the day is spent, with retryAfterMs to midnight UTC, and renew the next day', async () => {
    const { budgets, ledger, clock } = setup({ usageDailyMaxUsd: 1 });
    await ledger.add('alice', { ...NO_USAGE, runs: 1, costUsd: 1, countedUsd: 1 });
    const err = await budgets.open('alice', {}).catch((e: unknown) => e);
    expect(isBrutalistError(err) && err.data).toMatchObject({
      caller: 'alice',
      limit: 'usd',
      spent: 1,
      max: 1,
      retryAfterMs: 9 * 3_600_000,
    });
    clock.advance(9 * 3_600_000);
    await expect(budgets.open('alice', {})).resolves.toBeDefined();
  });

  it('caps a call at what is left of the day, and per-caller budgets replace the default', async () => {
    const { budgets, ledger } = setup({ usageDailyMaxTokens: 1000, usageCallerDailyBudgets: ['ci=0/50'] });
    await ledger.add('alice', { ...NO_USAGE, countedTokens: 900 });
    expect((await budgets.open('alice', { max_tokens: 500 })).caps).toEqual({ maxTokens: 100 });
    expect((await budgets.open('ci', {})).caps).toEqual({ maxTokens: 50 });
  });
});

describe('UsageLedger', () => {
  it('counts callers past usageMaxCallersPerDay under <other>', async () => {
    const { ledger } = setup({}, 2);
    for (const caller of ['a', 'b', 'c', 'd']) await ledger.add(caller, { ...NO_USAGE, runs: 1 });
    const rows = await ledger.load(NOW);
    expect(rows.map((r) => [r.caller, r.usage.runs])).toEqual([
      ['<other>', 2],
      ['a', 1],
      ['b', 1],
    ]);
  });

  it('merges the runs noted within flushMs into the store at once, counting them here meanwhile', async () => {
    const { ledger, store, clock } = setup({}, 100, 1000);
    const day = Math.floor(NOW / 86_400_000);
    const stored = async () => (await store.getResultPart(`usage:v1:day:${day}`, 0, 10_000))?.text;
    await ledger.add('a', { ...NO_USAGE, runs: 1 });
    clock.advance(999);
    await ledger.add('a', { ...NO_USAGE, runs: 1 });
    expect(await stored()).toBeUndefined();
    expect((await ledger.today('a')).runs).toBe(2);
    clock.advance(1); // the timer starts the merge: nothing else asks for it
    await expect.poll(stored).toBeDefined();
    expect(JSON.parse((await stored())!).callers.a.runs).toBe(2);
    expect((await ledger.today('a')).runs).toBe(2);
  });

  it('merges what is pending when flushed before its interval is up (shutdown), once', async () => {
    const { ledger, store, clock } = setup({}, 100, 1000);
    const day = Math.floor(NOW / 86_400_000);
    await ledger.add('a', { ...NO_USAGE, runs: 1 });
    await ledger.flush();
    clock.advance(1000); // the disarmed timer merges nothing twice
    await ledger.flush();
    const text = (await store.getResultPart(`usage:v1:day:${day}`, 0, 10_000))?.text;
    expect(JSON.parse(text!).callers.a.runs).toBe(1);
  });

  it('reads a damaged day record as empty and drops malformed callers', async () => {
    const { ledger, store } = setup();
    const day = Math.floor(NOW / 86_400_000);
    const put = (text: string) =>
      store.putResult(
        { contextId: `usage:v1:day:${day}`, owner: '<usage>', text, meta: {}, createdAt: NOW },
        60_000,
      );
    await put('{not json');
    expect(await ledger.today('a')).toEqual(NO_USAGE);
    await put(JSON.stringify({ v: 1, callers: { a: { ...NO_USAGE, runs: 2 }, b: { runs: -1 }, c: 'x' } }));
    expect((await ledger.load(NOW)).map((r) => r.caller)).toEqual(['a']);
  });
});
