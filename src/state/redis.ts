/** RedisStateStore: the shared StateStore for several instances — TTLs in Redis, atomic steps in Lua, bounded waits. */
import { BrutalistError } from '../errors/index.js';
import { type Clock, newToken, systemClock } from '../infra/index.js';
import { KeyValueStateStore, type Namespace } from './key-value-store.js';
import { RedisConnection, reply } from './redis-connection.js';
import { resultPart, type StoredResultHead, splitResult, utf16Pieces, wholeResult } from './result-chunks.js';
import type {
  BackendStateStore,
  CacheEntry,
  LockLease,
  StateStoreStats,
  StoredResult,
  StoredResultPart,
  StoreHealth,
} from './types.js';
import {
  checkCounterStep,
  checkKey,
  checkLockTtl,
  checkTtl,
  checkWindow,
  encodeValue,
  FENCE_RETENTION_MS,
  positiveInt,
} from './validate.js';

export { MAX_READY_WAITERS, MAX_RECONNECT_DELAY_MS } from './redis-connection.js';

export interface RedisStateStoreOptions {
  readonly url: string;
  /** Prepended to every key (e.g. `brutalist:`). */
  readonly keyPrefix: string;
  /** Longest wait for one command, and for the first connection. */
  readonly commandTimeoutMs: number;
  readonly cacheMaxEntryBytes: number;
  readonly clock?: Clock;
  readonly sweepBatchSize?: number;
  readonly maxValueDepth?: number;
  /** Operator log (stderr): connection state changes. */
  readonly log?: (line: string) => void;
  /**
   * Clock for the connection watchdog (pings, stuck-connection resets). Defaults to the real clock even
   * when `clock` is manual, since it guards a real socket.
   */
  readonly watchdogClock?: Clock;
}

/**
 * Entries are strings `expiresAt\njson` with a native PX TTL, indexed in one sorted set by expiry (for
 * cleanupExpired and the entry count). Reads compare the stored expiry with the injected clock, so
 * expiry is exact under a manual clock too. The connection (redis-connection.ts) never queues a command while
 * Redis is away: during an outage every call fails at once with STATE_UNAVAILABLE.
 */
export class RedisStateStore extends KeyValueStateStore implements BackendStateStore {
  private readonly conn: RedisConnection;
  private readonly prefix: string;

  constructor(options: RedisStateStoreOptions) {
    super(options);
    this.prefix = options.keyPrefix;
    const commandTimeoutMs = positiveInt('redisCommandTimeoutMs', options.commandTimeoutMs);
    this.conn = new RedisConnection({
      url: options.url,
      commandTimeoutMs,
      clock: options.watchdogClock ?? systemClock,
      log: options.log ?? (() => {}),
    });
  }

  private get redis() {
    return this.conn.redis;
  }

  private get scripts() {
    return this.conn.scripts;
  }

  async setCache(key: string, entry: CacheEntry, ttlMs: number, fence?: number): Promise<boolean> {
    this.assertOpen();
    checkKey(key);
    if (ttlMs === 0) return false;
    const ttl = checkTtl(ttlMs);
    const json = encodeValue(entry, this.maxValueDepth);
    if (Buffer.byteLength(json) > this.cacheMaxEntryBytes) return false;
    return (await this.write('cache', key, json, ttl, fence)) === 1;
  }

  /** The entry keeps the metadata and totalChars; the text goes under its own key, written in one script. */
  override async putResult(result: StoredResult, ttlMs: number): Promise<void> {
    this.assertOpen();
    const key = checkKey(result?.contextId);
    const ttl = checkTtl(ttlMs);
    const { head, text } = splitResult(result);
    const json = encodeValue(head, this.maxValueDepth);
    const expiresAt = this.clock.now() + ttl;
    await this.op(() =>
      this.scripts.setResult(
        this.entryKey('result', key),
        this.indexKey(),
        this.textKey('result', key),
        `${expiresAt}\n${json}`,
        Math.max(1, Math.ceil(ttl)),
        `result:${key}`,
        expiresAt,
        Buffer.from(text, 'utf16le'),
      ),
    );
  }

