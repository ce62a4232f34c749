/**
 * Queue-mode e2e suites: a fresh sandbox and Redis key prefix per test. Fronts and workers share the machine's Redis
 * (the queue under `<prefix>:q`, the state store under `<prefix>:s:`); after each test its closers run last-first,
 * its workers stop and its keys are deleted.
 */
import { afterEach, beforeEach } from 'vitest';
import { makeSandbox, type Sandbox, serverEnv } from './harness.js';
import { startWorker, stopWorker, type WorkerProcess } from './queue.js';
import { deletePrefix, SHARED_REDIS_URL, uniquePrefix } from './redis.js';

interface PerTest {
  sandbox: Sandbox;
  prefix: string;
  workers: WorkerProcess[];
  closers: Array<() => Promise<unknown>>;
}

export function queuePerTest(name: string, baseEnv: Record<string, string> = {}) {
  let current: PerTest | undefined;
  beforeEach(() => {
    const prefix = uniquePrefix(name).replace(/:$/, '');
    current = { sandbox: makeSandbox(`brutalist-${name}-`), prefix, workers: [], closers: [] };
  });
  afterEach(async () => {
    if (!current) return;
    const { sandbox, prefix, workers, closers } = current;
    for (const close of closers.reverse()) await close().catch(() => {});
    await Promise.all(workers.map((w) => stopWorker(w)));
    await deletePrefix(SHARED_REDIS_URL, prefix);
    sandbox.cleanup();
    current = undefined;
  });
  const test = (): PerTest => {
    if (!current) throw new Error('queuePerTest: used outside a test');
    return current;
  };
  return {
    get sandbox(): Sandbox {
      return test().sandbox;
    },
    /** The env of a front (and worker) of this test, in queue mode on the shared Redis. */
    env(): Record<string, string> {
      const { sandbox, prefix } = test();
      return serverEnv(sandbox, {
        BRUTALIST_EXECUTION: 'queue',
        BRUTALIST_REDIS_URL: SHARED_REDIS_URL,
        BRUTALIST_REDIS_KEY_PREFIX: `${prefix}:s:`,
        BRUTALIST_QUEUE_KEY_PREFIX: `${prefix}:q`,
        BRUTALIST_WORKER_HEARTBEAT_MS: '500',
        ...baseEnv,
      });
    },
    /** Runs `close` after the test (last registered first). */
    onClose(close: () => Promise<unknown>): void {
      test().closers.push(close);
    },
    /** A real worker process of the built CLI on this test's queue (`extra`: more env), stopped after the test. */
    async startWorker(extra: Record<string, string> = {}): Promise<WorkerProcess> {
      const { sandbox, prefix, workers } = test();
      const worker = await startWorker(sandbox, SHARED_REDIS_URL, `${prefix}:q`, extra);
      workers.push(worker);
      return worker;
    },
  };
}
