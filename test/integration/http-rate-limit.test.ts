// Rate limits: exact budgets per principal and per IP, shared by two limiters on one Redis, counted locally while
// Redis is down (and shared again once it is back), the 429 headers, the exempt paths and IPv6 bucketing.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ConfigInput, resolveConfig } from '../../src/engine/config.js';
import { isBrutalistError } from '../../src/errors/index.js';
import {
  createRateLimiter,
  ipBucketKey,
  isRateLimitExempt,
  type RateLimitDecision,
  type RateLimiter,
  rateLimitError,
  rateLimitHeaders,
} from '../../src/http/rate-limit.js';
import {
  deletePrefix,
  type PrivateRedis,
  SHARED_REDIS_URL,
  startPrivateRedis,
  uniquePrefix,
} from '../support/redis.js';

const HOUR_MS = 60 * 60 * 1000;
const open: RateLimiter[] = [];
const prefixes: Array<[string, string]> = [];

// Long command timeouts: on a loaded machine a slow answer must not look like an outage (which would split the
// counts); the outage below is a stopped server, which fails at once whatever the timeout.
function limiter(overrides: ConfigInput): RateLimiter {
  const config = resolveConfig({
    overrides: { rateLimitWindowMs: HOUR_MS, redisCommandTimeoutMs: 10_000, ...overrides },
  });
  const made = createRateLimiter(config);
  open.push(made);
  return made;
}

function sharedPrefix(label: string, url = SHARED_REDIS_URL): string {
  const prefix = uniquePrefix(label);
  prefixes.push([url, prefix]);
  return prefix;
}

/** Calls `check` n times in sequence and returns how many were allowed. */
async function allowedOf(n: number, check: () => Promise<RateLimitDecision>): Promise<number> {
  let allowed = 0;
  for (let i = 0; i < n; i++) if ((await check()).allowed) allowed++;
  return allowed;
}

afterAll(async () => {
  for (const l of open) l.close();
  for (const [url, prefix] of prefixes) await deletePrefix(url, prefix);
});

