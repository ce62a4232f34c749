/** MemoryStateStore: the in-process StateStore — one bounded LRU map with per-entry TTL for every namespace. */
import { BrutalistError } from '../errors/index.js';
import { type Clock, systemClock } from '../infra/index.js';
import { type ListNode, RecencyList } from './recency-list.js';
import { type Snapshot, snapshot, stringBytes } from './snapshot.js';
import type {
  CacheEntry,
  Conversation,
  PaginationToken,
  SessionData,
  StateStore,
  StateStoreStats,
  StoredResult,
} from './types.js';

/** Bookkeeping per entry (map slot, list node, record fields), added to the key and value estimate. */
export const ENTRY_OVERHEAD_BYTES = 128;
export const DEFAULT_SWEEP_BATCH_SIZE = 10_000;
export const DEFAULT_MAX_VALUE_DEPTH = 32;

export interface MemoryStateStoreOptions {
  /** Estimated bytes (see snapshot.ts and ENTRY_OVERHEAD_BYTES) held before least-recently-used eviction. */
  readonly maxBytes: number;
  /** Entries held, all namespaces together, before least-recently-used eviction. */
  readonly maxEntries: number;
  /** Largest cache entry accepted by setCache; larger ones are refused (false). */
  readonly cacheMaxEntryBytes: number;
  readonly clock?: Clock;
  /** Entries cleanupExpired() examines per call; the next call continues where this one stopped. */
  readonly sweepBatchSize?: number;
  /** Deepest nesting accepted in a stored value (meta objects). */
  readonly maxValueDepth?: number;
}

type Namespace = 'session' | 'cursor' | 'result' | 'conversation' | 'cache';

interface Node extends ListNode<Node> {
  readonly key: string;
  readonly value: unknown;
  readonly bytes: number;
  readonly expiresAt: number;
}

function positiveInt(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new BrutalistError(
      'CONFIG_INVALID',
      `${name} must be an integer >= 1, got ${String(value)} (${typeof value})`,
      { data: { option: name } },
    );
  }
  return value;
}

function checkKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new BrutalistError('INVALID_ARGUMENT', 'A state key must be a non-empty string.');
  }
  return key;
}

function checkTtl(ttlMs: unknown): number {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new BrutalistError('INVALID_ARGUMENT', 'ttlMs must be a finite number > 0.', {
      data: { ttlMs: typeof ttlMs === 'number' ? ttlMs : String(ttlMs) },
    });
  }
  return ttlMs;
}

/**
 * Values are stored as frozen JSON-data snapshots (see snapshot.ts), and the frozen snapshot is what
 * getters return: a caller can neither change stored state through the object it passed in nor through
 * the one it got back (writes to it throw in strict mode). Expired entries read as null and are removed
 * on that read; cleanupExpired() removes the rest a bounded batch at a time. `entries` and `bytes` in
 * stats() include expired entries not yet removed.
 *
 * Size policy: a cache entry over cacheMaxEntryBytes (or over maxBytes) is refused with `false`. Any
 * other entry over maxBytes throws STATE_UNAVAILABLE — it could never be held, and a result that cannot
 * be stored cannot be paged. Everything else fits by evicting least-recently-used entries first.
 */
export class MemoryStateStore implements StateStore {
  private readonly maxBytes: number;
  private readonly maxEntries: number;
  private readonly cacheMaxEntryBytes: number;
  private readonly sweepBatchSize: number;
  private readonly maxValueDepth: number;
  private readonly clock: Clock;

  private readonly map = new Map<string, Node>();
  private readonly list = new RecencyList<Node>();
  private bytes = 0;
  private evictions = 0;
  private cacheHits = 0;
  private cacheMisses = 0;
  private closed = false;

  constructor(options: MemoryStateStoreOptions) {
    this.maxBytes = positiveInt('maxBytes', options.maxBytes);
    this.maxEntries = positiveInt('maxEntries', options.maxEntries);
    this.cacheMaxEntryBytes = positiveInt('cacheMaxEntryBytes', options.cacheMaxEntryBytes);
    this.sweepBatchSize = positiveInt('sweepBatchSize', options.sweepBatchSize ?? DEFAULT_SWEEP_BATCH_SIZE);
    this.maxValueDepth = positiveInt('maxValueDepth', options.maxValueDepth ?? DEFAULT_MAX_VALUE_DEPTH);
    this.clock = options.clock ?? systemClock;
  }

  async setSession(sessionId: string, data: SessionData, ttlMs: number): Promise<void> {
    this.put('session', sessionId, data, checkTtl(ttlMs), 'The session is too large to store.');
  }

  async getSession(sessionId: string): Promise<SessionData | null> {
    return this.get<SessionData>('session', sessionId);
  }

  /** The cursor lives until its own `expiresAt`; one already expired is not stored (and replaces any old one). */
  async setPaginationToken(cursorId: string, token: PaginationToken): Promise<void> {
    this.assertOpen();
    const expiresAt: unknown = token?.expiresAt;
    if (typeof expiresAt !== 'number' || Number.isNaN(expiresAt)) {
      throw new BrutalistError('INVALID_ARGUMENT', 'A cursor needs a numeric expiresAt.');
    }
    const ttlMs = expiresAt - this.clock.now();
    if (ttlMs <= 0) {
      this.remove(this.map.get(`cursor:${checkKey(cursorId)}`));
      return;
    }
    this.put('cursor', cursorId, token, ttlMs, 'The cursor is too large to store.');
  }

  async getPaginationToken(cursorId: string): Promise<PaginationToken | null> {
    return this.get<PaginationToken>('cursor', cursorId);
  }

