/** MemoryStateStore: the in-process StateStore — one bounded LRU map with per-entry TTL for every namespace. */
import { BrutalistError } from '../errors/index.js';
import { newToken } from '../infra/index.js';
import {
  KeyValueStateStore,
  type Namespace,
  PINNED_NAMESPACES,
  type StoreBoundsOptions,
} from './key-value-store.js';
import { type ListNode, RecencyList } from './recency-list.js';
import { type Snapshot, snapshot, stringBytes } from './snapshot.js';
import type { BackendStateStore, CacheEntry, LockLease, StateStoreStats, StoreHealth } from './types.js';
import {
  checkCounterStep,
  checkKey,
  checkLockTtl,
  checkTtl,
  FENCE_RETENTION_MS,
  positiveInt,
} from './validate.js';

/** Bookkeeping per entry (map slot, list node, record fields), added to the key and value estimate. */
export const ENTRY_OVERHEAD_BYTES = 128;
export { DEFAULT_MAX_VALUE_DEPTH, DEFAULT_SWEEP_BATCH_SIZE } from './validate.js';

export interface MemoryStateStoreOptions extends StoreBoundsOptions {
  /** Estimated bytes (see snapshot.ts and ENTRY_OVERHEAD_BYTES) held before least-recently-used eviction. */
  readonly maxBytes: number;
  /** Entries held, all namespaces together, before least-recently-used eviction. */
  readonly maxEntries: number;
}

interface Node extends ListNode<Node> {
  readonly key: string;
  readonly value: unknown;
  readonly bytes: number;
  readonly expiresAt: number;
}

/**
 * Values are stored as frozen JSON-data snapshots (see snapshot.ts), and the frozen snapshot is what
 * getters return: a caller can neither change stored state through the object it passed in nor through
 * the one it got back (writes to it throw in strict mode). Expired entries read as null and are removed
 * on that read; cleanupExpired() removes the rest a bounded batch at a time. `entries` and `bytes` in
 * stats() include expired entries not yet removed.
 *
 * Size policy: a cache entry over cacheMaxEntryBytes (or over maxBytes) is refused with `false`. Any
 * other entry over maxBytes throws STATE_VALUE_TOO_LARGE (not retryable) — it could never be held, and a result that cannot
 * be stored cannot be paged. Everything else fits by evicting least-recently-used entries first.
 */
export class MemoryStateStore extends KeyValueStateStore implements BackendStateStore {
  private readonly maxBytes: number;
  private readonly maxEntries: number;

  private readonly map = new Map<string, Node>();
  private readonly list = new RecencyList<Node>();
  private bytes = 0;
  private evictions = 0;
  /** Nodes of pinned namespaces by namespace (never evicted; counted for taskMaxTotal). */
  private readonly pinned = new Map<Namespace, Set<Node>>(PINNED_NAMESPACES.map((ns) => [ns, new Set()]));
  // Locks, fences and counters live beside the LRU (never evicted by it), each map bounded by maxEntries.
  private readonly locks = new Map<string, { token: string; fence: number; expiresAt: number }>();
  private readonly fences = new Map<string, { fence: number; expiresAt: number }>();
  private readonly counters = new Map<string, { value: number; expiresAt: number }>();
  private readonly secrets = new Map<string, string>();
  private fenceSeq = 0;

  constructor(options: MemoryStateStoreOptions) {
    super(options);
    this.maxBytes = positiveInt('maxBytes', options.maxBytes);
    this.maxEntries = positiveInt('maxEntries', options.maxEntries);
  }

  /** A ttlMs of 0 means "cache disabled": nothing is stored and the answer is false. */
  async setCache(key: string, entry: CacheEntry, ttlMs: number, fence?: number): Promise<boolean> {
    this.assertOpen();
    const storeKey = `cache:${checkKey(key)}`;
    if (ttlMs === 0) return false;
    const expiresAt = this.clock.now() + checkTtl(ttlMs);
    if (fence !== undefined && this.isStale(key, fence)) return false;
    const limit = Math.min(this.cacheMaxEntryBytes, this.maxBytes);
    const snap = this.take(storeKey, entry, limit);
    if (!snap.ok) return false;
    this.insert(storeKey, snap.value, snap.bytes, expiresAt);
    return true;
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
    for (const map of [this.locks, this.fences, this.counters] as Map<string, { expiresAt: number }>[]) {
      for (const [k, v] of map) if (v.expiresAt <= now) map.delete(k);
    }
    return removed;
  }

  async acquireLock(key: string, ttlMs: number): Promise<LockLease | null> {
    this.assertOpen();
    checkKey(key);
    const ttl = checkLockTtl(ttlMs);
    const now = this.clock.now();
    const held = this.locks.get(key);
    if (held && held.expiresAt > now) return null;
    if (!held && !this.makeRoom(this.locks, now)) return null;
    const fence = ++this.fenceSeq;
    const lease: LockLease = { key, token: newToken(), fence, expiresAt: now + ttl };
    this.locks.delete(key);
    this.locks.set(key, { token: lease.token, fence, expiresAt: lease.expiresAt });
    this.fences.delete(key);
    this.makeRoom(this.fences, now, true);
    this.fences.set(key, { fence, expiresAt: now + ttl + FENCE_RETENTION_MS });
    return lease;
  }

