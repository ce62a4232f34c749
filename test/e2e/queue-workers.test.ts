// Queue execution end to end: real Redis (unique prefix), real `node dist/cli.js worker` processes, fake critics.
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isBrutalistError } from '../../src/errors/index.js';
import { systemClock } from '../../src/infra/index.js';
import { QueueExecution } from '../../src/queue/index.js';
import { SharedBreakers } from '../../src/queue/shared-breaker.js';
import {
  brutalistRejection,
  isAlive,
  makeSandbox,
  readLog,
  type Sandbox,
  waitFor,
} from '../support/harness.js';
import {
  frontConfig,
  runQueued,
  startWorker,
  stopWorker,
  taskPrompt,
  type WorkerProcess,
} from '../support/queue.js';
import { deletePrefix, freePort, SHARED_REDIS_URL, uniquePrefix } from '../support/redis.js';

let sandbox: Sandbox;
let prefix: string;
let workers: WorkerProcess[];
let fronts: QueueExecution[];

beforeEach(() => {
  sandbox = makeSandbox('brutalist-queue-');
  prefix = uniquePrefix('queue').replace(/:$/, '');
  workers = [];
  fronts = [];
});

afterEach(async () => {
  await Promise.all(workers.map((w) => stopWorker(w)));
  await Promise.all(fronts.map((f) => f.close()));
  await deletePrefix(SHARED_REDIS_URL, prefix);
  sandbox.cleanup();
});

async function worker(extra: Record<string, string> = {}): Promise<WorkerProcess> {
  const w = await startWorker(sandbox, SHARED_REDIS_URL, prefix, extra);
  workers.push(w);
  return w;
}

function front(extra = {}): QueueExecution {
  const f = new QueueExecution(frontConfig(sandbox, SHARED_REDIS_URL, prefix, extra));
  fronts.push(f);
  return f;
}

const prompt = (tag: string, delayMs = 0) => taskPrompt(sandbox.log, tag, delayMs);

/** The critic runs logged so far (version probes log too: they have no `task` line on stdin). */
function runs(): Array<{ tag: string; pid: number }> {
  return readLog(sandbox.log).flatMap((l) => {
    const m = /^task (\S+)/.exec(l.stdin);
    return m?.[1] ? [{ tag: m[1], pid: l.pid }] : [];
  });
}