  override async getResult(contextId: string): Promise<StoredResult | null> {
    this.assertOpen();
    const key = checkKey(contextId);
    const replies = await this.op(() =>
      this.redis.multi().get(this.entryKey('result', key)).getBuffer(this.textKey('result', key)).exec(),
    );
    const head = await this.liveValue<StoredResultHead>('result', key, reply<string>(replies, 0));
    // The text key evicted on its own (maxmemory) reads as no result.
    return head && wholeResult(head, () => reply<Buffer>(replies, 1)?.toString('utf16le'));
  }

  /** One MULTI: the entry, the text's length and GETRANGE over the window's bytes. */
  override async getResultPart(
    contextId: string,
    from: number,
    to: number,
  ): Promise<StoredResultPart | null> {
    this.assertOpen();
    const key = checkKey(contextId);
    const window = checkWindow(from, to);
    const textKey = this.textKey('result', key);
    const replies = await this.op(() => {
      const multi = this.redis.multi().get(this.entryKey('result', key)).strlen(textKey);
      if (window.to > window.from) multi.getrangeBuffer(textKey, 2 * window.from, 2 * window.to - 1);
      return multi.exec();
    });
    const head = await this.liveValue<StoredResultHead>('result', key, reply<string>(replies, 0));
    return (
      head &&
      resultPart(head, window.from, window.to, (start, end, totalChars) => {
        if (reply<number>(replies, 1) !== 2 * totalChars) return undefined; // the text key is gone (evicted on its own)
        const bytes = end > start ? reply<Buffer>(replies, 2) : undefined;
        return bytes ? utf16Pieces(bytes) : [];
      })
    );
  }

  async acquireLock(key: string, ttlMs: number): Promise<LockLease | null> {
    this.assertOpen();
    checkKey(key);
    const ttl = checkLockTtl(ttlMs);
    const token = newToken();
    const now = this.clock.now();
    const expiresAt = now + ttl;
    const fence = Number(
      await this.op(() =>
        this.scripts.acquire(
          this.k('lock:', key),
          this.k('fenceseq'),
          this.k('fence:', key),
          now,
          ttl,
          token,
          FENCE_RETENTION_MS,
          expiresAt,
        ),
      ),
    );
    return fence > 0 ? { key, token, fence, expiresAt } : null;
  }

  async extendLock(lease: LockLease, ttlMs: number): Promise<LockLease | null> {
    this.assertOpen();
    const key = checkKey(lease?.key);
    const ttl = checkLockTtl(ttlMs);
    const now = this.clock.now();
    const expiresAt = now + ttl;
    const ok = await this.op(() =>
      this.scripts.extend(
        this.k('lock:', key),
        this.k('fence:', key),
        now,
        ttl,
        lease.token,
        FENCE_RETENTION_MS,
        expiresAt,
      ),
    );
    return ok === 1 ? { ...lease, expiresAt } : null;
  }

  async releaseLock(lease: LockLease): Promise<boolean> {
    this.assertOpen();
    const key = checkKey(lease?.key);
    const now = this.clock.now();
    return (await this.op(() => this.scripts.release(this.k('lock:', key), now, lease.token))) === 1;
  }

  async incrementCounter(key: string, ttlMs: number, by = 1): Promise<number> {
    this.assertOpen();
    checkKey(key);
    const ttl = Math.max(1, Math.ceil(checkTtl(ttlMs)));
    const step = checkCounterStep(by);
    const now = this.clock.now();
    return Number(
      await this.op(() => this.scripts.increment(this.k('ctr:', key), now, ttl, step, now + ttl)),
    );
  }

  async sharedSecret(name: string): Promise<string> {
    this.assertOpen();
    const key = this.k('secret:', checkKey(name));
    const secret = await this.op(async () => {
      await this.redis.set(key, `${newToken()}${newToken()}`, 'NX');
      return this.redis.get(key);
    });
    if (!secret) throw new BrutalistError('STATE_UNAVAILABLE', 'The shared secret could not be read back.');
    return secret;
  }

  async cleanupExpired(): Promise<number> {
    this.assertOpen();
    const now = this.clock.now();
    return Number(
      await this.op(() =>
        this.scripts.sweep(this.indexKey(), now, this.sweepBatchSize, this.k('e:'), this.k('t:')),
      ),
    );
  }

