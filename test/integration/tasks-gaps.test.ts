// MCP tasks through the real SDK client (in process): a task's progress notifications go on after the creating call
// answered, under the same rate limits; and tasks/* errors keep our stable `data.code`.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CreateTaskResultSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectInProcess, fakeCritics, makeSandbox, type Sandbox } from '../support/harness.js';
import { createTask, pollUntilDone, slowIdea, taskResult } from '../support/tasks.js';

let sandbox: Sandbox;
let closers: Array<() => Promise<void>> = [];
beforeEach(() => {
  sandbox = makeSandbox('brutalist-tasks-gaps-');
});
afterEach(async () => {
  for (const close of closers.reverse()) await close();
  closers = [];
  sandbox.cleanup();
});

async function connect(overrides = {}): Promise<Client> {
  const c = await connectInProcess(fakeCritics(sandbox, { taskPollIntervalMs: 100, ...overrides }), {
    env: { PATH: process.env.PATH, HOME: sandbox.home },
  });
  closers.push(c.close);
  return c.client;
}

async function rpcError(p: Promise<unknown>): Promise<McpError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof McpError) return err;
    throw err;
  }
  throw new Error('resolved');
}

describe('progress of a task-backed run', () => {
  it('arrives after the creating call answered, in order, within the rate limit', async () => {
    const client = await connect({ maxEventRate: 4, coalescingWindowMs: 250, progressIntervalMs: 250 });
    const progress: Array<{ at: number; progress: number }> = [];
    const created = await client.request(
      {
        method: 'tools/call',
        params: {
          name: 'roast',
          arguments: {
            domain: 'idea',
            context: 'chatty\n@@fake spew_bytes=20000\n@@fake piece_chars=20\n@@fake chunk_delay_ms=2',
            clis: ['gemini'],
          },
          task: {},
        },
      },
      CreateTaskResultSchema,
      { onprogress: (p) => progress.push({ at: Date.now(), progress: p.progress }) },
    );
    const createdAt = Date.now();
    const seen = await pollUntilDone(client, created.task.taskId, 30_000);
    expect(seen.at(-1)?.status).toBe('completed');
    expect((await taskResult(client, created.task.taskId)).isError).toBeFalsy();
    const after = progress.filter((p) => p.at >= createdAt);
    expect(after.length).toBeGreaterThanOrEqual(1);
    const values = progress.map((p) => p.progress);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(new Set(values).size).toBe(values.length);
  });
});

describe('tasks/* errors', () => {
  it('tasks/get, tasks/result and tasks/cancel of an unknown task answer -32602 with data.code CONTEXT_NOT_FOUND', async () => {
    const client = await connect();
    const unknown = '00000000-0000-4000-8000-000000000000';
    for (const call of [
      () => client.experimental.tasks.getTask(unknown),
      () => taskResult(client, unknown),
      () => client.experimental.tasks.cancelTask(unknown),
    ]) {
      const error = await rpcError(call());
      expect(error.code).toBe(-32602);
      expect(error.data).toMatchObject({ code: 'CONTEXT_NOT_FOUND', retryable: false });
    }
  });

  it('tasks/list with an unknown cursor answers -32602 with data.code INVALID_CURSOR', async () => {
    const client = await connect();
    await createTask(client, 'roast', { domain: 'idea', context: slowIdea(10), clis: ['gemini'] });
    const error = await rpcError(client.experimental.tasks.listTasks('not-a-task-id'));
    expect(error.code).toBe(-32602);
    expect(error.data).toMatchObject({ code: 'INVALID_CURSOR' });
  });

  it("another principal's task is unknown to this one (CONTEXT_NOT_FOUND, not its status)", async () => {
    const env = { PATH: process.env.PATH, HOME: sandbox.home };
    const alice = await connectInProcess(fakeCritics(sandbox), { env, owner: 'alice' });
    closers.push(alice.close);
    const bob = await connectInProcess(fakeCritics(sandbox), { env, owner: 'bob', app: alice.app });
    closers.push(bob.close);
    const task = await createTask(alice.client, 'roast', {
      domain: 'idea',
      context: slowIdea(10),
      clis: ['gemini'],
    });
    const error = await rpcError(bob.client.experimental.tasks.getTask(task.taskId));
    expect(error.data).toMatchObject({ code: 'CONTEXT_NOT_FOUND' });
  });
});
