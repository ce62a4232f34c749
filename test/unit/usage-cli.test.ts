// `brutalist-mcp usage`: --since parsing (typed errors), and the report read back from a real SQLite ledger.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { usageCommand } from '../../src/cli/usage.js';
import { sinceMs } from '../../src/cli/usage-args.js';
import { resolveConfig } from '../../src/engine/config.js';
import { NO_USAGE, UsageLedger } from '../../src/engine/index.js';
import { isBrutalistError } from '../../src/errors/index.js';
import { ManualClock } from '../../src/infra/index.js';
import { createStateStore } from '../../src/state/index.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-03T15:00:00Z');

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isBrutalistError(err) ? `${err.code}:${String(err.data.field)}` : 'other';
  }
  return undefined;
}

describe('--since', () => {
  it('reads days, hours and dates as the start of a UTC day', () => {
    expect(new Date(sinceMs('1d', NOW, 90)).toISOString()).toBe('2026-12-03T00:00:00.000Z');
    expect(new Date(sinceMs('7d', NOW, 90)).toISOString()).toBe('2026-11-27T00:00:00.000Z');
    expect(new Date(sinceMs('36h', NOW, 90)).toISOString()).toBe('2026-12-02T00:00:00.000Z');
    expect(new Date(sinceMs('2026-11-30', NOW, 90)).toISOString()).toBe('2026-11-30T00:00:00.000Z');
  });

  it.each(['7', 'week', '0d', '2026-02-30', '2026-12-04', '-1d', '7d;rm'])(
    'refuses %j with INVALID_ARGUMENT on since',
    (value) => {
      expect(codeOf(() => sinceMs(value, NOW, 90))).toBe('INVALID_ARGUMENT:since');
    },
  );

  it('refuses a range older than what is kept', () => {
    expect(codeOf(() => sinceMs('92d', NOW, 90))).toBe('INVALID_ARGUMENT:since');
    expect(codeOf(() => sinceMs('90d', NOW, 90))).toBeUndefined();
  });
});

describe('usageCommand', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'brutalist-usage-cli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const config = () => resolveConfig({ overrides: { stateStore: 'sqlite', stateDir: dir } });
  const run = async (args: string[], clock: ManualClock) => {
    let out = '';
    let err = '';
    const code = await usageCommand(
      config(),
      args,
      { write: (t) => (out += t) },
      { write: (t) => (err += t) },
      {},
      clock,
    );
    return { code, out, err };
  };

  async function seed(clock: ManualClock): Promise<void> {
    const store = createStateStore(config(), { env: {}, clock, log: () => {} });
    const ledger = new UsageLedger(store, {
      retentionDays: 90,
      maxCallersPerDay: 100,
      lockTtlMs: 5000,
      lockPollMs: 10,
      clock,
    });
    const run = {
      ...NO_USAGE,
      runs: 1,
      inputTokens: 10,
      outputTokens: 40,
      costUsd: 0.5,
      countedTokens: 40,
      countedUsd: 0.5,
    };
    await ledger.add('alice', run);
    clock.advance(DAY);
    await ledger.add('alice', run);
    await ledger.add('bob', { ...NO_USAGE, runs: 1, unreportedRuns: 1, countedTokens: 25 });
    await store.close();
  }

  it('prints every caller-day and per-caller totals as JSON', async () => {
    const clock = new ManualClock(NOW - DAY);
    await seed(clock);
    const { code, out } = await run(['--since', '2d', '--json'], clock);
    expect(code).toBe(0);
    const report = JSON.parse(out);
    expect(report).toMatchObject({ since: '2026-12-02', until: '2026-12-03' });
    expect(
      report.days.map((d: { day: string; caller: string; runs: number }) => [d.day, d.caller, d.runs]),
    ).toEqual([
      ['2026-12-02', 'alice', 1],
      ['2026-12-03', 'alice', 1],
      ['2026-12-03', 'bob', 1],
    ]);
    expect(report.callers).toEqual([
      {
        caller: 'alice',
        ...NO_USAGE,
        runs: 2,
        inputTokens: 20,
        outputTokens: 80,
        costUsd: 1,
        countedTokens: 80,
        countedUsd: 1,
      },
      { caller: 'bob', ...NO_USAGE, runs: 1, unreportedRuns: 1, countedTokens: 25 },
    ]);
  });

  it('prints a table, filtered by --caller, and only today with --since 1d', async () => {
    const clock = new ManualClock(NOW - DAY);
    await seed(clock);
    const { out } = await run(['--since', '1d', '--caller', 'alice'], clock);
    const lines = out.trim().split('\n');
    expect(lines[1]).toMatch(/^day\s+caller\s+runs/);
    expect(lines.slice(2).map((l) => l.split(/\s+/).slice(0, 3))).toEqual([
      ['2026-12-03', 'alice', '1'],
      ['total', 'alice', '1'],
    ]);
  });

  it('exits 2 with the usage on a bad --since or an unknown option', async () => {
    const clock = new ManualClock(NOW);
    for (const args of [
      ['--since', 'forever'],
      ['--sinse', '7d'],
    ]) {
      const { code, err } = await run(args, clock);
      expect(code).toBe(2);
      expect(err).toContain('Usage: brutalist-mcp usage');
    }
  });
});