describe('in memory (no Redis)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('allows exactly the principal budget per window, then denies with the principal scope', async () => {
    const rl = limiter({ rateLimitPrincipalRequests: 5, rateLimitIpRequests: 0 });
    expect(rl.backend).toBe('memory');
    expect(await allowedOf(5, () => rl.checkRequest({ principal: 'alice' }))).toBe(5);
    const denied = await rl.checkRequest({ principal: 'alice' });
    expect(denied).toMatchObject({ allowed: false, scope: 'principal' });
    expect(await rl.checkRequest({ principal: 'bob' })).toEqual({ allowed: true });
  });

  it('charges the IP bucket for authentication failures at the configured cost', async () => {
    const rl = limiter({ rateLimitIpRequests: 10, rateLimitAuthFailureCost: 4 });
    expect((await rl.recordAuthFailure('203.0.113.7')).allowed).toBe(true); // 4
    expect((await rl.recordAuthFailure('203.0.113.7')).allowed).toBe(true); // 8
    expect(await allowedOf(3, () => rl.checkRequest({ ip: '203.0.113.7' }))).toBe(2); // 9, 10, then 11 denied
    expect(await rl.recordAuthFailure('203.0.113.7')).toMatchObject({ allowed: false, scope: 'ip' });
    expect((await rl.checkRequest({ ip: '203.0.113.8' })).allowed).toBe(true);
  });

  it('denies when either bucket is spent and reports the one with the longer wait', async () => {
    const rl = limiter({ rateLimitPrincipalRequests: 100, rateLimitIpRequests: 2 });
    expect(await allowedOf(2, () => rl.checkRequest({ principal: 'carol', ip: '198.51.100.1' }))).toBe(2);
    expect(await rl.checkRequest({ principal: 'carol', ip: '198.51.100.1' })).toMatchObject({
      allowed: false,
      scope: 'ip',
    });
    // The principal still has budget from another address.
    expect((await rl.checkRequest({ principal: 'carol', ip: '198.51.100.2' })).allowed).toBe(true);
  });

  it('gives a fresh budget after the window, with Retry-After the rest of the window', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    const rl = limiter({ rateLimitPrincipalRequests: 1, rateLimitWindowMs: 10_000 });
    expect((await rl.checkRequest({ principal: 'dave' })).allowed).toBe(true);
    vi.advanceTimersByTime(2_500);
    const denied = await rl.checkRequest({ principal: 'dave' });
    expect(denied).toEqual({ allowed: false, scope: 'principal', retryAfterMs: 7_500 });
    expect(rateLimitHeaders(denied)).toEqual({ 'Retry-After': '8' });
    vi.advanceTimersByTime(7_500);
    expect((await rl.checkRequest({ principal: 'dave' })).allowed).toBe(true);
  });

  it('remembers a spent IP budget until its window ends, answered without an await', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    const rl = limiter({ rateLimitIpRequests: 1, rateLimitWindowMs: 10_000 });
    expect(rl.blockedIp('192.0.2.9')).toBeNull();
    expect((await rl.checkRequest({ ip: '192.0.2.9' })).allowed).toBe(true);
    expect(rl.blockedIp('192.0.2.9')).toBeNull(); // spent only once a request is refused
    vi.advanceTimersByTime(4_000);
    expect((await rl.checkRequest({ ip: '192.0.2.9' })).allowed).toBe(false);
    vi.advanceTimersByTime(1_000);
    expect(rl.blockedIp('::ffff:192.0.2.9')).toEqual({ allowed: false, scope: 'ip', retryAfterMs: 5_000 });
    vi.advanceTimersByTime(5_000);
    expect(rl.blockedIp('192.0.2.9')).toBeNull();
    expect((await rl.checkRequest({ ip: '192.0.2.9' })).allowed).toBe(true);
  });

  it('remembers at most rateLimitBlockedEntries spent budgets, forgetting the oldest', async () => {
    const rl = limiter({ rateLimitIpRequests: 1, rateLimitBlockedEntries: 2 });
    for (const ip of ['192.0.2.1', '192.0.2.2', '192.0.2.3']) {
      await rl.checkRequest({ ip });
      expect((await rl.checkRequest({ ip })).allowed).toBe(false);
    }
    expect(rl.blockedIp('192.0.2.1')).toBeNull();
    expect(rl.blockedIp('192.0.2.2')?.allowed).toBe(false);
    expect(rl.blockedIp('192.0.2.3')?.allowed).toBe(false);
    // Forgotten is not forgiven: the store still refuses it (and it is remembered again).
    expect((await rl.checkRequest({ ip: '192.0.2.1' })).allowed).toBe(false);
  });

  it('never limits when both budgets are 0', async () => {
    const rl = limiter({ rateLimitPrincipalRequests: 0, rateLimitIpRequests: 0 });
    expect(await allowedOf(50, () => rl.checkRequest({ principal: 'p', ip: '192.0.2.1' }))).toBe(50);
    expect((await rl.recordAuthFailure('192.0.2.1')).allowed).toBe(true);
  });
});

describe('configuration', () => {
  it('takes the window in whole seconds and names the option otherwise', () => {
    expect(resolveConfig({ env: { BRUTALIST_RATE_LIMIT_WINDOW_MS: '2000' } }).rateLimitWindowMs).toBe(2000);
    expect(() => resolveConfig({ overrides: { rateLimitWindowMs: 1500 } })).toThrow(
      'rateLimitWindowMs must be a multiple of 1000 between 1000 and 86400000, got 1500 (number)',
    );
  });
});

