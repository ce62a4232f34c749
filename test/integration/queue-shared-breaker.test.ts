// The fleet's circuit breakers in Redis: one state per critic seen by every worker, moved by compare-and-set.
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Config, resolveConfig } from '../../src/engine/config.js';
import { isBrutalistError } from '../../src/errors/index.js';
import { ManualClock } from '../../src/infra/index.js';
import { openQueues, openRedis, runScript, waitingDepth } from '../../src/queue/connections.js';
import { SharedBreakers } from '../../src/queue/shared-breaker.js';
import {
  deletePrefix,
  type PrivateRedis,
  SHARED_REDIS_URL,
  startPrivateRedis,
  uniquePrefix,
} from '../support/redis.js';

const RECOVERY_MS = 1_000;

function breakerConfig(prefix: string): Config {
  const config = resolveConfig({
    overrides: {
      queueKeyPrefix: prefix,
      breakerWindowSize: 4,
      breakerMinimumCalls: 2,
      breakerFailureRatePct: 50,
      breakerRecoveryTimeoutMs: RECOVERY_MS,
      breakerHalfOpenMaxCalls: 1,
    },
  });
  // The keys must be under the test's own prefix: never the shared Redis' default one.
  if (!config.queueKeyPrefix.startsWith('brutalist-test:'))
    throw new Error('test config lost its key prefix');
  return config;
}

async function fail(breakers: SharedBreakers, clock: ManualClock): Promise<void> {
  const ticket = await breakers.acquire('codex', clock.now() + 60_000);
  await breakers.release('codex', ticket, 'CLI_FAILED', false, 10);
}

async function refusal(promise: Promise<unknown>): Promise<{ code: string; data: unknown; message: string }> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isBrutalistError(err)) throw new Error(`expected a BrutalistError, got ${String(err)}`);
  return { code: err.code, data: err.data, message: err.message };
}

describe('SharedBreakers (shared Redis, own key prefix)', () => {
  let prefix: string;
  let redisA: Redis;
  let redisB: Redis;
  let clock: ManualClock;
  let workerA: SharedBreakers;
  let workerB: SharedBreakers;

  beforeEach(() => {
    prefix = uniquePrefix('shared-breaker');
    redisA = openRedis(SHARED_REDIS_URL);
    redisB = openRedis(SHARED_REDIS_URL);
    clock = new ManualClock();
    const config = breakerConfig(prefix);
    workerA = new SharedBreakers(redisA, config, clock);
    workerB = new SharedBreakers(redisB, config, clock);
  });
  afterEach(async () => {
    redisA.disconnect();
    redisB.disconnect();
    await deletePrefix(SHARED_REDIS_URL, prefix);
  });

  it('opens for every worker when one worker sees the critic fail, with the fleet retry time', async () => {
    await fail(workerA, clock);
    await fail(workerA, clock);
    expect((await workerB.state('codex')).kind).toBe('open');
    const refused = await refusal(workerB.acquire('codex', clock.now() + 60_000));
    expect(refused.code).toBe('CIRCUIT_OPEN');
    expect(refused.data).toEqual({ critics: ['codex'], retryAfterMs: RECOVERY_MS });
    expect(refused.message).toContain('retry in 1 s');
    // Other critics keep their own breaker.
    await expect(workerB.acquire('claude', clock.now() + 60_000)).resolves.toBeDefined();
  });

  it('lets exactly one probe through fleet-wide once the recovery time has passed, and closes on its success', async () => {
    await fail(workerA, clock);
    await fail(workerA, clock);
    clock.advance(RECOVERY_MS);
    const probe = await workerB.acquire('codex', clock.now() + 60_000);
    // workerA still guesses "open" from its last write: its CAS misses, reads half-open, and is refused.
    expect((await refusal(workerA.acquire('codex', clock.now() + 60_000))).code).toBe('CIRCUIT_OPEN');
    await workerB.release('codex', probe, undefined, false, 10);
    expect((await workerA.state('codex')).kind).toBe('closed');
    await expect(workerA.acquire('codex', clock.now() + 60_000)).resolves.toBeDefined();
  });

  it('does not count a client cancellation or a non-vendor error against the critic', async () => {
    for (const [code, cancelled] of [
      ['CLI_FAILED', true],
      ['INVALID_ARGUMENT', false],
      ['CLI_TIMEOUT', true],
    ] as const) {
      const ticket = await workerA.acquire('codex', clock.now() + 60_000);
      await workerA.release('codex', ticket, code, cancelled, 10);
    }
    expect((await workerB.state('codex')).kind).toBe('closed');
  });

  it('reads a corrupted or foreign stored state as a fresh breaker rather than failing the run', async () => {
    const key = `${prefix}:breaker:gemini`;
    for (const junk of ['not json', '{"kind":"bogus"}', '42']) {
      await redisA.set(key, junk);
      expect((await workerB.state('gemini')).kind).toBe('closed');
      await expect(workerB.acquire('gemini', clock.now() + 60_000)).resolves.toBeDefined();
    }
  });

  it('keeps a separate breaker for a routed critic route key', async () => {
    const route = 'claude@https://gateway.example/v1';
    const ticket = await workerA.acquire(route, clock.now() + 60_000);
    await workerA.release(route, ticket, 'CLI_FAILED', false, 10);
    const again = await workerA.acquire(route, clock.now() + 60_000);
    await workerA.release(route, again, 'CLI_FAILED', false, 10);
    expect((await workerB.state(route)).kind).toBe('open');
    expect((await workerB.state('claude')).kind).toBe('closed');
  });
});

