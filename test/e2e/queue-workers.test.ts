// Queue execution end to end: real Redis (unique prefix), real `node dist/cli.js worker` processes, fake critics.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QueueExecution } from '../../src/queue/index.js';
import { brutalistRejection, isAlive, makeSandbox, readLog, type Sandbox, waitFor } from '../support/harness.js';
import {
  frontConfig,
  runQueued,
  startWorker,
  stopWorker,
  type WorkerProcess,
} from '../support/queue.js';
import { deletePrefix, SHARED_REDIS_URL, uniquePrefix } from '../support/redis.js';

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

/** A prompt the fake critic answers with `text` after `delayMs`, logging its invocation (with `tag` in stdin). */
function prompt(tag: string, delayMs = 0): string {
  return [`task ${tag}`, `@@fake text=answer ${tag}`, `@@fake delay_ms=${delayMs}`, `@@fake log=${sandbox.log}`].join('\n');
}

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
});
