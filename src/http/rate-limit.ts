/**
 * Request budgets per principal and per client IP (the IP budget also pays for authentication failures), shared by
 * every instance through Redis when one is configured, and counted in this process's memory while Redis is down.
 */
import { isIP } from 'node:net';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../config/index.js';
import { BrutalistError } from '../errors/index.js';
import { sha256Hex, systemClock } from '../infra/index.js';
import { RedisConnection } from '../state/redis-connection.js';

export type RateLimitConfig = Pick<
  Config,
  | 'rateLimitWindowMs'
  | 'rateLimitPrincipalRequests'
  | 'rateLimitIpRequests'
  | 'rateLimitAuthFailureCost'
  | 'rateLimitIpv6PrefixBits'
  | 'rateLimitBlockedEntries'
  | 'redisUrl'
  | 'redisKeyPrefix'
  | 'redisCommandTimeoutMs'
>;

export type RateLimitScope = 'principal' | 'ip';

export type RateLimitDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly retryAfterMs: number; readonly scope: RateLimitScope };

export interface RateLimitSubject {
  /** The authenticated principal (API key name or JWT subject); absent before authentication. */
  readonly principal?: string;
  /** The client's address as the socket reports it (IPv4, IPv6 or IPv4-mapped IPv6). */
  readonly ip?: string;
}

export interface RateLimiter {
  /** Where the counts live: `redis` (shared, falling back to this process while Redis is down) or `memory`. */
  readonly backend: 'redis' | 'memory';
  /** Takes one point from each bucket named in `subject`; denied when any of them is spent. */
  checkRequest(subject: RateLimitSubject): Promise<RateLimitDecision>;
  /**
   * The denial of `ip` if its budget is already known spent in this process (no store call, no await), else null:
   * lets the pipeline refuse a flooding address before it reads anything more of the request.
   */
  blockedIp(ip: string): RateLimitDecision | null;
  /** Takes rateLimitAuthFailureCost points from the IP's bucket; denied once it is spent. */
  recordAuthFailure(ip: string): Promise<RateLimitDecision>;
  /** Closes the Redis connection this limiter opened (one passed in stays open). */
  close(): void;
}

export interface RateLimiterOptions {
  /** An ioredis client to share (the caller keeps it); without one, a connection is opened when redisUrl is set. */
  readonly redis?: Redis;
  /** Where connection trouble is reported (default: nowhere). */
  readonly log?: (line: string) => void;
}

/** Paths never rate limited: probes must see a live server even while it turns clients away. */
export const RATE_LIMIT_EXEMPT_PATHS: readonly string[] = Object.freeze(['/healthz', '/readyz']);

/** Whether a request to `pathname` (no query string) skips the rate limits. */
export function isRateLimitExempt(pathname: string): boolean {
  return RATE_LIMIT_EXEMPT_PATHS.includes(pathname);
}

const ALLOWED: RateLimitDecision = Object.freeze({ allowed: true });

/** The headers of a 429 answer: Retry-After in whole seconds, rounded up (at least 1). */
export function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  if (decision.allowed) return {};
  return { 'Retry-After': String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000))) };
}

/** The typed error of a denied request (TOO_MANY_REQUESTS naming the spent bucket and the wait), null if allowed. */
export function rateLimitError(decision: RateLimitDecision): BrutalistError | null {
  if (decision.allowed) return null;
  return new BrutalistError('TOO_MANY_REQUESTS', undefined, {
    data: { scope: decision.scope, retryAfterMs: decision.retryAfterMs },
  });
}

/** One budget: counted in Redis when there is one, in this process's memory while Redis fails (or without it). */
interface Bucket {
  readonly scope: RateLimitScope;
  readonly shared: RateLimiterRedis | undefined;
  readonly local: RateLimiterMemory;
  /** Keys whose budget is spent, until when (ms): refused locally without a store call. */
  readonly blocked: SpentBudgets;
}

