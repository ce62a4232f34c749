/** RedisStateStore: the shared StateStore for several instances — TTLs in Redis, atomic steps in Lua, bounded waits. */
import { Redis } from 'ioredis';
import { BrutalistError } from '../errors/index.js';
import { type Clock, newToken, systemClock, type TimerHandle } from '../infra/index.js';
import { KeyValueStateStore, type Namespace } from './key-value-store.js';
import * as lua from './redis-scripts.js';
import type {
  CacheEntry,
  LockLease,
  StateStore,
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
  clampWindow,
  DEFAULT_MAX_VALUE_DEPTH,
  DEFAULT_SWEEP_BATCH_SIZE,
  encodeValue,
  FENCE_RETENTION_MS,
  positiveInt,
} from './validate.js';

/** Callers that may wait for the first connection at once; more fail at once (no unbounded queue). */
export const MAX_READY_WAITERS = 1_024;
/** Longest pause between reconnect attempts, so service resumes within about this long after Redis returns. */
export const MAX_RECONNECT_DELAY_MS = 1_000;

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

type Script = (...args: Array<string | number | Buffer>) => Promise<unknown>;

const SCRIPTS = {
  setEntry: [lua.SET_ENTRY, 3],
  setResult: [lua.SET_RESULT, 3],
  sweep: [lua.SWEEP, 1],
  deleteIfExpired: [lua.DELETE_IF_EXPIRED, 3],
  acquire: [lua.ACQUIRE, 3],
  extend: [lua.EXTEND, 2],
  release: [lua.RELEASE, 1],
  increment: [lua.INCREMENT, 1],
} as const;

/**
 * Entries are strings `expiresAt\njson` with a native PX TTL, indexed in one sorted set by expiry (for
 * cleanupExpired and the entry count). Reads compare the stored expiry with the injected clock, so
 * expiry is exact under a manual clock too. Commands never queue while disconnected
 * (enableOfflineQueue off, no per-request retries): during an outage every call fails at once with
 * STATE_UNAVAILABLE, memory stays flat, and the client reconnects by itself (at most
 * MAX_RECONNECT_DELAY_MS between attempts). A watchdog pings once per commandTimeoutMs and drops a
 * connection that stopped answering, so a silent network (packets dropped) is noticed too.
 */
export class RedisStateStore extends KeyValueStateStore implements StateStore {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly cacheMaxEntryBytes: number;
  private readonly sweepBatchSize: number;
  private readonly maxValueDepth: number;
  private readonly commandTimeoutMs: number;
  protected readonly clock: Clock;
  private readonly watchdogClock: Clock;
  private readonly log: (line: string) => void;
  private readonly scripts: Record<keyof typeof SCRIPTS, Script>;
  private watchdog: TimerHandle | undefined;
  private everReady = false;
  private notReadySince: number;
  private readyWaiters = 0;
  private lastError = '';