describe('429 answer and exempt paths', () => {
  it('rounds Retry-After up to whole seconds, at least 1', () => {
    const deny = (retryAfterMs: number) => ({ allowed: false as const, scope: 'ip' as const, retryAfterMs });
    expect(rateLimitHeaders(deny(1))).toEqual({ 'Retry-After': '1' });
    expect(rateLimitHeaders(deny(1_000))).toEqual({ 'Retry-After': '1' });
    expect(rateLimitHeaders(deny(1_001))).toEqual({ 'Retry-After': '2' });
    expect(rateLimitHeaders({ allowed: true })).toEqual({});
  });

  it('turns a denial into TOO_MANY_REQUESTS with the scope and the wait', () => {
    expect(rateLimitError({ allowed: true })).toBeNull();
    const err = rateLimitError({ allowed: false, scope: 'principal', retryAfterMs: 1234 });
    expect(isBrutalistError(err)).toBe(true);
    expect(err?.toJSON()).toMatchObject({
      code: 'TOO_MANY_REQUESTS',
      retryable: true,
      data: { scope: 'principal', retryAfterMs: 1234 },
    });
  });

  it('exempts exactly the health endpoints', () => {
    expect(isRateLimitExempt('/healthz')).toBe(true);
    expect(isRateLimitExempt('/readyz')).toBe(true);
    expect(isRateLimitExempt('/mcp')).toBe(false);
    expect(isRateLimitExempt('/healthz/../mcp')).toBe(false);
  });
});

describe('IP buckets', () => {
  it('counts IPv4 and IPv4-mapped IPv6 as the same address', () => {
    expect(ipBucketKey('::ffff:192.0.2.5', 64)).toBe('192.0.2.5');
    expect(ipBucketKey('192.0.2.5', 64)).toBe('192.0.2.5');
  });

  it('groups IPv6 addresses by the configured prefix', () => {
    const a = ipBucketKey('2001:db8:1:2:aaaa::1', 64);
    expect(a).toBe('2001:db8:1:2:0:0:0:0/64');
    expect(ipBucketKey('2001:db8:1:2:ffff:ffff:ffff:ffff', 64)).toBe(a);
    expect(ipBucketKey('2001:db8:1:3::1', 64)).not.toBe(a);
    expect(ipBucketKey('2001:db8:1:2:aaaa::1', 56)).toBe('2001:db8:1:0:0:0:0:0/56');
    expect(ipBucketKey('fe80::1%eth0', 128)).toBe('fe80:0:0:0:0:0:0:1/128');
    expect(ipBucketKey('64:ff9b::192.0.2.33', 128)).toBe('64:ff9b:0:0:0:0:c000:221/128');
  });

  it('hashes anything that is not an address instead of keying on its raw text', () => {
    const key = ipBucketKey('not an ip\n', 64);
    expect(key).toMatch(/^other:[0-9a-f]{32}$/);
  });

  it('makes the limiter share one budget across a /64', async () => {
    const rl = limiter({ rateLimitIpRequests: 2, rateLimitPrincipalRequests: 0 });
    expect((await rl.checkRequest({ ip: '2001:db8::1' })).allowed).toBe(true);
    expect((await rl.checkRequest({ ip: '2001:db8::2' })).allowed).toBe(true);
    expect((await rl.checkRequest({ ip: '2001:db8::3' })).allowed).toBe(false);
  });
});

