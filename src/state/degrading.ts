/** DegradingStateStore: a shared store (Redis) with an in-process fallback, so an outage degrades instead of failing. */
import { BrutalistError, isBrutalistError } from '../errors/index.js';
import type {
  CacheEntry,
  Conversation,
  LockLease,
  PaginationToken,
  RunRecord,
  SessionData,
  StateStore,
  StateStoreStats,
  StoredResult,
  StoredResultPart,
  StoreHealth,
} from './types.js';

function isUnavailable(err: unknown): boolean {
  return isBrutalistError(err) && err.code === 'STATE_UNAVAILABLE';
}

/**
 * While the primary answers, everything goes to it. When a call fails with STATE_UNAVAILABLE:
 * - results, conversations, sessions, cursors and counters go to the fallback (this process only), and
 *   reads that miss on the primary also look there, so what was written during an outage stays readable
 *   here after it;
 * - the cache misses (getCache → null, setCache → false): critiques are still served, just not shared;
 * - locks and shared secrets still fail (callers run unlocked and hand out no cursor: offsets still page).
 * health() is the primary's, so an outage reads `degraded`.
 */
export class DegradingStateStore implements StateStore {
  private failures = 0;
  private closed = false;

  constructor(
    private readonly primary: StateStore,
    private readonly fallback: StateStore,
  ) {}

  /** Calls that fell back since start (for metrics and tests). */
  get fallbacks(): number {
    return this.failures;
  }

  private async attempt<T>(onPrimary: () => Promise<T>, onDown: () => Promise<T>): Promise<T> {
    if (this.closed) throw new BrutalistError('STATE_UNAVAILABLE', 'The state store is closed.');
    try {
      return await onPrimary();
    } catch (err) {
      if (!isUnavailable(err)) throw err;
      this.failures++;
      return onDown();
    }
  }

  /** Reads the primary (the fallback on a miss or an outage). */
  private read<T>(
    fromPrimary: () => Promise<T | null>,
    fromFallback: () => Promise<T | null>,
  ): Promise<T | null> {
    return this.attempt(async () => (await fromPrimary()) ?? fromFallback(), fromFallback);
  }

  setSession(id: string, data: SessionData, ttlMs: number): Promise<void> {
    return this.attempt(
      () => this.primary.setSession(id, data, ttlMs),
      () => this.fallback.setSession(id, data, ttlMs),
    );
  }

  getSession(id: string): Promise<SessionData | null> {
    return this.read(
      () => this.primary.getSession(id),
      () => this.fallback.getSession(id),
    );
  }

  setPaginationToken(id: string, token: PaginationToken): Promise<void> {
    return this.attempt(
      () => this.primary.setPaginationToken(id, token),
      () => this.fallback.setPaginationToken(id, token),
    );
  }

  getPaginationToken(id: string): Promise<PaginationToken | null> {
    return this.read(
      () => this.primary.getPaginationToken(id),
      () => this.fallback.getPaginationToken(id),
    );
  }

  putResult(result: StoredResult, ttlMs: number): Promise<void> {
    return this.attempt(
      () => this.primary.putResult(result, ttlMs),
      () => this.fallback.putResult(result, ttlMs),
    );
  }

  getResult(contextId: string): Promise<StoredResult | null> {
    return this.read(
      () => this.primary.getResult(contextId),
      () => this.fallback.getResult(contextId),
    );
  }

  getResultPart(contextId: string, from: number, to: number): Promise<StoredResultPart | null> {
    return this.read(
      () => this.primary.getResultPart(contextId, from, to),
      () => this.fallback.getResultPart(contextId, from, to),
    );
  }

  putConversation(conversation: Conversation, ttlMs: number, maxTurns: number): Promise<void> {
    return this.attempt(
      () => this.primary.putConversation(conversation, ttlMs, maxTurns),
      () => this.fallback.putConversation(conversation, ttlMs, maxTurns),
    );
  }

  getConversation(contextId: string): Promise<Conversation | null> {
    return this.read(
      () => this.primary.getConversation(contextId),
      () => this.fallback.getConversation(contextId),
    );
  }

  putRun(record: RunRecord, ttlMs: number): Promise<void> {
    return this.attempt(
      () => this.primary.putRun(record, ttlMs),
      () => this.fallback.putRun(record, ttlMs),
    );
  }

  getRun(contextId: string): Promise<RunRecord | null> {
    return this.read(
      () => this.primary.getRun(contextId),
      () => this.fallback.getRun(contextId),
    );
  }

  setCache(key: string, entry: CacheEntry, ttlMs: number, fence?: number): Promise<boolean> {
    return this.attempt(
      () => this.primary.setCache(key, entry, ttlMs, fence),
      async () => false,
    );
  }

  getCache(key: string): Promise<CacheEntry | null> {
    return this.attempt(
      () => this.primary.getCache(key),
      async () => null,
    );
  }

  acquireLock(key: string, ttlMs: number): Promise<LockLease | null> {
    return this.primary.acquireLock(key, ttlMs);
  }

  extendLock(lease: LockLease, ttlMs: number): Promise<LockLease | null> {
    return this.primary.extendLock(lease, ttlMs);
  }

  releaseLock(lease: LockLease): Promise<boolean> {
    return this.primary.releaseLock(lease);
  }

  incrementCounter(key: string, ttlMs: number, by?: number): Promise<number> {
    return this.attempt(
      () => this.primary.incrementCounter(key, ttlMs, by),
      () => this.fallback.incrementCounter(key, ttlMs, by),
    );
  }

  sharedSecret(name: string): Promise<string> {
    return this.primary.sharedSecret(name);
  }

  async cleanupExpired(): Promise<number> {
    const local = await this.fallback.cleanupExpired();
    return local + (await this.primary.cleanupExpired().catch(() => 0));
  }

  async stats(): Promise<StateStoreStats> {
    const local = await this.fallback.stats();
    const shared = await this.primary.stats().catch(() => null);
    if (!shared) return local;
    return {
      entries: shared.entries + local.entries,
      bytes: shared.bytes + local.bytes,
      evictions: shared.evictions + local.evictions,
      cacheHits: shared.cacheHits,
      cacheMisses: shared.cacheMisses,
    };
  }

  async health(): Promise<StoreHealth> {
    const h = await this.primary.health();
    if (h.status === 'ok') return h;
    return { ...h, detail: `${h.detail ?? 'unreachable'}; serving without cache or sharing` };
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([this.primary.close(), this.fallback.close()]);
  }
}
