// A queue worker in this process (its branches are measured; the e2e workers run as children): real Redis under
// a unique prefix, a real front, fake critic executables.

import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { Job, Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CriticAvailability } from '../../src/critics/index.js';
import type { Config } from '../../src/engine/config.js';
import { type Clock, ManualClock, systemClock } from '../../src/infra/index.js';
import { openRedis } from '../../src/queue/connections.js';
import { CriticWorker, QueueExecution } from '../../src/queue/index.js';
import { queueNameOf } from '../../src/queue/jobs.js';
import { SharedBreakers } from '../../src/queue/shared-breaker.js';
import {
  brutalistRejection,
  isAlive,
  makeSandbox,
  readLog,
  type Sandbox,
  serverEnv,
  waitFor,
} from '../support/harness.js';
import { frontConfig, runQueued } from '../support/queue.js';
import { deletePrefix, SHARED_REDIS_URL, uniquePrefix } from '../support/redis.js';

let sandbox: Sandbox;
let prefix: string;
let workers: CriticWorker[];
let fronts: QueueExecution[];

beforeEach(() => {
  sandbox = makeSandbox('brutalist-qworker-');
  prefix = uniquePrefix('qworker').replace(/:$/, '');
  workers = [];
  fronts = [];
});

afterEach(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await Promise.all(fronts.map((f) => f.close()));
  await deletePrefix(SHARED_REDIS_URL, prefix);
  sandbox.cleanup();
});

function config(extra = {}): Config {
  const c = frontConfig(sandbox, SHARED_REDIS_URL, prefix, extra);
  if (!c.queueKeyPrefix.startsWith('brutalist-test:')) throw new Error('test config lost its key prefix');
  return c;
}

async function worker(extra = {}, clock: Clock = systemClock, log: string[] = []): Promise<CriticWorker> {
  const c = config(extra);
  const w = new CriticWorker({
    config: c,
    availability: new CriticAvailability({ config: c }),
    clock,
    env: serverEnv(sandbox),
    log: (line) => log.push(line),
  });
  workers.push(w);
  await w.start();
  return w;
}

function front(extra = {}): QueueExecution {
  const f = new QueueExecution(config(extra));
  fronts.push(f);
  return f;
}

function prompt(tag: string, delayMs = 0): string {
  return [
    `task ${tag}`,
    `@@fake text=answer ${tag}`,
    `@@fake delay_ms=${delayMs}`,
    `@@fake log=${sandbox.log}`,
  ].join('\n');
}

/** The critic runs logged so far (version probes log too, without a `task` line). */
function runs(): Array<{ tag: string; pid: number }> {
  return readLog(sandbox.log).flatMap((l) => {
    const m = /^task (\S+)/.exec(l.stdin);
    return m?.[1] ? [{ tag: m[1], pid: l.pid }] : [];
  });
}

