/** A StateStore decorator that records each call's latency and failures in the metrics (the store stays unaware). */
import { performance } from 'node:perf_hooks';
import type { Counter, Histogram } from 'prom-client';
import {
  type CacheEntry,
  type Conversation,
  ForwardingStateStore,
  type LockLease,
  type RunRecord,
  type StateStore,
  type StoredResult,
  type StoredResultPart,
} from '../state/index.js';

export class TimedStateStore extends ForwardingStateStore {
  constructor(
    inner: StateStore,
    private readonly duration: Histogram<'op'>,
    private readonly errors: Counter<'op'>,
  ) {
    super(inner);
  }

  private async timed<T>(op: string, call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await call();
    } catch (err) {
      this.errors.inc({ op });
      throw err;
    } finally {
      this.duration.observe({ op }, (performance.now() - started) / 1000);
    }
  }

  override putResult(result: StoredResult, ttlMs: number): Promise<void> {
    return this.timed('put_result', () => super.putResult(result, ttlMs));
  }
  override getResultPart(contextId: string, from: number, to: number): Promise<StoredResultPart | null> {
    return this.timed('get_result', () => super.getResultPart(contextId, from, to));
  }
  override putConversation(conversation: Conversation, ttlMs: number, maxTurns: number): Promise<void> {
    return this.timed('put_conversation', () => super.putConversation(conversation, ttlMs, maxTurns));
  }
  override getConversation(contextId: string): Promise<Conversation | null> {
    return this.timed('get_conversation', () => super.getConversation(contextId));
  }
  override putRun(record: RunRecord, ttlMs: number): Promise<void> {
    return this.timed('put_run', () => super.putRun(record, ttlMs));
  }
  override getRun(contextId: string): Promise<RunRecord | null> {
    return this.timed('get_run', () => super.getRun(contextId));
  }
  override setCache(key: string, entry: CacheEntry, ttlMs: number, fence?: number): Promise<boolean> {
    return this.timed('set_cache', () => super.setCache(key, entry, ttlMs, fence));
  }
  override getCache(key: string): Promise<CacheEntry | null> {
    return this.timed('get_cache', () => super.getCache(key));
  }
  override acquireLock(key: string, ttlMs: number): Promise<LockLease | null> {
    return this.timed('acquire_lock', () => super.acquireLock(key, ttlMs));
  }
  override extendLock(lease: LockLease, ttlMs: number): Promise<LockLease | null> {
    return this.timed('extend_lock', () => super.extendLock(lease, ttlMs));
  }
  override releaseLock(lease: LockLease): Promise<boolean> {
    return this.timed('release_lock', () => super.releaseLock(lease));
  }
}
