/** DegradingStateStore: a shared store (Redis) with an in-process fallback, so an outage degrades instead of failing. */
import { BrutalistError, isBrutalistError } from '../errors/index.js';
import { ForwardingStateStore } from './forwarding.js';
import type {
  CacheEntry,
  Conversation,
  RunRecord,
  StateStore,
  StateStoreStats,
  StoredResult,
  StoredResultPart,
  StoreHealth,
  TaskList,
  TaskRecord,
} from './types.js';

function isUnavailable(err: unknown): boolean {
  return isBrutalistError(err) && err.code === 'STATE_UNAVAILABLE';
}

/**
 * While the primary answers, everything goes to it. When a call fails with STATE_UNAVAILABLE:
 * - results, conversations and run records go to the fallback (this process only), and
 *   reads that miss on the primary also look there, so what was written during an outage stays readable
 *   here after it;
 * - the cache misses (getCache → null, setCache → false): critiques are still served, just not shared;
 * - locks and shared secrets go to the primary only (ForwardingStateStore) and still fail (callers run
 *   unlocked and hand out no cursor: offsets still page).
 * health() is the primary's, so an outage reads `degraded`.
 */
export class DegradingStateStore extends ForwardingStateStore {
  private failures = 0;
  private closed = false;

  constructor(
    private readonly primary: StateStore,
    private readonly fallback: StateStore,
  ) {
    super(primary);
  }

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

  /** Writes to the primary, or to the fallback during an outage. */
  private write<T>(call: (store: StateStore) => Promise<T>): Promise<T> {
    return this.attempt(
      () => call(this.primary),
      () => call(this.fallback),
    );
  }

  /** Reads the primary (the fallback on a miss or an outage). */
  private read<T>(call: (store: StateStore) => Promise<T | null>): Promise<T | null> {
    return this.attempt(
      async () => (await call(this.primary)) ?? call(this.fallback),
      () => call(this.fallback),
    );
  }

  override putResult(result: StoredResult, ttlMs: number): Promise<void> {
    return this.write((s) => s.putResult(result, ttlMs));
  }

  override getResultPart(contextId: string, from: number, to: number): Promise<StoredResultPart | null> {
    return this.read((s) => s.getResultPart(contextId, from, to));
  }

  override putConversation(conversation: Conversation, ttlMs: number, maxTurns: number): Promise<void> {
    return this.write((s) => s.putConversation(conversation, ttlMs, maxTurns));
  }

  override getConversation(contextId: string): Promise<Conversation | null> {
    return this.read((s) => s.getConversation(contextId));
  }

  override putRun(record: RunRecord, ttlMs: number): Promise<void> {
    return this.write((s) => s.putRun(record, ttlMs));
  }

  override getRun(contextId: string): Promise<RunRecord | null> {
    return this.read((s) => s.getRun(contextId));
  }

  override putTask(task: TaskRecord, ttlMs: number): Promise<void> {
    return this.write((s) => s.putTask(task, ttlMs));
  }

  override getTask(taskId: string): Promise<TaskRecord | null> {
    return this.read((s) => s.getTask(taskId));
  }

  override putTaskList(list: TaskList, ttlMs: number): Promise<void> {
    return this.write((s) => s.putTaskList(list, ttlMs));
  }

  override getTaskList(owner: string): Promise<TaskList | null> {
    return this.read((s) => s.getTaskList(owner));
  }

  override setCache(key: string, entry: CacheEntry, ttlMs: number, fence?: number): Promise<boolean> {
    return this.attempt(
      () => this.primary.setCache(key, entry, ttlMs, fence),
      async () => false,
    );
  }

  override getCache(key: string): Promise<CacheEntry | null> {
    return this.attempt(
      () => this.primary.getCache(key),
      async () => null,
    );
  }

  override async cleanupExpired(): Promise<number> {
    const local = await this.fallback.cleanupExpired();
    return local + (await this.primary.cleanupExpired().catch(() => 0));
  }

  override async stats(): Promise<StateStoreStats> {
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

  override async health(): Promise<StoreHealth> {
    const h = await this.primary.health();
    if (h.status === 'ok') return h;
    return { ...h, detail: `${h.detail ?? 'unreachable'}; serving without cache or sharing` };
  }

  override async close(): Promise<void> {
    this.closed = true;
    await Promise.all([this.primary.close(), this.fallback.close()]);
  }
}