  async extendLock(lease: LockLease, ttlMs: number): Promise<LockLease | null> {
    this.assertOpen();
    const ttl = checkLockTtl(ttlMs);
    const now = this.clock.now();
    const held = this.locks.get(checkKey(lease?.key));
    if (!held || held.token !== lease.token || held.expiresAt <= now) return null;
    held.expiresAt = now + ttl;
    const fence = this.fences.get(lease.key);
    if (fence && fence.fence === held.fence) fence.expiresAt = held.expiresAt + FENCE_RETENTION_MS;
    return { ...lease, expiresAt: held.expiresAt };
  }

  async releaseLock(lease: LockLease): Promise<boolean> {
    this.assertOpen();
    const held = this.locks.get(checkKey(lease?.key));
    if (!held || held.token !== lease.token) return false;
    this.locks.delete(lease.key);
    return held.expiresAt > this.clock.now();
  }

  async incrementCounter(key: string, ttlMs: number, by = 1): Promise<number> {
    this.assertOpen();
    checkKey(key);
    const ttl = checkTtl(ttlMs);
    const step = checkCounterStep(by);
    const now = this.clock.now();
    const counter = this.counters.get(key);
    if (counter && counter.expiresAt > now) {
      counter.value += step;
      return counter.value;
    }
    this.counters.delete(key);
    this.makeRoom(this.counters, now, true);
    this.counters.set(key, { value: step, expiresAt: now + ttl });
    return step;
  }

  async sharedSecret(name: string): Promise<string> {
    this.assertOpen();
    checkKey(name);
    let secret = this.secrets.get(name);
    if (!secret) {
      secret = `${newToken()}${newToken()}`;
      this.secrets.set(name, secret);
    }
    return secret;
  }

  async health(): Promise<StoreHealth> {
    this.assertOpen();
    return { backend: 'memory', status: 'ok' };
  }

  async stats(): Promise<StateStoreStats> {
    return this.statsNow();
  }

  /** stats() without the promise, for callers in this process. */
  statsNow(): StateStoreStats {
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
    this.locks.clear();
    this.fences.clear();
    this.counters.clear();
    this.bytes = 0;
  }

  /** True when a lock on `key` was granted with a newer fence than `fence`. */
  private isStale(key: string, fence: number): boolean {
    const latest = this.fences.get(key);
    return latest !== undefined && latest.expiresAt > this.clock.now() && latest.fence > fence;
  }

  /**
   * Makes room for one more item in a side map: drops expired items (oldest first) and, when `evict` is
   * set, the oldest live one. Returns false when the map is full of live items and may not evict (locks).
   */
  private makeRoom<V extends { expiresAt: number }>(
    map: Map<string, V>,
    now: number,
    evict = false,
  ): boolean {
    if (map.size < this.maxEntries) return true;
    for (const [k, v] of map) {
      if (v.expiresAt <= now) map.delete(k);
      if (map.size < this.maxEntries) return true;
    }
    if (!evict) return false;
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
    return true;
  }

  protected del(ns: Namespace, key: unknown): void {
    this.remove(this.map.get(`${ns}:${checkKey(key)}`));
  }

  protected get<T>(namespace: Namespace, key: string): T | null {
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

  protected put(namespace: Namespace, key: unknown, value: unknown, ttlMs: number, tooLarge: string): void {
    this.assertOpen();
    const storeKey = `${namespace}:${checkKey(key)}`;
    const expiresAt = this.clock.now() + ttlMs;
    const snap = this.take(storeKey, value, this.maxBytes);
    if (!snap.ok) {
      throw new BrutalistError('STATE_VALUE_TOO_LARGE', tooLarge, { data: { maxBytes: this.maxBytes } });
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
    // Least recently used first, never a pinned entry (tasks); pinned ones alone may hold the store past its bounds
    // (they are bounded by taskMaxTotal instead).
    let victim = this.list.head;
    while (victim && (this.map.size + 1 > this.maxEntries || this.bytes + bytes > this.maxBytes)) {
      const next = victim.next;
      if (!this.pinSet(victim.key)) {
        this.remove(victim);
        this.evictions++;
      }
      victim = next;
    }
    const node: Node = { key: storeKey, value, bytes, expiresAt, prev: null, next: null };
    this.map.set(storeKey, node);
    this.list.append(node);
    this.pinSet(storeKey)?.add(node);
    this.bytes += bytes;
  }

  private remove(node: Node | undefined): void {
    if (!node) return;
    this.list.unlink(node);
    this.map.delete(node.key);
    this.pinSet(node.key)?.delete(node);
    this.bytes -= node.bytes;
  }

  /** The pinned set a store key belongs to, if its namespace is pinned. */
  private pinSet(storeKey: string): Set<Node> | undefined {
    return this.pinned.get(storeKey.slice(0, storeKey.indexOf(':')) as Namespace);
  }

  protected countLive(ns: Namespace): number {
    const nodes = this.pinned.get(ns);
    if (!nodes) return 0;
    const now = this.clock.now();
    for (const node of [...nodes]) if (node.expiresAt <= now) this.remove(node);
    return nodes.size;
  }
}
