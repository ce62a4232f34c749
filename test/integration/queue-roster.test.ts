// The worker roster in Redis and the front's availability from it: live heartbeats only, bad entries ignored.
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/engine/config.js';
import { ManualClock } from '../../src/infra/index.js';
import { openRedis } from '../../src/queue/connections.js';
import { beat, FleetAvailability, leave, liveWorkers, type WorkerHeartbeat } from '../../src/queue/roster.js';
import { deletePrefix, SHARED_REDIS_URL, startPrivateRedis, uniquePrefix } from '../support/redis.js';

const heartbeat = (id: string, critics: WorkerHeartbeat['critics']): WorkerHeartbeat => ({
  id,
  host: 'test-host',
  pid: 1,
  version: '0.0.0',
  concurrency: 2,
  critics,
});

describe('worker roster (shared Redis, own key prefix)', () => {
  let prefix: string;
  let redis: Redis;
  beforeEach(() => {
    prefix = uniquePrefix('roster').replace(/:$/, '');
    redis = openRedis(SHARED_REDIS_URL);
  });
  afterEach(async () => {
    redis.disconnect();
    await deletePrefix(SHARED_REDIS_URL, prefix);
  });

  it('lists the workers that beat, and drops one that left or whose heartbeat expired', async () => {
    await beat(redis, prefix, heartbeat('a', [{ critic: 'claude', version: '2.0.0' }]), 60_000);
    await beat(redis, prefix, heartbeat('b', [{ critic: 'codex' }]), 60_000);
    await beat(redis, prefix, heartbeat('c', [{ critic: 'gemini' }]), 60_000);
    await leave(redis, prefix, 'b');
    await redis.del(`${prefix}:worker:c`); // what an expired key looks like
    expect((await liveWorkers(redis, prefix)).map((w) => w.id)).toEqual(['a']);
    // The expired id was taken out of the set, not only skipped.
    expect(await redis.smembers(`${prefix}:workers`)).toEqual(['a']);
  });

  it('skips a heartbeat that is not valid JSON or not a heartbeat, without failing the listing', async () => {
    await beat(redis, prefix, heartbeat('good', [{ critic: 'claude' }]), 60_000);
    await redis.sadd(`${prefix}:workers`, 'junk', 'alien');
    await redis.set(`${prefix}:worker:junk`, '{not json', 'PX', 60_000);
    await redis.set(
      `${prefix}:worker:alien`,
      JSON.stringify({ id: 'alien', critics: [{ critic: 'vim' }] }),
      'PX',
      60_000,
    );
    expect((await liveWorkers(redis, prefix)).map((w) => w.id)).toEqual(['good']);
  });

  it('reports a critic available when some live worker runs it, with the workers counted and a version', async () => {
    await beat(redis, prefix, heartbeat('a', [{ critic: 'claude' }]), 60_000);
    await beat(redis, prefix, heartbeat('b', [{ critic: 'claude', version: '2.1.0' }]), 60_000);
    const config = resolveConfig({ overrides: { queueKeyPrefix: prefix } });
    const fleet = new FleetAvailability(config, new ManualClock(), redis);
    expect(await fleet.check('claude')).toMatchObject({
      available: true,
      version: '2.1.0',
      note: 'queue: 2 worker(s) can run it',
    });
    expect(await fleet.check('codex')).toMatchObject({ available: false, error: 'CLI_NOT_FOUND' });
  });
});

describe('FleetAvailability with Redis down (private redis-server)', () => {
  it('reports every critic unavailable rather than failing the status call', async () => {
    const server = await startPrivateRedis();
    const redis = openRedis(server.url, 200);
    try {
      await server.stop(true);
      const config = resolveConfig({ overrides: { queueKeyPrefix: 'brutalist-test:roster-down' } });
      const fleet = new FleetAvailability(config, new ManualClock(), redis);
      expect(await fleet.check('claude')).toMatchObject({ available: false, error: 'CLI_NOT_FOUND' });
    } finally {
      redis.disconnect();
      await server.cleanup();
    }
  });
});
