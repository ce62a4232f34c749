// Task-augmented tools/call with bad input: a tool that is not a task, follow-up fields, a bad _meta.timeoutMs.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CreateTaskResultSchema, ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectInProcess, fakeCritics, makeSandbox, type Sandbox } from '../support/harness.js';
import { createTask, pollUntilDone, taskResult, textOf } from '../support/tasks.js';

let sandbox: Sandbox;
let closers: Array<() => Promise<void>> = [];
beforeEach(() => {
  sandbox = makeSandbox('brutalist-task-args-');
});
afterEach(async () => {
  for (const close of closers.reverse()) await close();
  closers = [];
  sandbox.cleanup();
});

async function connect(): Promise<Client> {
  const c = await connectInProcess(fakeCritics(sandbox, { taskPollIntervalMs: 100 }), {
    env: { PATH: process.env.PATH, HOME: sandbox.home },
  });
  closers.push(c.close);
  return c.client;
}

/** Creates a task with `_meta` and returns its final status and result. */
async function runTask(client: Client, args: Record<string, unknown>, meta?: Record<string, unknown>) {
  const created = await client.request(
    {
      method: 'tools/call',
      params: { name: 'roast', arguments: args, task: {}, ...(meta ? { _meta: meta } : {}) },
    },
    CreateTaskResultSchema,
  );
  const seen = await pollUntilDone(client, created.task.taskId);
  const result = await taskResult(client, created.task.taskId);
  const error = (
    result.structuredContent as { error?: { code: string; data?: Record<string, unknown> } } | undefined
  )?.error;
  return { status: seen.at(-1)?.status, result, error };
}

const idea = { domain: 'idea', context: 'An idea.', clis: ['claude'] };

describe('task-augmented calls with bad input', () => {
  it('refuses a task for a tool that does not run as one, as MethodNotFound naming the tool', async () => {
    const client = await connect();
    const err = await createTask(client, 'brutalist_discover', { intent: 'review my code' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).code).toBe(ErrorCode.MethodNotFound);
    expect((err as McpError).message).toContain('brutalist_discover does not run as a task');
  });

  it.each([
    ['cursor', { cursor: 'abc' }],
    ['context_id', { context_id: 'ctx_1' }],
    ['cancel', { cancel: true, context_id: 'ctx_1' }],
  ])(
    'fails a task given the follow-up field %s as INVALID_ARGUMENT naming that field',
    async (field, extra) => {
      const client = await connect();
      const { status, result, error } = await runTask(client, { ...idea, ...extra });
      expect(status).toBe('failed');
      expect(result.isError).toBe(true);
      expect(error?.code).toBe('INVALID_ARGUMENT');
      expect(error?.data).toMatchObject({ field: field === 'cancel' ? 'context_id' : field });
    },
  );

  it.each([0, -5, 1.5, 'soon'])(
    'fails a task whose _meta.timeoutMs is %s as INVALID_ARGUMENT',
    async (timeoutMs) => {
      const client = await connect();
      const { status, error } = await runTask(client, idea, { timeoutMs });
      expect(status).toBe('failed');
      expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', data: { field: '_meta.timeoutMs' } });
    },
  );

  it('runs a task within a valid _meta.timeoutMs', async () => {
    const client = await connect();
    const { status, result } = await runTask(client, idea, { timeoutMs: 60_000 });
    expect(status).toBe('completed');
    expect(result.isError).toBeFalsy();
    expect(textOf(result).length).toBeGreaterThan(0);
  });
});