/**
 * Budgets known spent, each until its window ends, at most `maxEntries` (the oldest forgotten first). Exact, not
 * an estimate: in a fixed window a spent budget stays spent until the window's end, which is what the store said.
 */
class SpentBudgets {
  private readonly until = new Map<string, number>();

  constructor(private readonly maxEntries: number) {}

  remember(key: string, nowMs: number, retryAfterMs: number): void {
    if (this.maxEntries === 0) return;
    this.until.delete(key);
    if (this.until.size >= this.maxEntries) {
      const oldest = this.until.keys().next().value;
      if (oldest !== undefined) this.until.delete(oldest);
    }
    this.until.set(key, nowMs + retryAfterMs);
  }

  /** Milliseconds until `key`'s budget returns, 0 when it is not known spent. */
  remainingMs(key: string, nowMs: number): number {
    const until = this.until.get(key);
    if (until === undefined) return 0;
    if (until > nowMs) return until - nowMs;
    this.until.delete(key);
    return 0;
  }
}

/**
 * A limiter over `config`'s budgets. With Redis the counts are shared by every instance using the same
 * redisKeyPrefix; while Redis is unreachable each instance counts alone in memory (the role of
 * rate-limiter-flexible's insurance limiter, done here so the switch is seen and logged), so the worst case during
 * an outage is the budget times the number of instances.
 */
export function createRateLimiter(config: RateLimitConfig, options: RateLimiterOptions = {}): RateLimiter {
  const log = options.log ?? (() => {});
  let owned: RedisConnection | undefined;
  let redis = options.redis;
  if (!redis && config.redisUrl !== '') {
    owned = new RedisConnection({
      url: config.redisUrl,
      commandTimeoutMs: config.redisCommandTimeoutMs,
      clock: systemClock,
      log,
    });
    redis = owned.redis;
  }
  const make = (scope: RateLimitScope, points: number): Bucket | undefined => {
    if (points === 0) return undefined;
    const keyPrefix = `${config.redisKeyPrefix}ratelimit:${scope}`;
    const duration = config.rateLimitWindowMs / 1000;
    const local = new RateLimiterMemory({ keyPrefix, points, duration });
    const blocked = new SpentBudgets(config.rateLimitBlockedEntries);
    // Not connected: fail at once (then count locally), never wait behind a dead socket.
    const shared = redis
      ? new RateLimiterRedis({ storeClient: redis, keyPrefix, points, duration, rejectIfRedisNotReady: true })
      : undefined;
    return { scope, shared, local, blocked };
  };
  // Until the first connection, checks wait for it (at most redisCommandTimeoutMs) instead of falling back.
  const connected = redis ? firstReady(redis, config.redisCommandTimeoutMs) : Promise.resolve();
  const principals = make('principal', config.rateLimitPrincipalRequests);
  const ips = make('ip', config.rateLimitIpRequests);
  const ipKey = (ip: string) => ipBucketKey(ip, config.rateLimitIpv6PrefixBits);
  let fallingBack = false;
  const noteShared = (ok: boolean) => {
    if (!ok && !fallingBack) log('brutalist-mcp: rate limits: Redis unreachable; counting in this instance');
    if (ok && fallingBack) log('brutalist-mcp: rate limits: Redis back; counts shared again');
    fallingBack = !ok;
  };
  const knownSpent = (bucket: Bucket, key: string): RateLimitDecision | null => {
    const retryAfterMs = bucket.blocked.remainingMs(key, systemClock.now());
    return retryAfterMs > 0 ? { allowed: false, retryAfterMs, scope: bucket.scope } : null;
  };
  const ask = async (bucket: Bucket, key: string, points: number): Promise<RateLimitDecision> => {
    if (bucket.shared) {
      const shared = await consume(bucket.shared, key, points, bucket.scope);
      noteShared(shared !== 'failed');
      if (shared !== 'failed') return shared;
    }
    const local = await consume(bucket.local, key, points, bucket.scope);
    if (local === 'failed') throw new BrutalistError('INTERNAL_ERROR', 'The rate limiter failed.');
    return local;
  };
  const take = async (bucket: Bucket, key: string, points: number): Promise<RateLimitDecision> => {
    const spent = knownSpent(bucket, key);
    if (spent) return spent;
    const decision = await ask(bucket, key, points);
    if (!decision.allowed) bucket.blocked.remember(key, systemClock.now(), decision.retryAfterMs);
    return decision;
  };

  return {
    backend: redis ? 'redis' : 'memory',
    async checkRequest(subject) {
      await connected;
      const checks: Promise<RateLimitDecision>[] = [];
      if (ips && subject.ip !== undefined) checks.push(take(ips, ipKey(subject.ip), 1));
      if (principals && subject.principal !== undefined) checks.push(take(principals, subject.principal, 1));
      return strictest(await Promise.all(checks));
    },
    blockedIp(ip) {
      return ips ? knownSpent(ips, ipKey(ip)) : null;
    },
    async recordAuthFailure(ip) {
      await connected;
      if (!ips) return ALLOWED;
      return take(ips, ipKey(ip), config.rateLimitAuthFailureCost);
    },
    close() {
      owned?.close();
    },
  };
}