describe('CriticWorker', () => {
  it('announces the critics it can run and answers a queued run, relaying stdout to the front', async () => {
    const w = await worker();
    const f = front();
    let bytes = 0;
    const result = await runQueued(f, prompt('one'), { onStdout: (b) => (bytes += b.length) });
    expect(result.text).toContain('answer one');
    expect(bytes).toBeGreaterThan(0);
    expect(runs().map((r) => r.tag)).toEqual(['one']);
    await w.stop();
    await expect(w.stop()).resolves.toBeUndefined(); // idempotent
  });

  it('never starts a job whose deadline its own clock says has passed (DEADLINE_EXCEEDED, phase queue)', async () => {
    // The worker's clock runs an hour ahead of the front's: every job it takes is already late.
    const ahead = new ManualClock(Date.now() + 3_600_000);
    await worker({}, ahead);
    const err = await brutalistRejection(runQueued(front(), prompt('late')));
    expect(err.code).toBe('DEADLINE_EXCEEDED');
    expect(err.data).toMatchObject({ critic: 'claude', phase: 'queue' });
    expect(runs()).toEqual([]);
  });

  it('refuses a run while the fleet breaker of its critic is open, without spawning it', async () => {
    const c = config({ breakerMinimumCalls: 1 });
    const redis = openRedis(SHARED_REDIS_URL);
    try {
      const breakers = new SharedBreakers(redis, c, systemClock);
      const ticket = await breakers.acquire('claude', Date.now() + 60_000);
      await breakers.release('claude', ticket, 'CLI_FAILED', false, 10);
      expect((await breakers.state('claude')).kind).toBe('open');
    } finally {
      redis.disconnect();
    }
    await worker();
    const err = await brutalistRejection(runQueued(front(), prompt('paused')));
    expect(err.code).toBe('CIRCUIT_OPEN');
    expect(err.data).toMatchObject({ critics: ['claude'] });
    expect(runs()).toEqual([]);
  });

  it('stops the critic when the caller cancels, and does not count the cancellation against the critic', async () => {
    await worker();
    const f = front();
    const caller = new AbortController();
    const answer = brutalistRejection(runQueued(f, prompt('cancelled', 60_000), { signal: caller.signal }));
    expect(await waitFor(() => runs().length === 1, 20_000)).toBe(true);
    const pid = runs()[0]?.pid ?? -1;
    caller.abort();
    expect((await answer).code).toBe('CANCELLED');
    expect(await waitFor(() => !isAlive(pid), 10_000)).toBe(true);
    const redis = openRedis(SHARED_REDIS_URL);
    try {
      const state = await new SharedBreakers(redis, config(), systemClock).state('claude');
      expect(state.kind === 'closed' ? state.samples : 'not closed').toEqual([]);
    } finally {
      redis.disconnect();
    }
  });

  it('runs a file-access job in its working directory inside the root, and refuses one outside it', async () => {
    await worker();
    const f = front();
    const run = (cwd: string) =>
      f.runner(
        'claude',
        { prompt: prompt('files') },
        { cwd, root: sandbox.project, signal: new AbortController().signal, onStdout: () => {} },
      );
    const result = await run(join(sandbox.project, 'src'));
    expect(result.text).toContain('answer files');
    expect(readLog(sandbox.log).find((l) => l.stdin.startsWith('task files'))?.cwd).toBe(
      realpathSync(join(sandbox.project, 'src')),
    );
    const err = await brutalistRejection(run(sandbox.target));
    expect(err.code).toBe('PATH_OUTSIDE_ROOT');
    expect(err.message).not.toContain(sandbox.dir);
    expect(runs()).toHaveLength(1);
  });

  it('fails a malformed job for good with a typed reason and keeps serving the next run', async () => {
    await worker();
    const f = front();
    const redis = openRedis(SHARED_REDIS_URL);
    const queue = new Queue(queueNameOf('claude'), { connection: redis, prefix });
    try {
      const bad = await queue.add('run', { critic: 'claude', request: 42, deadlineAt: 'soon' });
      const result = await runQueued(f, prompt('after'));
      expect(result.text).toContain('answer after');
      let state = '';
      for (let i = 0; i < 100 && state !== 'failed'; i++) {
        state = await queue.getJobState(bad.id ?? '');
        if (state !== 'failed') await new Promise((r) => setTimeout(r, 100));
      }
      expect(state).toBe('failed');
      const job = await Job.fromId(queue, bad.id ?? '');
      expect(job?.failedReason).toBe('A queued critic run had malformed data.');
      expect(job?.attemptsMade).toBe(1);
    } finally {
      await queue.close();
      redis.disconnect();
    }
  });

  it('on stop, hands a run still going after workerDrainMs back to the queue, and another worker answers it', async () => {
    const drainLog: string[] = [];
    const first = await worker({ workerDrainMs: 1 }, systemClock, drainLog);
    const f = front();
    const answer = runQueued(f, prompt('handed', 2_000));
    expect(await waitFor(() => runs().length === 1, 20_000)).toBe(true);
    const firstPid = runs()[0]?.pid ?? -1;
    await first.stop();
    expect(isAlive(firstPid)).toBe(false);
    await worker();
    const result = await answer;
    expect(result.text).toContain('answer handed');
    expect(runs().map((r) => r.tag)).toEqual(['handed', 'handed']);
    expect(drainLog).toEqual([]);
  });
});