describe('waitingDepth', () => {
  it('counts waiting, prioritized and delayed jobs over every critic queue, not active ones', async () => {
    const prefix = uniquePrefix('depth');
    const redis = openRedis(SHARED_REDIS_URL);
    const queues = openQueues({ redisUrl: SHARED_REDIS_URL, queueKeyPrefix: prefix }, redis);
    try {
      expect(await waitingDepth(redis, queues)).toBe(0);
      await queues.claude.add('run', { n: 1 });
      await queues.codex.add('run', { n: 2 }, { priority: 3 });
      await queues.gemini.add('run', { n: 3 }, { delay: 60_000 });
      expect(await waitingDepth(redis, queues)).toBe(3);
    } finally {
      await Promise.all(Object.values(queues).map((q) => q.close()));
      redis.disconnect();
      await deletePrefix(SHARED_REDIS_URL, prefix);
    }
  });
});

describe('runScript (private redis-server)', () => {
  let server: PrivateRedis;
  beforeAll(async () => {
    server = await startPrivateRedis();
  });
  afterAll(async () => {
    await server.cleanup();
  });

  it('loads the script again after the server forgot it (SCRIPT FLUSH or a restart)', async () => {
    const redis = openRedis(server.url);
    try {
      const script = "return redis.call('INCR', KEYS[1])";
      expect(await runScript(redis, script, ['n'], [])).toBe(1);
      await redis.script('FLUSH');
      expect(await runScript(redis, script, ['n'], [])).toBe(2);
    } finally {
      redis.disconnect();
    }
  });

  it('passes a script error through unchanged rather than retrying it as a missing script', async () => {
    const redis = openRedis(server.url);
    try {
      await expect(runScript(redis, "return redis.call('NOSUCHCOMMAND')", [], [])).rejects.toThrow(
        /Unknown Redis command|unknown command/i,
      );
    } finally {
      redis.disconnect();
    }
  });

  it('fails a command after commandTimeoutMs while the server is down, instead of waiting for the reconnect', async () => {
    const redis = openRedis(server.url, 200);
    try {
      expect(await redis.ping()).toBe('PONG');
      await server.stop(true);
      await expect(redis.get('k')).rejects.toThrow(/timed out/i);
    } finally {
      redis.disconnect();
      await server.start();
    }
  });
});