/** Resolves once `redis` is ready, or after `timeoutMs` (then the limiter falls back until it connects). */
function firstReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      systemClock.clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    };
    const timer = systemClock.setTimeout(done, timeoutMs);
    redis.once('ready', done);
  });
}

/** The decision of one consume, or `failed` when the store could not answer (Redis down, timeout). */
async function consume(
  limiter: RateLimiterMemory | RateLimiterRedis,
  key: string,
  points: number,
  scope: RateLimitScope,
): Promise<RateLimitDecision | 'failed'> {
  try {
    await limiter.consume(key, points);
    return ALLOWED;
  } catch (err) {
    // The library rejects with its result object when the budget is spent; anything else is a store failure.
    if (err instanceof RateLimiterRes) {
      return { allowed: false, retryAfterMs: Math.max(1, err.msBeforeNext), scope };
    }
    return 'failed';
  }
}

/** The denial with the longest wait, or allowed when nothing was denied. */
function strictest(decisions: readonly RateLimitDecision[]): RateLimitDecision {
  let worst: RateLimitDecision = ALLOWED;
  for (const d of decisions) {
    if (!d.allowed && (worst.allowed || d.retryAfterMs > worst.retryAfterMs)) worst = d;
  }
  return worst;
}

const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;
const EMBEDDED_IPV4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * The bucket an address counts in: IPv4 (also when IPv4-mapped) as itself, IPv6 by its first `v6PrefixBits` bits
 * (one host usually holds a whole /64), anything else by a hash of its text.
 */
export function ipBucketKey(ip: string, v6PrefixBits: number): string {
  const mapped = IPV4_MAPPED.exec(ip);
  if (mapped?.[1] !== undefined && isIP(mapped[1]) === 4) return mapped[1];
  if (isIP(ip) === 4) return ip;
  const text = ip.split('%')[0] ?? '';
  if (isIP(text) !== 6) return `other:${sha256Hex(ip).slice(0, 32)}`;
  const groups = ipv6Groups(text);
  let bits = v6PrefixBits;
  const masked = groups.map((group) => {
    const keep = Math.max(0, Math.min(16, bits));
    bits -= 16;
    return keep === 0 ? 0 : group & (0xffff << (16 - keep)) & 0xffff;
  });
  return `${masked.map((g) => g.toString(16)).join(':')}/${v6PrefixBits}`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a dotted IPv4 tail folded in). */
function ipv6Groups(address: string): number[] {
  let text = address;
  const v4 = EMBEDDED_IPV4.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail = ''] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  const fill = text.includes('::') ? 8 - headGroups.length - tailGroups.length : 0;
  return [...headGroups, ...Array<string>(fill).fill('0'), ...tailGroups].map((g) => Number.parseInt(g, 16));
}