  /** `entries` counts the expiry index (all instances' entries); `bytes` is not tracked for Redis (0): see INFO memory. */
  async stats(): Promise<StateStoreStats> {
    this.assertOpen();
    const entries = await this.op(() => this.redis.zcard(this.indexKey()));
    return { entries, bytes: 0, evictions: 0, cacheHits: this.cacheHits, cacheMisses: this.cacheMisses };
  }

  /** Pings Redis (bounded by commandTimeoutMs): `ok` when it answers, `degraded` otherwise. */
  async health(): Promise<StoreHealth> {
    this.assertOpen();
    try {
      await this.op(() => this.redis.ping());
      return { backend: 'redis', status: 'ok' };
    } catch {
      return { backend: 'redis', status: 'degraded', detail: `redis ${this.conn.status}` };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.conn.close();
  }

  // ---- internals

  private k(kind: string, key = ''): string {
    return `${this.prefix}${kind}${key}`;
  }

  private entryKey(ns: Namespace, key: string): string {
    return this.k('e:', `${ns}:${key}`);
  }

  /** A result's text as UTF-16LE (two bytes per code unit, so GETRANGE offsets are exact, lone surrogates kept). */
  private textKey(ns: Namespace, key: string): string {
    return this.k('t:', `${ns}:${key}`);
  }

  private indexKey(): string {
    return this.k('idx');
  }

  /** Redis evicts none of our keys (they expire by TTL; run Redis with a noeviction or volatile-ttl policy). */
  protected countLive(_ns: Namespace): number {
    return 0;
  }

  protected async del(ns: Namespace, key: unknown): Promise<void> {
    const k = checkKey(key);
    await this.op(() =>
      this.redis
        .multi()
        .del(this.entryKey(ns, k), this.textKey(ns, k))
        .zrem(this.indexKey(), `${ns}:${k}`)
        .exec(),
    );
  }

  protected async put(ns: Namespace, key: unknown, value: unknown, ttlMs: number): Promise<void> {
    const k = checkKey(key);
    await this.write(ns, k, encodeValue(value, this.maxValueDepth), ttlMs, undefined);
  }

  private async write(
    ns: Namespace,
    key: string,
    json: string,
    ttlMs: number,
    fence: number | undefined,
  ): Promise<number> {
    const expiresAt = this.clock.now() + ttlMs;
    return Number(
      await this.op(() =>
        this.scripts.setEntry(
          this.entryKey(ns, key),
          this.indexKey(),
          this.k('fence:', key),
          `${expiresAt}\n${json}`,
          Math.max(1, Math.ceil(ttlMs)),
          `${ns}:${key}`,
          expiresAt,
          fence === undefined ? '' : fence,
        ),
      ),
    );
  }

  protected async get<T>(ns: Namespace, key: string): Promise<T | null> {
    this.assertOpen();
    checkKey(key);
    const raw = await this.op(() => this.redis.get(this.entryKey(ns, key)));
    return this.liveValue<T>(ns, key, raw);
  }

  private async dropExpired(ns: Namespace, key: string): Promise<void> {
    const now = this.clock.now();
    await this.op(() =>
      this.scripts.deleteIfExpired(
        this.entryKey(ns, key),
        this.indexKey(),
        this.textKey(ns, key),
        now,
        `${ns}:${key}`,
      ),
    );
  }

  /** The live entry value from `expiresAt\njson`, or null when it expired (then deleted with its text). */
  private async liveValue<T>(ns: Namespace, key: string, raw: string | null): Promise<T | null> {
    if (raw === null) return null;
    const newline = raw.indexOf('\n');
    if (Number(raw.slice(0, newline)) <= this.clock.now()) {
      await this.dropExpired(ns, key);
      return null;
    }
    return JSON.parse(raw.slice(newline + 1)) as T;
  }

  /** Runs one Redis step (see RedisConnection.op), refused once this store is closed. */
  private async op<T>(fn: () => Promise<T>): Promise<T> {
    this.assertOpen();
    return this.conn.op(fn);
  }
}
