/**
 * Usage per caller and UTC day, kept in the state store as one record per day (the SLO history's pattern, ADR
 * 0038): merged under the store's lock, so every instance and `brutalist-mcp usage` see one ledger (ADR 0047).
 */
import { type Clock, systemClock, type TimerHandle } from '../infra/index.js';
import { DAY_MS, DayRecords, parseDayEntries, type StateStore } from '../state/index.js';

export { DAY_MS };
/** Owner of the day records: not a principal name any transport hands out (they never contain `<`). */
export const USAGE_OWNER = '<usage>';
/** Where callers past usageMaxCallersPerDay are counted that day. */
export const OTHER_CALLERS = '<other>';
/** Longest day record read back (10,000 callers of ~250 characters each, with room). */
const MAX_RECORD_CHARS = 8_000_000;
/** Tries at the day's lock per flush; counts not merged wait for the next flush (they still count in reads). */
const LOCK_ATTEMPTS = 5;

/** One caller's usage over a day. Reported sums, and what budgets count (reported, else estimated). */
export interface UsageTotals {
  /** Critic runs that ended (any outcome). */
  readonly runs: number;
  /** Runs the budget stopped (partial answers). */
  readonly stoppedRuns: number;
  /** Runs whose CLI reported no usage at all. */
  readonly unreportedRuns: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedInputTokens: number;
  /** Dollars the CLIs reported (claude). */
  readonly costUsd: number;
  /** Output tokens budgets count: reported, else 4 bytes of answer per token. */
  readonly countedTokens: number;
  /** Dollars budgets count: reported, else the usagePrices estimate (0 without a price). */
  readonly countedUsd: number;
}

export const NO_USAGE: UsageTotals = Object.freeze({
  runs: 0,
  stoppedRuns: 0,
  unreportedRuns: 0,
  inputTokens: 0,
  outputTokens: 0,
  cachedInputTokens: 0,
  costUsd: 0,
  countedTokens: 0,
  countedUsd: 0,
});

const FIELDS = Object.keys(NO_USAGE) as (keyof UsageTotals)[];

/** Totals built field by field (no cast: every field is named once here). */
function totals(value: (field: keyof UsageTotals) => number): UsageTotals {
  return {
    runs: value('runs'),
    stoppedRuns: value('stoppedRuns'),
    unreportedRuns: value('unreportedRuns'),
    inputTokens: value('inputTokens'),
    outputTokens: value('outputTokens'),
    cachedInputTokens: value('cachedInputTokens'),
    costUsd: value('costUsd'),
    countedTokens: value('countedTokens'),
    countedUsd: value('countedUsd'),
  };
}

export function addUsage(a: UsageTotals, b: UsageTotals): UsageTotals {
  return totals((f) => a[f] + b[f]);
}

interface DayRecord {
  readonly v: 1;
  readonly callers: Record<string, UsageTotals>;
}

export interface UsageLedgerOptions {
  readonly retentionDays: number;
  readonly maxCallersPerDay: number;
  readonly lockTtlMs: number;
  readonly lockPollMs: number;
  /** Longest wait of noted usage before its merge; 0: every add merges at once. */
  readonly flushMs?: number;
  readonly clock?: Clock;
}

/** One caller's usage on one UTC day (`day`: YYYY-MM-DD). */
export interface DayUsage {
  readonly day: string;
  readonly caller: string;
  readonly usage: UsageTotals;
}

export const dayOf = (atMs: number): number => Math.floor(atMs / DAY_MS);
export const dayName = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

export class UsageLedger {
  /** day → caller → usage noted and not yet merged into the store. */
  private pending = new Map<number, Map<string, UsageTotals>>();
  private flushing: Promise<void> | undefined;
  private again = false;
  /** The merge armed by the first add since the last flush. */
  private timer: TimerHandle | undefined;
  private readonly clock: Clock;
  private readonly days: DayRecords<DayRecord>;

