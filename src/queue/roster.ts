/**
 * The worker fleet's roster in Redis: each worker's heartbeat (what it can run, with versions) under a key that
 * expires after three beats, and, on a front instance, critic availability read from those heartbeats.
 */
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { type Availability, CriticAvailability } from '../critics/index.js';
import { type Config, CRITIC_NAMES, type CriticName } from '../engine/config.js';
import type { Clock } from '../infra/index.js';
import { parseJson } from './jobs.js';

/** Beats a worker may miss before it leaves the roster. */
export const HEARTBEATS_TO_EXPIRE = 3;

const heartbeatSchema = z.object({
  id: z.string(),
  host: z.string(),
  pid: z.number(),
  version: z.string(),
  concurrency: z.number(),
  critics: z.array(z.object({ critic: z.enum(CRITIC_NAMES), version: z.string().optional() })),
});

/** What one worker announces. */
export type WorkerHeartbeat = z.infer<typeof heartbeatSchema>;

function setKey(prefix: string): string {
  return `${prefix}:workers`;
}
function workerKey(prefix: string, id: string): string {
  return `${prefix}:worker:${id}`;
}

/** Writes one heartbeat: the worker's own key (expiring) and its id in the roster set. */
export async function beat(
  redis: Redis,
  prefix: string,
  heartbeat: WorkerHeartbeat,
  beatMs: number,
): Promise<void> {
  await redis
    .multi()
    .set(workerKey(prefix, heartbeat.id), JSON.stringify(heartbeat), 'PX', beatMs * HEARTBEATS_TO_EXPIRE)
    .sadd(setKey(prefix), heartbeat.id)
    .exec();
}

/** A stopping worker leaves the roster at once. */
export async function leave(redis: Redis, prefix: string, id: string): Promise<void> {
  await redis.multi().del(workerKey(prefix, id)).srem(setKey(prefix), id).exec();
}

/** Every live worker's heartbeat; ids whose key expired are dropped from the set. */
export async function liveWorkers(redis: Redis, prefix: string): Promise<WorkerHeartbeat[]> {
  const ids = await redis.smembers(setKey(prefix));
  if (ids.length === 0) return [];
  const values = await redis.mget(ids.map((id) => workerKey(prefix, id)));
  const gone = ids.filter((_, i) => values[i] === null);
  if (gone.length > 0) await redis.srem(setKey(prefix), ...gone);
  return values.flatMap((v) => {
    const parsed = v === null ? undefined : heartbeatSchema.safeParse(parseJson(v));
    return parsed?.success ? [parsed.data] : [];
  });
}

/**
 * Availability on a front instance in queue mode: a critic is available when a live worker can run it (the front
 * needs no CLI installed). Trusted for one heartbeat, not availabilityTtlMs: workers come and go.
 */
export class FleetAvailability extends CriticAvailability {
  constructor(
    config: Config,
    clock: Clock,
    private readonly redis: Redis,
  ) {
    super({ config: { ...config, availabilityTtlMs: config.workerHeartbeatMs }, clock });
  }

  protected override async probe(critic: CriticName): Promise<Availability> {
    const checkedAt = this.clock.now();
    const workers = await liveWorkers(this.redis, this.config.queueKeyPrefix).catch(() => []);
    const able = workers.flatMap((w) => w.critics.filter((c) => c.critic === critic));
    if (able.length === 0)
      return { critic, available: false, binary: critic, error: 'CLI_NOT_FOUND', checkedAt };
    const version = able.find((c) => c.version)?.version;
    return {
      critic,
      available: true,
      binary: critic,
      ...(version ? { version } : {}),
      note: `queue: ${able.length} worker(s) can run it`,
      checkedAt,
    };
  }
}