describe('queue execution', () => {
  it('runs a critic on a worker and relays its stdout to the front', async () => {
    await worker();
    const f = front();
    let bytes = 0;
    const result = await runQueued(f, prompt('one'), { onStdout: (b) => (bytes += b.length) });
    expect(result.text).toContain('answer one');
    expect(result.critic).toBe('claude');
    expect(bytes).toBeGreaterThan(0);
    expect(runs().map((r) => r.tag)).toEqual(['one']);
  });

  it('serves a critical run before batch runs queued earlier', async () => {
    await worker({ BRUTALIST_WORKER_CONCURRENCY: '1', BRUTALIST_MAX_CONCURRENT_PER_CRITIC: '1' });
    const f = front();
    const blocker = new AbortController();
    const blocked = runQueued(f, prompt('block', 60_000), { signal: blocker.signal }).catch((e) => e);
    await waitFor(() => runs().length === 1, 20_000);
    const batch1 = runQueued(f, prompt('batch1'), { priority: 3 });
    const batch2 = runQueued(f, prompt('batch2'), { priority: 3 });
    await waitForAsync(async () => (await f.depth()) === 2);
    const critical = runQueued(f, prompt('critical'), { priority: 0 });
    await waitForAsync(async () => (await f.depth()) === 3);
    blocker.abort();
    await Promise.all([batch1, batch2, critical, blocked]);
    expect(runs().map((r) => r.tag)).toEqual(['block', 'critical', 'batch1', 'batch2']);
  });

  it('never runs more of one critic at once than maxConcurrentPerCritic, over all workers', async () => {
    const env = { BRUTALIST_WORKER_CONCURRENCY: '4', BRUTALIST_MAX_CONCURRENT_PER_CRITIC: '2' };
    await Promise.all([worker(env), worker(env)]);
    const f = front();
    let most = 0;
    const sampler = setInterval(() => {
      most = Math.max(most, runs().filter((r) => isAlive(r.pid)).length);
    }, 20);
    try {
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => runQueued(f, prompt(`r${i}`, 300))),
      );
      expect(results.map((r) => r.text.trim())).toEqual(Array.from({ length: 8 }, (_, i) => `answer r${i}`));
    } finally {
      clearInterval(sampler);
    }
    expect(runs()).toHaveLength(8);
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(2);
  });

  it('hands the run of a SIGKILLed worker to another worker, which answers once', async () => {
    const env = { BRUTALIST_QUEUE_LOCK_MS: '1000' };
    const pair = await Promise.all([worker(env), worker(env)]);
    const f = front();
    const answer = runQueued(f, prompt('survivor', 3_000));
    await waitFor(() => runs().length === 1, 20_000);
    const first = runs()[0]?.pid ?? -1;
    const holder = pair.find((w) => isAncestor(w.pid, first));
    expect(holder).toBeDefined();
    if (holder) await stopWorker(holder, 'SIGKILL');
    const result = await answer;
    expect(result.text).toContain('answer survivor');
    expect(runs().map((r) => r.tag)).toEqual(['survivor', 'survivor']);
    // The dead worker's spawner took its critic down with it.
    expect(await waitFor(() => !isAlive(first), 10_000)).toBe(true);
  });

  it('fails with WORKER_LOST once queueMaxAttempts workers died on the run', async () => {
    const env = { BRUTALIST_QUEUE_LOCK_MS: '1000', BRUTALIST_QUEUE_MAX_ATTEMPTS: '1' };
    const first = await worker(env);
    const f = front();
    const answer = brutalistRejection(runQueued(f, prompt('doomed', 30_000)));
    await waitFor(() => runs().length === 1, 20_000);
    await stopWorker(first, 'SIGKILL');
    await worker(env);
    expect((await answer).code).toBe('WORKER_LOST');
    expect(runs()).toHaveLength(1);
  });

  it('kills the critic on the worker when the front cancels, leaving no process', async () => {
    await worker();
    const f = front();
    const controller = new AbortController();
    const answer = brutalistRejection(
      runQueued(f, prompt('cancelled', 30_000), { signal: controller.signal }),
    );
    await waitFor(() => runs().length === 1, 20_000);
    controller.abort();
    expect((await answer).code).toBe('CANCELLED');
    const pid = runs()[0]?.pid ?? -1;
    expect(await waitFor(() => !isAlive(pid), 10_000)).toBe(true);
  });

  it('never starts a run whose deadline passed while it waited', async () => {
    await worker();
    const f = front();
    const error = await brutalistRejection(runQueued(f, prompt('late'), { deadlineAt: 1 }));
    expect(error.code).toBe('DEADLINE_EXCEEDED');
    expect(runs()).toEqual([]);
  });

  it('refuses a run with QUEUE_FULL when the fleet queue holds queueMaxDepth runs', async () => {
    const f = front({ queueMaxDepth: 1 });
    const controller = new AbortController();
    const waiting = runQueued(f, prompt('waiting'), { signal: controller.signal }).catch((e) => e);
    await waitForAsync(async () => (await f.depth()) === 1);
    const error = await brutalistRejection(runQueued(f, prompt('refused')));
    expect(error.code).toBe('QUEUE_FULL');
    expect(error.data).toMatchObject({ size: 1, limit: 1 });
    controller.abort();
    expect(isBrutalistError(await waiting) && (await waiting).code).toBe('CANCELLED');
    await waitForAsync(async () => (await f.depth()) === 0);
  });

  it('opens one breaker for the whole fleet: no worker runs the failing critic after it opened', async () => {
    const env = { BRUTALIST_BREAKER_WINDOW_SIZE: '2', BRUTALIST_BREAKER_MINIMUM_CALLS: '2' };
    await Promise.all([worker(env), worker(env)]);
    const f = front();
    const failing = (tag: string) => `${prompt(tag)}\n@@fake exit_code=1`;
    for (const tag of ['f1', 'f2']) {
      expect((await brutalistRejection(runQueued(f, failing(tag)))).code).not.toBe('CIRCUIT_OPEN');
    }
    const refused = await Promise.all(
      ['f3', 'f4', 'f5', 'f6'].map((tag) => brutalistRejection(runQueued(f, failing(tag)))),
    );
    expect(refused.map((e) => e.code)).toEqual(Array(4).fill('CIRCUIT_OPEN'));
    expect(runs().map((r) => r.tag)).toEqual(['f1', 'f2']);
    const redis = new Redis(SHARED_REDIS_URL);
    try {
      const breakers = new SharedBreakers(redis, frontConfig(sandbox, SHARED_REDIS_URL, prefix), systemClock);
      expect(await breakers.state('claude')).toMatchObject({ kind: 'open', epoch: 1, consecutiveOpens: 1 });
    } finally {
      redis.disconnect();
    }
  });

  it('on SIGTERM lets a running critique finish, then exits', async () => {
    const draining = await worker({ BRUTALIST_WORKER_DRAIN_MS: '60000' });
    const f = front();
    const answer = runQueued(f, prompt('finishing', 1_000));
    await waitFor(() => runs().length === 1, 20_000);
    draining.child.kill('SIGTERM');
    expect((await answer).text).toContain('answer finishing');
    expect(await draining.exited).toBe(0);
    expect(runs()).toHaveLength(1);
  });

  it('on SIGTERM past workerDrainMs hands the run back to the queue for another worker', async () => {
    const draining = await worker({ BRUTALIST_WORKER_DRAIN_MS: '0' });
    const f = front();
    const answer = runQueued(f, prompt('handed', 1_000));
    await waitFor(() => runs().length === 1, 20_000);
    draining.child.kill('SIGTERM');
    expect(await draining.exited).toBe(0);
    await worker();
    expect((await answer).text).toContain('answer handed');
    expect(runs().map((r) => r.tag)).toEqual(['handed', 'handed']);
  });
});

/** Whether `ancestor` is `pid` or one of its parents (walks /proc; Linux only, as the spawner is). */
function isAncestor(ancestor: number, pid: number): boolean {
  for (let current = pid, hops = 0; current > 1 && hops < 16; hops++) {
    if (current === ancestor) return true;
    try {
      const stat = readFileSync(`/proc/${current}/stat`, 'utf8');
      current = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return false;
    }
  }
  return false;
}

/** Polls an async condition (Redis counts) until it holds; fails the test after `limitMs`. */
async function waitForAsync(predicate: () => Promise<boolean>, limitMs = 20_000): Promise<void> {
  for (let waited = 0; waited < limitMs; waited += 25) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not met');
}

describe('queue execution without Redis', () => {
  it('answers STATE_UNAVAILABLE when the queue cannot be reached', async () => {
    const port = await freePort();
    const f = new QueueExecution(
      frontConfig(sandbox, `redis://127.0.0.1:${port}`, prefix, { redisCommandTimeoutMs: 200 }),
    );
    try {
      const error = await brutalistRejection(runQueued(f, prompt('nowhere')));
      expect(error.code).toBe('STATE_UNAVAILABLE');
      expect(error.message).not.toContain(String(port));
    } finally {
      await f.close();
    }
  });
});
