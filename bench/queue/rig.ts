// The queue benchmarks' shared setup: a sandbox, a Redis (by default a private redis-server without persistence, so
// the bench can count its commands), a fresh key prefix, a front in queue mode and workers of the built CLI, all
// running the fake critic that sleeps 200 ms; close() stops the workers and removes what was made.
// BENCH_QUEUE_REDIS=shared runs against the machine's Redis instead (commands are then not counted).
import { join } from 'node:path';
import { QueueExecution } from '../../src/queue/index.js';
import { makeSandbox } from '../../test/support/harness.js';
import { frontConfig, startWorker, stopWorker, type WorkerProcess } from '../../test/support/queue.js';
import {
  deletePrefix,
  type PrivateRedis,
  SHARED_REDIS_URL,
  startPrivateRedis,
  uniquePrefix,
} from '../../test/support/redis.js';
import { type CommandCounter, countCommands } from './commands.js';

/** The fake critic (bench/fixtures/sleepy-claude): sleeps 200 ms, no Node startup, so CPU is not the limit. */
export const SLEEPY = join(import.meta.dirname, '..', 'fixtures', 'sleepy-claude');
/** Per-worker and per-critic concurrency cap: high enough that it is not the limit. */
const CAP = '64';

export interface QueueRig {
  readonly front: QueueExecution;
  /** The workers started so far, in start order. */
  readonly workers: WorkerProcess[];
  /** Starts one more worker on the rig's prefix and adds it to `workers`. */
  addWorker(): Promise<WorkerProcess>;
  /** Counts the commands the rig's Redis runs from now on; undefined on the shared Redis (never MONITOR it). */
  countCommands(): Promise<CommandCounter | undefined>;
  /** Stops the workers (SIGTERM), closes the front, deletes the prefix's keys (or the private server) and sandbox. */
  close(): Promise<void>;
}

/** A rig named `name` (sandbox `brutalist-bench-<name>-`, key prefix `bench-<name>…`); `front` overrides its config. */
export async function queueRig(name: string, front: Record<string, unknown> = {}): Promise<QueueRig> {
  const sandbox = makeSandbox(`brutalist-bench-${name}-`);
  const prefix = uniquePrefix(`bench-${name}`).replace(/:$/, '');
  const own: PrivateRedis | undefined =
    process.env.BENCH_QUEUE_REDIS === 'shared' ? undefined : await startPrivateRedis({ durable: false });
  const url = own?.url ?? SHARED_REDIS_URL;
  const workerEnv = {
    BRUTALIST_CLAUDE_BIN: SLEEPY,
    BRUTALIST_MAX_CONCURRENT: CAP,
    BRUTALIST_MAX_CONCURRENT_PER_CRITIC: CAP,
  };
  const config = frontConfig(sandbox, url, prefix, { claudeBin: SLEEPY, ...front });
  const execution = new QueueExecution(config);
  const workers: WorkerProcess[] = [];
  return {
    front: execution,
    workers,
    async addWorker() {
      const worker = await startWorker(sandbox, url, prefix, workerEnv);
      workers.push(worker);
      return worker;
    },
    countCommands: async () => (own ? countCommands(own.url) : undefined),
    async close() {
      await Promise.all(workers.map((w) => stopWorker(w, 'SIGTERM')));
      await execution.close();
      if (own) await own.cleanup();
      else await deletePrefix(url, prefix);
      sandbox.cleanup();
    },
  };
}
