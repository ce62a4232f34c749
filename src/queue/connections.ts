/** The Redis connections of queue execution: BullMQ's (blocking reads need no per-request retry cap) and pub/sub. */
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

/** Jobs waiting (not yet taken by a worker) over every critic's queue. */
export async function waitingDepth(queues: Record<CriticName, Queue>): Promise<number> {
  const counts = await Promise.all(
    CRITIC_NAMES.map((critic) => queues[critic].getJobCounts('wait', 'prioritized', 'delayed')),
  );
  return counts.reduce((sum, c) => sum + (c.wait ?? 0) + (c.prioritized ?? 0) + (c.delayed ?? 0), 0);
}