  constructor(
    store: StateStore,
    private readonly options: UsageLedgerOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.days = new DayRecords(store, {
      prefix: 'usage:v1:',
      owner: USAGE_OWNER,
      maxChars: MAX_RECORD_CHARS,
      retentionDays: options.retentionDays,
      lockTtlMs: options.lockTtlMs,
      lockAttempts: LOCK_ATTEMPTS,
      lockPollMs: options.lockPollMs,
      parse: parseUsageRecord,
      empty: () => ({ v: 1, callers: {} }),
      clock: this.clock,
    });
  }

  /**
   * Adds `usage` to `caller`'s day (now); it counts here at once and is merged into the store within `flushMs`
   * (each merge is a locked read-modify-write of the whole day record: one per interval, not one per run).
   * Resolves once noted, or, with `flushMs` 0, once merged; never rejects.
   */
  add(caller: string, usage: UsageTotals): Promise<void> {
    const day = dayOf(this.clock.now());
    const callers = this.pending.get(day) ?? new Map<string, UsageTotals>();
    callers.set(caller, addUsage(callers.get(caller) ?? NO_USAGE, usage));
    this.pending.set(day, callers);
    const flushMs = this.options.flushMs ?? 0;
    if (flushMs <= 0) return this.flush();
    this.timer ??= this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, flushMs);
    return Promise.resolve();
  }

  /** `caller`'s usage today: stored plus not yet merged. */
  async today(caller: string): Promise<UsageTotals> {
    const day = dayOf(this.clock.now());
    const stored = (await this.days.read(day)).callers;
    const own = stored[caller] ?? (caller in stored ? NO_USAGE : undefined);
    return addUsage(own ?? NO_USAGE, this.pending.get(day)?.get(caller) ?? NO_USAGE);
  }

  /** Every caller's usage per day from `fromMs`'s day up to today, oldest day first, callers by name. */
  async load(fromMs: number): Promise<DayUsage[]> {
    const out: DayUsage[] = [];
    for (let day = dayOf(fromMs); day <= dayOf(this.clock.now()); day++) {
      const record = await this.days.read(day);
      const names = new Set([...Object.keys(record.callers), ...(this.pending.get(day)?.keys() ?? [])]);
      for (const caller of [...names].sort()) {
        const usage = addUsage(
          record.callers[caller] ?? NO_USAGE,
          this.pending.get(day)?.get(caller) ?? NO_USAGE,
        );
        out.push({ day: dayName(day), caller, usage });
      }
    }
    return out;
  }

  /** Merges what is pending now; one flush at a time, and one more after it when usage arrived meanwhile. */
  flush(): Promise<void> {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.flushing) {
      this.again = true;
      return this.flushing;
    }
    this.flushing = (async () => {
      do {
        this.again = false;
        await this.flushNow();
      } while (this.again);
    })().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async flushNow(): Promise<void> {
    for (const [day, callers] of [...this.pending]) {
      this.pending.delete(day);
      const stored = await this.mergeDay(day, callers).catch(() => false);
      if (!stored) {
        // Kept for the next flush, added to whatever arrived meanwhile.
        const now = this.pending.get(day) ?? new Map<string, UsageTotals>();
        for (const [caller, usage] of callers) now.set(caller, addUsage(now.get(caller) ?? NO_USAGE, usage));
        this.pending.set(day, now);
      }
    }
  }

  private mergeDay(day: number, callers: ReadonlyMap<string, UsageTotals>): Promise<boolean> {
    return this.days.merge(day, (record) => {
      for (const [caller, usage] of callers) {
        const known = caller in record.callers;
        const full = Object.keys(record.callers).length >= this.options.maxCallersPerDay;
        const name = known || !full ? caller : OTHER_CALLERS;
        record.callers[name] = addUsage(record.callers[name] ?? NO_USAGE, usage);
      }
    });
  }
}

/** The record in `text`, or undefined when it is not one; entries that do not read as usage are dropped. */
export function parseUsageRecord(text: string): DayRecord | undefined {
  const callers = parseDayEntries(text, 'callers', (entry) => {
    if (typeof entry !== 'object' || entry === null) return undefined;
    const row = entry as Record<string, unknown>;
    if (
      !FIELDS.every((f) => typeof row[f] === 'number' && Number.isFinite(row[f]) && (row[f] as number) >= 0)
    ) {
      return undefined;
    }
    return totals((f) => row[f] as number);
  });
  return callers && { v: 1, callers };
}