  /** Throws STATE_UNAVAILABLE when the result alone is larger than maxBytes (it could never be paged). */
  async putResult(result: StoredResult, ttlMs: number): Promise<void> {
    this.assertOpen();
    this.put(
      'result',
      result?.contextId,
      result,
      checkTtl(ttlMs),
      'The result is too large to store for paging.',
    );
  }

  async getResult(contextId: string): Promise<StoredResult | null> {
    return this.get<StoredResult>('result', contextId);
  }

  async putConversation(conversation: Conversation, ttlMs: number, maxTurns: number): Promise<void> {
    this.assertOpen();
    if (!Number.isInteger(maxTurns) || maxTurns < 1) {
      throw new BrutalistError('INVALID_ARGUMENT', 'maxTurns must be an integer >= 1.', {
        data: { maxTurns: typeof maxTurns === 'number' ? maxTurns : String(maxTurns) },
      });
    }
    if (!Array.isArray(conversation?.turns)) {
      throw new BrutalistError('INVALID_ARGUMENT', 'A conversation needs a turns array.');
    }
    const trimmed: Conversation = { ...conversation, turns: conversation.turns.slice(-maxTurns) };
    this.put(
      'conversation',
      conversation.contextId,
      trimmed,
      checkTtl(ttlMs),
      'The conversation is too large to store.',
    );
  }

  async getConversation(contextId: string): Promise<Conversation | null> {
    return this.get<Conversation>('conversation', contextId);
  }

  /** A ttlMs of 0 means "cache disabled": nothing is stored and the answer is false. */
  async setCache(key: string, entry: CacheEntry, ttlMs: number): Promise<boolean> {
    this.assertOpen();
    const storeKey = `cache:${checkKey(key)}`;
    if (ttlMs === 0) return false;
    const expiresAt = this.clock.now() + checkTtl(ttlMs);
    const limit = Math.min(this.cacheMaxEntryBytes, this.maxBytes);
    const snap = this.take(storeKey, entry, limit);
    if (!snap.ok) return false;
    this.insert(storeKey, snap.value, snap.bytes, expiresAt);
    return true;
  }

  async getCache(key: string): Promise<CacheEntry | null> {
    const entry = this.get<CacheEntry>('cache', key);
    if (entry) this.cacheHits++;
    else this.cacheMisses++;
    return entry;
  }

  /** Examines at most sweepBatchSize entries, oldest-used first, resuming from the previous call's stop. */
  async cleanupExpired(): Promise<number> {
    this.assertOpen();
    const now = this.clock.now();
    let node = this.list.cursor ?? this.list.head;
    let removed = 0;
    for (let examined = 0; node !== null && examined < this.sweepBatchSize; examined++) {
      const next = node.next;
      if (node.expiresAt <= now) {
        this.remove(node);
        removed++;
      }
      node = next;
    }
    this.list.cursor = node;
    return removed;
  }

  stats(): StateStoreStats {
    this.assertOpen();
    return {
      entries: this.map.size,
      bytes: this.bytes,
      evictions: this.evictions,
      cacheHits: this.cacheHits,
      cacheMisses: this.cacheMisses,
    };
  }

  /** Drops everything; later calls (including stats) throw STATE_UNAVAILABLE. Closing twice is harmless. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.map.clear();
    this.list.clear();
    this.bytes = 0;
  }

  private assertOpen(): void {
    if (this.closed) throw new BrutalistError('STATE_UNAVAILABLE', 'The state store is closed.');
  }

  private get<T>(namespace: Namespace, key: string): T | null {
    this.assertOpen();
    const node = this.map.get(`${namespace}:${checkKey(key)}`);
    if (!node) return null;
    if (node.expiresAt <= this.clock.now()) {
      this.remove(node);
      return null;
    }
    this.list.touch(node);
    return node.value as T;
  }

  private put(namespace: Namespace, key: unknown, value: unknown, ttlMs: number, tooLarge: string): void {
    this.assertOpen();
    const storeKey = `${namespace}:${checkKey(key)}`;
    const expiresAt = this.clock.now() + ttlMs;
    const snap = this.take(storeKey, value, this.maxBytes);
    if (!snap.ok) {
      throw new BrutalistError('STATE_UNAVAILABLE', tooLarge, { data: { maxBytes: this.maxBytes } });
    }
    this.insert(storeKey, snap.value, snap.bytes, expiresAt);
  }

  /** Snapshots a value with the entry overhead counted against `limit`. */
  private take(storeKey: string, value: unknown, limit: number): Snapshot<unknown> {
    const overhead = ENTRY_OVERHEAD_BYTES + stringBytes(storeKey);
    if (overhead > limit) return { ok: false };
    const snap = snapshot(value, { maxBytes: limit - overhead, maxDepth: this.maxValueDepth });
    return snap.ok ? { ok: true, value: snap.value, bytes: snap.bytes + overhead } : snap;
  }

  private insert(storeKey: string, value: unknown, bytes: number, expiresAt: number): void {
    // Replacing a key is not an eviction: drop the old value first so its bytes count as free.
    this.remove(this.map.get(storeKey));
    while (this.list.head && (this.map.size + 1 > this.maxEntries || this.bytes + bytes > this.maxBytes)) {
      this.remove(this.list.head);
      this.evictions++;
    }
    const node: Node = { key: storeKey, value, bytes, expiresAt, prev: null, next: null };
    this.map.set(storeKey, node);
    this.list.append(node);
    this.bytes += bytes;
  }

  private remove(node: Node | undefined): void {
    if (!node) return;
    this.list.unlink(node);
    this.map.delete(node.key);
    this.bytes -= node.bytes;
  }
}
