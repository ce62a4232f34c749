/** The Redis store's connection: no offline queue, bounded waits for the first connection, a ping watchdog. */
import { Redis } from 'ioredis';
import { BrutalistError } from '../errors/index.js';
import type { Clock, TimerHandle } from '../infra/index.js';
import * as lua from './redis-scripts.js';

/** Callers that may wait for the first connection at once; more fail at once (no unbounded queue). */
export const MAX_READY_WAITERS = 1_024;
/** Longest pause between reconnect attempts, so service resumes within about this long after Redis returns. */
export const MAX_RECONNECT_DELAY_MS = 1_000;

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

export type Scripts = Record<keyof typeof SCRIPTS, Script>;

export interface RedisConnectionOptions {
  readonly url: string;
  /** Longest wait for one command, and for the first connection; also the watchdog's ping interval. */
  readonly commandTimeoutMs: number;
  /** Clock of the watchdog and of the wait for the first connection (a real socket: the real clock). */
  readonly clock: Clock;
  readonly log: (line: string) => void;
}

/**
 * Commands never queue while disconnected (enableOfflineQueue off, no per-request retries): during an outage
 * every call fails at once with STATE_UNAVAILABLE, memory stays flat, and the client reconnects by itself (at
 * most MAX_RECONNECT_DELAY_MS between attempts). A watchdog pings once per commandTimeoutMs and drops a
 * connection that stopped answering, so a silent network (packets dropped) is noticed too.
 */
export class RedisConnection {
  readonly redis: Redis;
  readonly scripts: Scripts;
  private readonly commandTimeoutMs: number;
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private watchdog: TimerHandle | undefined;
  private closed = false;
  private everReady = false;
  private notReadySince: number;
  private readyWaiters = 0;
  private lastError = '';

  constructor(options: RedisConnectionOptions) {
    this.commandTimeoutMs = options.commandTimeoutMs;
    this.clock = options.clock;
    this.log = options.log;
    this.notReadySince = this.clock.now();
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
      this.notReadySince = this.clock.now();
    });
    const scripts: Partial<Scripts> = {};
    for (const [name, [source, numberOfKeys]] of Object.entries(SCRIPTS)) {
      this.redis.defineCommand(`brutalist_${name}`, { lua: source, numberOfKeys });
      // defineCommand adds the method at run time, so its type is not known to ioredis's typings.
      const command: unknown = Reflect.get(this.redis, `brutalist_${name}`);
      if (typeof command !== 'function') throw new Error(`ioredis did not define the ${name} script`);
      scripts[name as keyof typeof SCRIPTS] = (...args) => Promise.resolve(command.apply(this.redis, args));
    }
    this.scripts = scripts as Scripts;
    this.scheduleWatchdog();
  }

  /** The client's state (`ready`, `connect`, `reconnecting`, `end`...), for health details. */
  get status(): string {
    return this.redis.status;
  }

  /** Runs one Redis step; any failure (unreachable, timeout, script error) is STATE_UNAVAILABLE. */
  async op<T>(fn: () => Promise<T>): Promise<T> {
    await this.whenReady();
    try {
      return await fn();
    } catch (err) {
      if (err instanceof BrutalistError) throw err;
      throw unavailable(err);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.watchdog) this.clock.clearTimeout(this.watchdog);
    this.redis.disconnect(false);
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
        const timer = this.clock.setTimeout(() => {
          this.redis.off('ready', onReady);
          reject(unavailable());
        }, this.commandTimeoutMs);
        const onReady = () => {
          this.clock.clearTimeout(timer);
          resolve();
        };
        this.redis.once('ready', onReady);
      });
    } finally {
      this.readyWaiters--;
    }
  }

  private scheduleWatchdog(): void {
    this.watchdog = this.clock.setTimeout(() => {
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
    if (status === 'connect' && this.clock.now() - this.notReadySince > 2 * this.commandTimeoutMs) {
      this.notReadySince = this.clock.now();
      this.redis.disconnect(true);
    }
  }
}

/** The value of reply `i` of a MULTI; a failed command inside it fails the call like any Redis error. */
export function reply<T>(replies: [Error | null, unknown][] | null, i: number): T | null {
  const entry = replies?.[i];
  if (!entry) throw unavailable();
  if (entry[0]) throw unavailable(entry[0]);
  return (entry[1] ?? null) as T | null;
}

export function unavailable(cause?: unknown): BrutalistError {
  return new BrutalistError('STATE_UNAVAILABLE', 'The Redis state store is unreachable.', {
    ...(cause === undefined ? {} : { cause }),
    data: { backend: 'redis' },
  });
}
