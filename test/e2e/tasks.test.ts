// MCP tasks over stdio (the built server, fake critics, the real SDK client): create → working → completed with
// the same result as a plain call; cancel kills the critic; a call that fails early is a failed task.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { type CallToolResult, CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { isAlive, readLog, waitFor } from '../support/harness.js';
import { stdioPerTest } from '../support/stdio-per-test.js';
import { createTask, critiqueOf, pollUntilDone, slowIdea, taskResult } from '../support/tasks.js';

const servers = stdioPerTest('brutalist-tasks-', { BRUTALIST_TASK_POLL_INTERVAL_MS: '200' });

async function start(extra: Record<string, string> = {}): Promise<Client> {
  return (await servers.start(extra)).client;
}

const structured = (r: CallToolResult) => r.structuredContent as Record<string, unknown> & { status: string };

describe('capabilities', () => {
  it('advertises tasks (list, cancel, tools/call) and marks roast and the debate as optional tasks', async () => {
    const client = await start();
    expect(client.getServerCapabilities()?.tasks).toEqual({
      list: {},
      cancel: {},
      requests: { tools: { call: {} } },
    });
    const { tools } = await client.listTools();
    const support = Object.fromEntries(tools.map((t) => [t.name, t.execution?.taskSupport]));
    expect(support).toEqual({
      roast: 'optional',
      roast_cli_debate: 'optional',
      brutalist_discover: undefined,
      cli_agent_roster: undefined,
    });
  });

  it('refuses a task for a tool that does not run as one (method not found)', async () => {
    const client = await start();
    await expect(createTask(client, 'cli_agent_roster', {})).rejects.toMatchObject({ code: -32601 });
  });
});

describe('a critique as a task', () => {
  it('is working, then completed, and its result is what a plain call answers', async () => {
    const client = await start();
    const args = { domain: 'idea', context: slowIdea(1_200), clis: ['claude'] };
    const plain = (await client.callTool({ name: 'roast', arguments: args })) as CallToolResult;
    expect(structured(plain).status).toBe('done');

    const task = await createTask(client, 'roast', { ...args, force_refresh: true }, 120_000);
    expect(task).toMatchObject({ status: 'working', ttl: 120_000, pollInterval: 200 });
    const seen = await pollUntilDone(client, task.taskId);
    expect(seen[0]?.status).toBe('working');
    expect(seen.at(-1)?.status).toBe('completed');

    const result = await taskResult(client, task.taskId);
    expect(result.isError).toBeFalsy();
    expect(structured(result)).toMatchObject({ status: 'done', contextId: task.taskId, cached: false });
    expect(critiqueOf(result)).toBe(critiqueOf(plain));
    expect(critiqueOf(result)).toContain('FAKE-CLAUDE CRITIQUE');
    // One run record, two ways to wait: the task id is the context id a plain wait takes.
    const waited = (await client.callTool({
      name: 'roast',
      arguments: { context_id: task.taskId },
    })) as CallToolResult;
    expect(critiqueOf(waited)).toBe(critiqueOf(result));
  });

  it('streams through the SDK client: taskCreated, taskStatus…, then the result', async () => {
    const client = await start();
    const stream = client.experimental.tasks.callToolStream(
      {
        name: 'roast_cli_debate',
        arguments: { topic: slowIdea(600), proPosition: 'yes', conPosition: 'no' },
      },
      CallToolResultSchema,
      { task: {} },
    );
    const kinds: string[] = [];
    let last: CallToolResult | undefined;
    for await (const message of stream) {
      kinds.push(message.type);
      if (message.type === 'result') last = message.result as CallToolResult;
      if (message.type === 'error') throw message.error;
    }
    expect(kinds[0]).toBe('taskCreated');
    expect(kinds.at(-1)).toBe('result');
    expect(structured(last!)).toMatchObject({ status: 'done', tool: 'roast_cli_debate' });
  });

  it('is listed for its principal', async () => {
    const client = await start();
    const a = await createTask(client, 'roast', { domain: 'idea', context: slowIdea(300), clis: ['codex'] });
    const b = await createTask(client, 'roast', { domain: 'idea', context: slowIdea(300), clis: ['gemini'] });
    const { tasks } = await client.experimental.tasks.listTasks();
    expect(tasks.map((t) => t.taskId)).toEqual([a.taskId, b.taskId]);
  });

  it('is cancelled by tasks/cancel: the critic is killed and the task and a plain wait both say cancelled', async () => {
    const client = await start();
    const task = await createTask(client, 'roast', {
      domain: 'idea',
      context: 'Hang.\n@@fake hang=1',
      clis: ['codex'],
    });
    expect(
      await waitFor(() => readLog(servers.sandbox.log).some((l) => l.stdin.includes('Hang.')), 10_000),
    ).toBe(true);
    const pid = readLog(servers.sandbox.log).find((l) => l.stdin.includes('Hang.'))!.pid;
    const cancelled = await client.experimental.tasks.cancelTask(task.taskId);
    expect(cancelled.status).toBe('cancelled');
    expect(await waitFor(() => !isAlive(pid), 10_000)).toBe(true);
    expect((await client.experimental.tasks.getTask(task.taskId)).status).toBe('cancelled');
    expect(structured(await taskResult(client, task.taskId))).toMatchObject({ status: 'cancelled' });
    const waited = (await client.callTool({
      name: 'roast',
      arguments: { context_id: task.taskId },
    })) as CallToolResult;
    expect(structured(waited).status).toBe('cancelled');
  });

  it('fails with the error a plain call would give when the call is bad (no run starts)', async () => {
    const client = await start();
    const task = await createTask(client, 'roast', { context: 'no domain' });
    const [status] = await pollUntilDone(client, task.taskId);
    expect(status).toMatchObject({ status: 'failed' });
    expect(status?.statusMessage).toMatch(/^INVALID_ARGUMENT: /);
    const result = await taskResult(client, task.taskId);
    expect(result.isError).toBe(true);
    expect(structured(result)).toMatchObject({ status: 'error', error: { code: 'INVALID_ARGUMENT' } });
  });

  it('refuses follow-up arguments: a task starts a new critique', async () => {
    const client = await start();
    const task = await createTask(client, 'roast', { context_id: 'ctx_x' });
    const result = await taskResult(client, task.taskId);
    expect(structured(result)).toMatchObject({
      error: { code: 'INVALID_ARGUMENT', data: { field: 'context_id' } },
    });
  });

  it('refuses a new task with TOO_MANY_TASKS while all the principal may hold are working', async () => {
    const client = await start({ BRUTALIST_TASK_MAX_PER_PRINCIPAL: '1' });
    const hang = { domain: 'idea', context: 'Hang.\n@@fake hang=1', clis: ['codex'] };
    const first = await createTask(client, 'roast', hang);
    expect(first.status).toBe('working');
    await expect(createTask(client, 'roast', { ...hang, clis: ['claude'] })).rejects.toMatchObject({
      code: -32603,
      data: { code: 'TOO_MANY_TASKS', retryable: true },
    });
    await client.experimental.tasks.cancelTask(first.taskId);
    // A finished task makes room (it drops out of the list, still readable by id).
    const next = await createTask(client, 'roast', { domain: 'idea', context: 'quick', clis: ['claude'] });
    expect((await client.experimental.tasks.listTasks()).tasks.map((t) => t.taskId)).toEqual([next.taskId]);
    expect((await client.experimental.tasks.getTask(first.taskId)).status).toBe('cancelled');
  });
});