  constructor(options: RedisStateStoreOptions) {
    super();
    this.prefix = options.keyPrefix;
    this.commandTimeoutMs = positiveInt('redisCommandTimeoutMs', options.commandTimeoutMs);
    this.cacheMaxEntryBytes = positiveInt('cacheMaxEntryBytes', options.cacheMaxEntryBytes);
    this.sweepBatchSize = positiveInt('sweepBatchSize', options.sweepBatchSize ?? DEFAULT_SWEEP_BATCH_SIZE);
    this.maxValueDepth = positiveInt('maxValueDepth', options.maxValueDepth ?? DEFAULT_MAX_VALUE_DEPTH);
    this.clock = options.clock ?? systemClock;
    this.watchdogClock = options.watchdogClock ?? systemClock;
    this.log = options.log ?? (() => {});
    this.notReadySince = this.watchdogClock.now();
    try {
      this.redis = new Redis(options.url, {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        commandTimeout: this.commandTimeoutMs,
        connectTimeout: this.commandTimeoutMs,
        retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), MAX_RECONNECT_DELAY_MS),
        reconnectOnError: () => false,
        lazyConnect: false,
      });
    } catch (err) {
      throw new BrutalistError('CONFIG_INVALID', 'redisUrl is not a valid Redis URL.', {
        cause: err,
        data: { option: 'redisUrl' },
      });
    }
    this.redis.on('error', (err: Error) => {
      // Without a listener ioredis prints every error; the message is kept for health() and logged once.
      const message = err.message.split('\n')[0] ?? 'error';
      if (message !== this.lastError) this.log(`brutalist-mcp: redis: ${message}`);
      this.lastError = message;
    });
    this.redis.on('ready', () => {
      if (this.everReady) this.log('brutalist-mcp: redis: connection restored');
      this.everReady = true;
      this.lastError = '';
    });
    this.redis.on('close', () => {
      this.notReadySince = this.watchdogClock.now();
    });
    const scripts: Partial<Record<keyof typeof SCRIPTS, Script>> = {};
    for (const [name, [source, numberOfKeys]] of Object.entries(SCRIPTS)) {
      this.redis.defineCommand(`brutalist_${name}`, { lua: source, numberOfKeys });
      // defineCommand adds the method at run time, so its type is not known to ioredis's typings.
      const command: unknown = Reflect.get(this.redis, `brutalist_${name}`);
      if (typeof command !== 'function') throw new Error(`ioredis did not define the ${name} script`);
      scripts[name as keyof typeof SCRIPTS] = (...args) => Promise.resolve(command.apply(this.redis, args));
    }
    this.scripts = scripts as Record<keyof typeof SCRIPTS, Script>;
    this.scheduleWatchdog();
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
    const { text, ...head } = result;
    if (typeof text !== 'string')
      throw new BrutalistError('INVALID_ARGUMENT', 'A result needs a text string.');
    const json = encodeValue({ ...head, totalChars: text.length }, this.maxValueDepth);
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
    if (!head) return null;
    const { text, totalChars, ...rest } = head;
    if (typeof text === 'string') return { ...rest, text }; // stored whole by an earlier version
    const whole = reply<Buffer>(replies, 1)?.toString('utf16le');
    // The text key evicted on its own (maxmemory) reads as no result.
    return whole !== undefined && whole.length === totalChars ? { ...rest, text: whole } : null;
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
    if (!head) return null;
    const { text, totalChars, ...rest } = head;
    if (typeof text === 'string') {
      const w = clampWindow(text.length, window.from, window.to);
      return { ...rest, totalChars: text.length, from: w.from, text: text.slice(w.from, w.to) };
    }
    if (typeof totalChars !== 'number' || reply<number>(replies, 1) !== 2 * totalChars) return null;
    const w = clampWindow(totalChars, window.from, window.to);
    const part = w.to > w.from ? (reply<Buffer>(replies, 2)?.toString('utf16le') ?? '') : '';
    return part.length === w.to - w.from ? { ...rest, totalChars, from: w.from, text: part } : null;
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
      return { backend: 'redis', status: 'degraded', detail: `redis ${this.redis.status}` };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.watchdog) this.watchdogClock.clearTimeout(this.watchdog);
    this.redis.disconnect(false);
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

  /** Runs one Redis step; any failure (unreachable, timeout, script error) is STATE_UNAVAILABLE. */
  private async op<T>(fn: () => Promise<T>): Promise<T> {
    this.assertOpen();
    await this.whenReady();
    try {
      return await fn();
    } catch (err) {
      if (err instanceof BrutalistError) throw err;
      throw unavailable(err);
    }
  }

  /**
   * Before the first connection, waits for it (bounded by commandTimeoutMs and MAX_READY_WAITERS);
   * after an outage has begun, fails at once so requests never pile up behind a dead Redis.
   */
  private async whenReady(): Promise<void> {
    if (this.redis.status === 'ready') return;
    if (this.everReady || this.readyWaiters >= MAX_READY_WAITERS || this.redis.status === 'end') {
      throw unavailable();
    }
    this.readyWaiters++;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = this.watchdogClock.setTimeout(() => {
          this.redis.off('ready', onReady);
          reject(unavailable());
        }, this.commandTimeoutMs);
        const onReady = () => {
          this.watchdogClock.clearTimeout(timer);
          resolve();
        };
        this.redis.once('ready', onReady);
      });
    } finally {
      this.readyWaiters--;
    }
  }

  private scheduleWatchdog(): void {
    this.watchdog = this.watchdogClock.setTimeout(() => {
      void this.checkConnection().finally(() => {
        if (!this.closed) this.scheduleWatchdog();
      });
    }, this.commandTimeoutMs);
  }

  /** Pings a ready connection and drops it when it does not answer; resets a connection stuck before ready. */
  private async checkConnection(): Promise<void> {
    if (this.closed) return;
    const status = this.redis.status;
    if (status === 'ready') {
      try {
        await this.redis.ping();
      } catch {
        if (!this.closed && this.redis.status === 'ready') {
          this.lastError = 'no answer to ping';
          this.log('brutalist-mcp: redis: no answer to ping; reconnecting');
          this.redis.disconnect(true);
        }
      }
      return;
    }
    if (status === 'connect' && this.watchdogClock.now() - this.notReadySince > 2 * this.commandTimeoutMs) {
      this.notReadySince = this.watchdogClock.now();
      this.redis.disconnect(true);
    }
  }
}

/** A result entry as this version stores it: the text lives under its text key; earlier ones kept `text` here. */
type StoredResultHead = Omit<StoredResult, 'text'> & { readonly totalChars?: number; readonly text?: string };

/** The value of reply `i` of a MULTI; a failed command inside it fails the call like any Redis error. */
function reply<T>(replies: [Error | null, unknown][] | null, i: number): T | null {
  const entry = replies?.[i];
  if (!entry) throw unavailable();
  if (entry[0]) throw unavailable(entry[0]);
  return (entry[1] ?? null) as T | null;
}

function unavailable(cause?: unknown): BrutalistError {
  return new BrutalistError('STATE_UNAVAILABLE', 'The Redis state store is unreachable.', {
    ...(cause === undefined ? {} : { cause }),
    data: { backend: 'redis' },
  });
}