describe('shared through Redis', () => {
  /** Two limiters (two instances) on the shared Redis under one fresh prefix. */
  const twoInstances = (label: string, overrides: ConfigInput) => {
    const config = { redisUrl: SHARED_REDIS_URL, redisKeyPrefix: sharedPrefix(label), ...overrides };
    return [limiter(config), limiter(config)] as const;
  };

  it('counts exactly across two instances on one Redis', async () => {
    const [a, b] = twoInstances('rl-two', { rateLimitPrincipalRequests: 7, rateLimitIpRequests: 0 });
    expect(a.backend).toBe('redis');
    // Interleaved and concurrent: 4 from each, 8 in all, exactly 7 allowed.
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? a : b).checkRequest({ principal: 'erin' })),
    );
    expect(results.filter((r) => r.allowed)).toHaveLength(7);
    const denied = results.find((r) => !r.allowed);
    expect(denied).toMatchObject({ allowed: false, scope: 'principal' });
    // The window is the key's TTL on the server: the wait is within it.
    expect(denied && !denied.allowed && denied.retryAfterMs).toBeLessThanOrEqual(HOUR_MS);
    expect((await b.checkRequest({ principal: 'frank' })).allowed).toBe(true);
  });

  it('shares the auth-failure charge on the IP bucket across instances', async () => {
    const [a, b] = twoInstances('rl-auth', { rateLimitIpRequests: 10, rateLimitAuthFailureCost: 5 });
    expect((await a.recordAuthFailure('198.51.100.9')).allowed).toBe(true);
    expect((await b.recordAuthFailure('198.51.100.9')).allowed).toBe(true);
    expect(await a.checkRequest({ ip: '198.51.100.9' })).toMatchObject({ allowed: false, scope: 'ip' });
  });

  it('keeps deployments with different key prefixes apart', async () => {
    const one = limiter({
      redisUrl: SHARED_REDIS_URL,
      redisKeyPrefix: sharedPrefix('rl-one'),
      rateLimitPrincipalRequests: 1,
    });
    const two = limiter({
      redisUrl: SHARED_REDIS_URL,
      redisKeyPrefix: sharedPrefix('rl-other'),
      rateLimitPrincipalRequests: 1,
    });
    expect((await one.checkRequest({ principal: 'gina' })).allowed).toBe(true);
    expect((await two.checkRequest({ principal: 'gina' })).allowed).toBe(true);
  });
});

describe('while Redis is down', () => {
  let server: PrivateRedis;
  beforeAll(async () => {
    server = await startPrivateRedis();
  });
  afterAll(async () => {
    await server?.cleanup();
  });

  it('counts in each instance alone (budget × instances at worst) and shares again once Redis is back', async () => {
    const lines: string[] = [];
    const config = resolveConfig({
      overrides: {
        redisUrl: server.url,
        redisKeyPrefix: uniquePrefix('rl-outage'),
        redisCommandTimeoutMs: 10_000,
        rateLimitWindowMs: HOUR_MS,
        rateLimitPrincipalRequests: 3,
        rateLimitIpRequests: 0,
      },
    });
    const a = createRateLimiter(config, { log: (line) => lines.push(line) });
    const b = createRateLimiter(config);
    open.push(a, b);
    expect(await allowedOf(2, () => a.checkRequest({ principal: 'hal' }))).toBe(2);
    expect(await allowedOf(2, () => b.checkRequest({ principal: 'hal' }))).toBe(1); // shared: 3 in all

    await server.stop();
    // a counts alone from a fresh in-memory budget of 3; b saw the shared budget spent and remembers it until the
    // window ends (a spent fixed window stays spent), so it refuses without asking anyone.
    expect(await allowedOf(4, () => a.checkRequest({ principal: 'hal' }))).toBe(3);
    expect(await allowedOf(4, () => b.checkRequest({ principal: 'hal' }))).toBe(0);
    expect(b.blockedIp('203.0.113.1')).toBeNull();
    expect(lines.some((l) => l.includes('counting in this instance'))).toBe(true);

    await server.start();
    let probe = 0;
    await vi.waitFor(
      async () => {
        // A fresh principal per probe, so the probes never spend a budget themselves.
        expect(await a.checkRequest({ principal: `probe-${probe++}` })).toEqual({ allowed: true });
        expect(lines.some((l) => l.includes('counts shared again'))).toBe(true);
      },
      { timeout: 10_000, interval: 50 },
    );
    // The shared count survived (AOF) and is spent: denied through Redis again, on both instances.
    expect(await a.checkRequest({ principal: 'hal' })).toMatchObject({ allowed: false, scope: 'principal' });
    expect(await b.checkRequest({ principal: 'hal' })).toMatchObject({ allowed: false, scope: 'principal' });
  });
});
