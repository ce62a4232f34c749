// The queue benchmarks' shared setup: a sandbox, a fresh Redis key prefix, a front in queue mode and workers of the
// built CLI, all running the fake critic that sleeps 200 ms; close() stops the workers and removes what was made.
import { join } from 'node:path';
import { QueueExecution } from '../../src/queue/index.js';
import { makeSandbox } from '../../test/support/harness.js';
import { frontConfig, startWorker, stopWorker, type WorkerProcess } from '../../test/support/queue.js';
import { deletePrefix, SHARED_REDIS_URL, uniquePrefix } from '../../test/support/redis.js';

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
  /** Stops the workers (SIGTERM), closes the front, deletes the prefix's keys and the sandbox. */
  close(): Promise<void>;
}

/** A rig named `name` (sandbox `brutalist-bench-<name>-`, key prefix `bench-<name>…`); `front` overrides its config. */
export function queueRig(name: string, front: Record<string, unknown> = {}): QueueRig {
  const sandbox = makeSandbox(`brutalist-bench-${name}-`);
  const prefix = uniquePrefix(`bench-${name}`).replace(/:$/, '');
  const workerEnv = {
    BRUTALIST_CLAUDE_BIN: SLEEPY,
    BRUTALIST_MAX_CONCURRENT: CAP,
    BRUTALIST_MAX_CONCURRENT_PER_CRITIC: CAP,
  };
  const config = frontConfig(sandbox, SHARED_REDIS_URL, prefix, { claudeBin: SLEEPY, ...front });
  const execution = new QueueExecution(config);
  const workers: WorkerProcess[] = [];
  return {
    front: execution,
    workers,
    async addWorker() {
      const worker = await startWorker(sandbox, SHARED_REDIS_URL, prefix, workerEnv);
      workers.push(worker);
      return worker;
    },
    async close() {
      await Promise.all(workers.map((w) => stopWorker(w, 'SIGTERM')));
      await execution.close();
      await deletePrefix(SHARED_REDIS_URL, prefix);
      sandbox.cleanup();
    },
  };
}
