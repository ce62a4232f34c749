/** The Redis connections of queue execution: BullMQ's (blocking reads need no per-request retry cap) and pub/sub. */
import { createHash } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { CRITIC_NAMES, type CriticName } from '../engine/config.js';
import { queueNameOf } from './jobs.js';

/** What every queue-mode process needs from the config. */
export interface QueueSettings {
  readonly redisUrl: string;
  readonly queueKeyPrefix: string;
}

/**
 * A connection BullMQ accepts (maxRetriesPerRequest null is required for Workers and QueueEvents). With
 * `commandTimeoutMs` (never on a connection that blocks on reads) a command that gets no reply in that time fails,
 * so a front facing a Redis outage answers STATE_UNAVAILABLE instead of waiting for the reconnect.
 */
export function openRedis(url: string, commandTimeoutMs?: number): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    ...(commandTimeoutMs === undefined ? {} : { commandTimeout: commandTimeoutMs }),
  });
  // Errors surface on the commands; the connection reconnects by itself.
  redis.on('error', () => {});
  return redis;
}

/** One BullMQ Queue per critic over one shared connection. */
export function openQueues(settings: QueueSettings, connection: Redis): Record<CriticName, Queue> {
  return Object.fromEntries(
    CRITIC_NAMES.map((critic) => {
      const queue = new Queue(queueNameOf(critic), { connection, prefix: settings.queueKeyPrefix });
      // Each run awaiting its answer listens for the queue closing: as many as this front admits (its guard's bound).
      queue.setMaxListeners(0);
      // Connection errors surface on the calls that fail (STATE_UNAVAILABLE); BullMQ would print them otherwise.
      queue.on('error', () => {});
      return [critic, queue];
    }),
  ) as Record<CriticName, Queue>;
}

/** Sums LLEN of KEYS[1], ZCARD of KEYS[2] and KEYS[3], for each triple of KEYS. */
const DEPTH_SCRIPT = `
local n = 0
for i = 1, #KEYS, 3 do
  n = n + redis.call('LLEN', KEYS[i]) + redis.call('ZCARD', KEYS[i + 1]) + redis.call('ZCARD', KEYS[i + 2])
end
return n`;

/**
 * Jobs waiting (not yet taken by a worker) over every critic's queue: the wait list, the prioritized and the
 * delayed sets of each, read in one script (one round trip; four of BullMQ's getJobCounts cost four).
 */
export async function waitingDepth(redis: Redis, queues: Record<CriticName, Queue>): Promise<number> {
  const keys = CRITIC_NAMES.flatMap((critic) =>
    ['wait', 'prioritized', 'delayed'].map((state) => queues[critic].toKey(state)),
  );
  return Number(await runScript(redis, DEPTH_SCRIPT, keys, []));
}

const shas = new Map<string, string>();

/**
 * A Lua script by its SHA (EVALSHA: the text crosses the wire once per server, not on every call), loaded with EVAL
 * when the server does not know it yet (first call, or after a restart or SCRIPT FLUSH).
 */
export async function runScript(
  redis: Redis,
  script: string,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  let sha = shas.get(script);
  if (sha === undefined) {
    sha = createHash('sha1').update(script).digest('hex');
    shas.set(script, sha);
  }
  try {
    return await redis.evalsha(sha, keys.length, ...keys, ...args);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
    return await redis.eval(script, keys.length, ...keys, ...args);
  }
}
