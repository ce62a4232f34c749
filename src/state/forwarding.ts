/** ForwardingStateStore: passes every StateStore call to an inner store, so a decorator writes only what it changes. */
import type {
  CacheEntry,
  Conversation,
  LockLease,
  RunRecord,
  StateStore,
  StateStoreStats,
  StoredResult,
  StoredResultPart,
  StoreHealth,
  TaskList,
  TaskRecord,
} from './types.js';

/**
 * The one place that lists every StateStore method as a plain pass-through. A decorator extends it and
 * overrides the calls it changes (`override` makes a renamed method a compile error, not a silent bypass).
 */
export abstract class ForwardingStateStore implements StateStore {
  constructor(protected readonly inner: StateStore) {}

  putResult(result: StoredResult, ttlMs: number): Promise<void> {
    return this.inner.putResult(result, ttlMs);
  }
  getResultPart(contextId: string, from: number, to: number): Promise<StoredResultPart | null> {
    return this.inner.getResultPart(contextId, from, to);
  }
  putConversation(conversation: Conversation, ttlMs: number, maxTurns: number): Promise<void> {
    return this.inner.putConversation(conversation, ttlMs, maxTurns);
  }
  getConversation(contextId: string): Promise<Conversation | null> {
    return this.inner.getConversation(contextId);
  }
  putRun(record: RunRecord, ttlMs: number): Promise<void> {
    return this.inner.putRun(record, ttlMs);
  }
  getRun(contextId: string): Promise<RunRecord | null> {
    return this.inner.getRun(contextId);
  }
  putTask(task: TaskRecord, ttlMs: number): Promise<void> {
    return this.inner.putTask(task, ttlMs);
  }
  getTask(taskId: string): Promise<TaskRecord | null> {
    return this.inner.getTask(taskId);
  }
  putTaskList(list: TaskList, ttlMs: number): Promise<void> {
    return this.inner.putTaskList(list, ttlMs);
  }
  getTaskList(owner: string): Promise<TaskList | null> {
    return this.inner.getTaskList(owner);
  }
  setCache(key: string, entry: CacheEntry, ttlMs: number, fence?: number): Promise<boolean> {
    return this.inner.setCache(key, entry, ttlMs, fence);
  }
  getCache(key: string): Promise<CacheEntry | null> {
    return this.inner.getCache(key);
  }
  acquireLock(key: string, ttlMs: number): Promise<LockLease | null> {
    return this.inner.acquireLock(key, ttlMs);
  }
  extendLock(lease: LockLease, ttlMs: number): Promise<LockLease | null> {
    return this.inner.extendLock(lease, ttlMs);
  }
  releaseLock(lease: LockLease): Promise<boolean> {
    return this.inner.releaseLock(lease);
  }
  sharedSecret(name: string): Promise<string> {
    return this.inner.sharedSecret(name);
  }
  cleanupExpired(): Promise<number> {
    return this.inner.cleanupExpired();
  }
  stats(): Promise<StateStoreStats> {
    return this.inner.stats();
  }
  health(): Promise<StoreHealth> {
    return this.inner.health();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
