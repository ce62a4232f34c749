/**
 * One JSON record per UTC day kept in a StateStore's results, read-modified-written under the store's lock, so every
 * instance (and a CLI in another process) on the same store sees one record: the SLO history and the usage ledger.
 */
import { type Clock, systemClock } from '../infra/index.js';
import type { StateStore } from './types.js';

export const DAY_MS = 86_400_000;

export interface DayRecordsOptions<R> {
  /** Result-id prefix of the records (`<prefix>day:<n>`) and of their locks (`<prefix>lock:<n>`). */
  readonly prefix: string;
  /** Owner of the records: not a principal name any transport hands out. */
  readonly owner: string;
  /** Longest record read back. */
  readonly maxChars: number;
  /** Days a record is kept after its day. */
  readonly retentionDays: number;
  /** Lease on a day's record while one merge writes it. */
  readonly lockTtlMs: number;
  /** Tries at the lock before a merge gives up (it is kept for the next one), `lockPollMs` apart. */
  readonly lockAttempts: number;
  readonly lockPollMs: number;
  /** The record in a stored text, or undefined when it does not read as one (stored data is validated). */
  readonly parse: (text: string) => R | undefined;
  readonly empty: () => R;
  readonly clock?: Clock;
}

/**
 * The entries under `field` of a stored `{v: 1, [field]: {key: entry}}` record, each kept when `entry` reads it as one
 * (stored data is validated on read; an entry that does not read is dropped). Undefined: the text is not such a record.
 */
export function parseDayEntries<E>(
  text: string,
  field: string,
  entry: (value: unknown, key: string) => E | undefined,
): Record<string, E> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { v, [field]: entries } = value as { v?: unknown } & Record<string, unknown>;
  if (v !== 1 || typeof entries !== 'object' || entries === null) return undefined;
  const clean: Record<string, E> = {};
  for (const [key, raw] of Object.entries(entries)) {
    const read = entry(raw, key);
    if (read !== undefined) clean[key] = read;
  }
  return clean;
}

export class DayRecords<R> {
  private readonly clock: Clock;

  constructor(
    private readonly store: StateStore,
    private readonly options: DayRecordsOptions<R>,
  ) {
    this.clock = options.clock ?? systemClock;
  }

  /** Day `day`'s record as stored; empty when there is none, it is not ours, or it does not read as one. */
  async read(day: number): Promise<R> {
    const { store, options } = this;
    const part = await store.getResultPart(`${options.prefix}day:${day}`, 0, options.maxChars);
    if (!part || part.owner !== options.owner) return options.empty();
    return options.parse(part.text) ?? options.empty();
  }

  /**
   * Reads day `day`'s record, lets `merge` change it and writes it back, under the day's lock. False when the lock
   * stayed held elsewhere (nothing written); a store error rejects.
   */
  async merge(day: number, merge: (record: R) => void): Promise<boolean> {
    const { store, options, clock } = this;
    const key = `${options.prefix}lock:${day}`;
    let lease = await store.acquireLock(key, options.lockTtlMs);
    for (let i = 1; !lease && i < options.lockAttempts; i++) {
      await new Promise<void>((resolve) => clock.setTimeout(resolve, options.lockPollMs));
      lease = await store.acquireLock(key, options.lockTtlMs);
    }
    if (!lease) return false;
    try {
      const record = await this.read(day);
      merge(record);
      const ttlMs = (options.retentionDays + 1) * DAY_MS - (clock.now() - day * DAY_MS);
      if (ttlMs <= 0) return true; // older than what is kept: nothing to store
      await store.putResult(
        {
          contextId: `${options.prefix}day:${day}`,
          owner: options.owner,
          text: JSON.stringify(record),
          meta: {},
          createdAt: clock.now(),
        },
        ttlMs,
      );
      return true;
    } finally {
      await store.releaseLock(lease).catch(() => false);
    }
  }
}
