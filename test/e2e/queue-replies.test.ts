// How a front gets a run's answer (ADR 0041): the worker publishes it on the job's reply channel, and the front falls
// back to the job's stored outcome when that message cannot have reached it: a replay joining a job that ended before
// it listened, a subscription that dropped while the reply went out, a reply that never came. Real Redis (the
// machine's under a unique prefix; a private redis-server behind a TCP proxy where the front's link must break),
// real worker processes of the built CLI, fake critics.
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CriticRunner } from '../../src/engine/index.js';
import { QueueExecution, queueNameOf } from '../../src/queue/index.js';
import { makeSandbox, readLog, type Sandbox, waitFor } from '../support/harness.js';
import {
  frontConfig,
  runQueued,
  startWorker,
  stopWorker,
  taskPrompt,
  type WorkerProcess,
} from '../support/queue.js';
import {
  deletePrefix,
  type PrivateRedis,
  SHARED_REDIS_URL,
  startPrivateRedis,
  startProxy,
  type TcpProxy,
  uniquePrefix,
} from '../support/redis.js';

let sandbox: Sandbox;
let prefix: string;
let closers: Array<() => Promise<unknown>>;

beforeEach(() => {
  sandbox = makeSandbox('brutalist-queue-replies-');
  prefix = uniquePrefix('queue-replies').replace(/:$/, '');
  closers = [];
});

afterEach(async () => {
  for (const close of closers.reverse()) await close().catch(() => {});
  await deletePrefix(SHARED_REDIS_URL, prefix);
  sandbox.cleanup();
});

async function worker(url = SHARED_REDIS_URL): Promise<WorkerProcess> {
  const w = await startWorker(sandbox, url, prefix);
  closers.push(() => stopWorker(w));
  return w;
}

function front(url = SHARED_REDIS_URL, extra = {}): QueueExecution {
  const f = new QueueExecution(frontConfig(sandbox, url, prefix, extra));
  closers.push(() => f.close());
  return f;
}

const prompt = (tag: string, delayMs = 0) => taskPrompt(sandbox.log, tag, delayMs);

const runsOf = (tag: string) => readLog(sandbox.log).filter((l) => l.stdin.includes(`task ${tag}`));

/** A keyed run (as the engine's calls are): a second run with the same key joins the job. */
function keyedRun(f: QueueExecution, text: string, jobKey: string): ReturnType<CriticRunner> {
  return f.runner(
    'claude',
    { prompt: text },
    { fileAccess: 'none', signal: new AbortController().signal, onStdout: () => {}, jobKey },
  );
}

/** Whether the job has been stored as finished (BullMQ's job hash under the queue's key). */
async function finished(url: string, jobId: string): Promise<boolean> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    return (await redis.hget(`${prefix}:${queueNameOf('claude')}:${jobId}`, 'finishedOn')) !== null;
  } finally {
    redis.disconnect();
  }
}

async function until(predicate: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not met');
}

describe('queue replies', () => {
  it("answers from the worker's reply, with no stored-outcome check due before its deadline", async () => {
    await worker();
    // No check could come before the deadline: the answer can only be the worker's reply.
    const f = front(SHARED_REDIS_URL, { queueAnswerCheckMs: 600_000 });
    const result = await runQueued(f, prompt('replied'));
    expect(result.text).toContain('answer replied');
  });

  it('a replay joining a job that ended before it listened answers from the stored outcome, the critic run once', async () => {
    await worker();
    const first = front(SHARED_REDIS_URL, { queueAnswerCheckMs: 600_000 });
    const answered = await keyedRun(first, prompt('early'), 'ctx-early-claude-1');
    // A new front (a restart) replays the same keyed call after the reply went out to the old one.
    const second = front(SHARED_REDIS_URL, { queueAnswerCheckMs: 600_000 });
    const replayed = await keyedRun(second, prompt('early'), 'ctx-early-claude-1');
    expect(replayed.text).toBe(answered.text);
    expect(runsOf('early')).toHaveLength(1);
  });

  it('reads the stored outcome once its subscription is back when the reply went out while it was down', async () => {
    const redis: PrivateRedis = await startPrivateRedis();
    closers.push(() => redis.cleanup());
    const proxy: TcpProxy = await startProxy(redis.port);
    closers.push(() => proxy.close());
    // The worker reaches Redis directly; only the front's links go through the proxy.
    await worker(redis.url);
    const f = front(proxy.url, { queueAnswerCheckMs: 600_000 });
    const jobId = 'ctx-dropped-claude-1';
    const answer = keyedRun(f, prompt('dropped', 1_500), jobId);
    expect(await waitFor(() => runsOf('dropped').length === 1, 20_000)).toBe(true);
    await proxy.setMode('refuse');
    // The run ends and its reply is published while the front cannot hear it.
    await until(() => finished(redis.url, jobId));
    await proxy.setMode('forward');
    const result = await answer;
    expect(result.text).toContain('answer dropped');
    expect(runsOf('dropped')).toHaveLength(1);
  });

  it('reads the stored outcome every queueAnswerCheckMs when no reply comes', async () => {
    // A BullMQ worker that stores an answer and never replies: a worker that died between the two.
    const silent = new Worker(
      queueNameOf('claude'),
      async () => ({
        critic: 'claude',
        argv: ['claude'],
        promptSha256: '0'.repeat(64),
        durationMs: 1,
        exitClass: 'ok',
        outputBytes: 6,
        truncated: false,
        text: 'stored',
      }),
      { connection: { url: SHARED_REDIS_URL }, prefix },
    );
    closers.push(() => silent.close());
    const f = front(SHARED_REDIS_URL, { queueAnswerCheckMs: 200 });
    const result = await runQueued(f, prompt('silent'));
    expect(result.text).toBe('stored');
  });
});
