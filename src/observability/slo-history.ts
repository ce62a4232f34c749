/**
 * SLO counts kept in the state store, so `brutalist-mcp slo report` (another process) and every instance on the
 * same store see one history: one record per UTC day with per-minute counts, merged under the store's lock
 * (ADR 0038).
 */
import { type Clock, systemClock } from '../infra/index.js';
import { DAY_MS, DayRecords, parseDayEntries, type StateStore } from '../state/index.js';
import { COUNTERS } from './slo-windows.js';

const MINUTE_MS = 60_000;
/** Owner of the day records: not a principal name any transport hands out (they never contain `<`). */
export const SLO_OWNER = '<slo>';
/** Minutes of counts held while the store cannot take them (a day); older ones are dropped first. */
export const MAX_PENDING_MINUTES = 1440;
/** Longest day record read back (1,440 minutes of counts is about 40 KB of JSON). */
const MAX_RECORD_CHARS = 1_000_000;

export interface SloHistoryOptions {
  /** Days a day record is kept (the budget window). */
  readonly retentionDays: number;
  /** Lease on a day record while one flush merges into it. */
  readonly lockTtlMs: number;
  readonly clock?: Clock;
}

/** Counts of one minute: `atMs` is the minute's start. */
export interface MinuteCounts {
  readonly atMs: number;
  readonly counts: Float64Array;
}

interface DayRecord {
  readonly v: 1;
  /** Minute of the day (0..1439) → COUNTERS values. */
  readonly minutes: Record<string, number[]>;
}

export class SloHistory {
  private pending = new Map<number, Float64Array>();
  private flushing: Promise<void> | undefined;
  private readonly clock: Clock;
  private readonly days: DayRecords<DayRecord>;

  constructor(store: StateStore, options: SloHistoryOptions) {
    this.clock = options.clock ?? systemClock;
    this.days = new DayRecords(store, {
      prefix: 'slo:v1:',
      owner: SLO_OWNER,
      maxChars: MAX_RECORD_CHARS,
      retentionDays: options.retentionDays,
      lockTtlMs: options.lockTtlMs,
      lockAttempts: 1,
      lockPollMs: 0,
      parse: parseDayRecord,
      empty: () => ({ v: 1, minutes: {} }),
      clock: this.clock,
    });
  }

  /** Notes counts at `atMs` for the next flush. */
  note(atMs: number, counts: ArrayLike<number>): void {
    const minute = Math.floor(atMs / MINUTE_MS);
    let row = this.pending.get(minute);
    if (!row) {
      row = new Float64Array(COUNTERS);
      this.pending.set(minute, row);
      if (this.pending.size > MAX_PENDING_MINUTES) {
        const oldest = Math.min(...this.pending.keys());
        this.pending.delete(oldest);
      }
    }
    for (let c = 0; c < COUNTERS; c++) row[c]! += counts[c] ?? 0;
  }

  /** Minutes noted and not yet stored. */
  get pendingMinutes(): number {
    return this.pending.size;
  }

  /**
   * Merges the noted counts into their day records (one at a time, each under its lock). A day whose lock is held
   * elsewhere or whose write fails keeps its counts for the next flush; never rejects.
   */
  flush(): Promise<void> {
    this.flushing ??= this.flushNow().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** Every stored minute from `fromMs` up to now, oldest first. */
  async load(fromMs: number): Promise<MinuteCounts[]> {
    const out: MinuteCounts[] = [];
    const now = this.clock.now();
    for (let day = Math.floor(fromMs / DAY_MS); day <= Math.floor(now / DAY_MS); day++) {
      const record = await this.days.read(day);
      for (const [minute, values] of Object.entries(record.minutes)) {
        const atMs = day * DAY_MS + Number(minute) * MINUTE_MS;
        if (atMs >= fromMs && atMs <= now) out.push({ atMs, counts: Float64Array.from(values) });
      }
    }
    return out.sort((a, b) => a.atMs - b.atMs);
  }

  private async flushNow(): Promise<void> {
    const taken = this.pending;
    this.pending = new Map();
    const byDay = new Map<number, Array<[number, Float64Array]>>();
    for (const [minute, counts] of taken) {
      const day = Math.floor((minute * MINUTE_MS) / DAY_MS);
      const rows = byDay.get(day) ?? [];
      rows.push([minute, counts]);
      byDay.set(day, rows);
    }
    for (const [day, rows] of byDay) {
      const stored = await this.mergeDay(day, rows).catch(() => false);
      if (!stored) for (const [minute, counts] of rows) this.note(minute * MINUTE_MS, counts);
    }
  }

  private mergeDay(day: number, rows: Array<[number, Float64Array]>): Promise<boolean> {
    return this.days.merge(day, (record) => {
      for (const [minute, counts] of rows) {
        const key = String(minute - day * 1440);
        const merged = record.minutes[key] ?? new Array<number>(COUNTERS).fill(0);
        for (let c = 0; c < COUNTERS; c++) merged[c] = (merged[c] ?? 0) + counts[c]!;
        record.minutes[key] = merged;
      }
    });
  }
}

/** The record in `text`, or undefined when it is not one (stored data is validated on read). */
export function parseDayRecord(text: string): DayRecord | undefined {
  const minutes = parseDayEntries(text, 'minutes', (row, key) => {
    const minute = Number(key);
    if (!Number.isInteger(minute) || minute < 0 || minute >= 1440) return undefined;
    if (!Array.isArray(row) || row.length !== COUNTERS) return undefined;
    if (!row.every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0)) return undefined;
    return row as number[];
  });
  return minutes && { v: 1, minutes };
}
