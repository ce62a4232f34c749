// MCP tasks over Streamable HTTP (`serve --http`, the built CLI, two API keys, the real SDK client): a task belongs
// to its principal, across sessions; another principal's task id is not found for get, result, cancel and list.
import { type ChildProcess, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_JS, isAlive, makeSandbox, readLog, serverEnv, waitFor } from '../support/harness.js';
import { spawnHttpServe } from '../support/http.js';
import { createTask, pollUntilDone, slowIdea, taskResult } from '../support/tasks.js';

const sandbox = makeSandbox('brutalist-tasks-http-');
const keysFile = join(sandbox.dir, 'keys');
const env = serverEnv(sandbox, { BRUTALIST_API_KEYS_FILE: keysFile, BRUTALIST_TASK_POLL_INTERVAL_MS: '200' });
const tokens: Record<string, string> = {};
const clients: Client[] = [];
let child: ChildProcess | undefined;
let url = '';

function addKey(name: string): string {
  const r = spawnSync(process.execPath, [CLI_JS, 'keys', 'add', name, '--scopes', 'roast'], {
    env,
    cwd: sandbox.project,
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
}

beforeAll(async () => {
  tokens.alice = addKey('alice');
  tokens.bob = addKey('bob');
  const started = spawnHttpServe(sandbox, env);
  child = started.child;
  url = `${await started.url}/mcp`;
});

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => {});
  child?.kill('SIGTERM');
  if (child?.pid) await waitFor(() => !isAlive(child!.pid!), 5_000);
  sandbox.cleanup();
});

async function connect(name: 'alice' | 'bob'): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${tokens[name]}` } },
  });
  const client = new Client({ name: `tasks-${name}`, version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return client;
}

describe('tasks over HTTP', () => {
  it('runs a task to completion over HTTP', async () => {
    const alice = await connect('alice');
    const task = await createTask(alice, 'roast', {
      domain: 'idea',
      context: slowIdea(300),
      clis: ['codex'],
    });
    expect((await pollUntilDone(alice, task.taskId)).at(-1)?.status).toBe('completed');
    expect((await taskResult(alice, task.taskId)).structuredContent).toMatchObject({ status: 'done' });
  });

  it("keeps a principal's tasks from every other principal, and follows the principal across sessions", async () => {
    const alice = await connect('alice');
    const bob = await connect('bob');
    const task = await createTask(alice, 'roast', {
      domain: 'idea',
      context: 'Hang over HTTP.\n@@fake hang=1',
      clis: ['claude'],
    });
    const notFound = { code: -32602 };
    await expect(bob.experimental.tasks.getTask(task.taskId)).rejects.toMatchObject(notFound);
    await expect(taskResult(bob, task.taskId)).rejects.toMatchObject(notFound);
    await expect(bob.experimental.tasks.cancelTask(task.taskId)).rejects.toMatchObject(notFound);
    expect((await bob.experimental.tasks.listTasks()).tasks).toEqual([]);

    // A new session of the same principal sees it, and can cancel it; its critic is stopped.
    const aliceAgain = await connect('alice');
    expect((await aliceAgain.experimental.tasks.getTask(task.taskId)).status).toBe('working');
    expect((await aliceAgain.experimental.tasks.listTasks()).tasks.map((t) => t.taskId)).toContain(
      task.taskId,
    );
    expect(
      await waitFor(() => readLog(sandbox.log).some((l) => l.stdin.includes('Hang over HTTP.')), 10_000),
    ).toBe(true);
    const pid = readLog(sandbox.log).find((l) => l.stdin.includes('Hang over HTTP.'))!.pid;
    expect((await aliceAgain.experimental.tasks.cancelTask(task.taskId)).status).toBe('cancelled');
    expect(await waitFor(() => !isAlive(pid), 10_000)).toBe(true);
  });
});
