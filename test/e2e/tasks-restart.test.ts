// MCP tasks survive a server restart (SIGKILL, then a new process on the same store): a completed task still
// answers its result; a task whose run died with the old process ends failed with RUN_LOST, never working forever.
// Once with the SQLite state file (the default), once with the machine's Redis under a unique key prefix.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectStdio,
  isAlive,
  makeSandbox,
  readLog,
  type Sandbox,
  serverEnv,
  waitFor,
} from '../support/harness.js';
import { deletePrefix, SHARED_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { createTask, critiqueOf, pollUntilDone, slowIdea, taskResult } from '../support/tasks.js';

const backends: Array<{ name: string; env: () => Record<string, string>; cleanup: () => Promise<void> }> = [
  { name: 'SQLite state file', env: () => ({}), cleanup: async () => {} },
  (() => {
    const prefix = uniquePrefix('tasks-restart');
    return {
      name: 'Redis (unique prefix)',
      env: () => ({ BRUTALIST_REDIS_URL: SHARED_REDIS_URL, BRUTALIST_REDIS_KEY_PREFIX: prefix }),
      cleanup: () => deletePrefix(SHARED_REDIS_URL, prefix),
    };
  })(),
];

describe.each(backends)('tasks across a restart with the $name', (backend) => {
  let sandbox: Sandbox;
  let env: Record<string, string>;
  beforeAll(() => {
    sandbox = makeSandbox('brutalist-tasks-restart-');
    // A 1 s lease: a run whose process died reads lost one second after its last heartbeat.
    env = serverEnv(sandbox, {
      BRUTALIST_LOCK_TTL_MS: '1000',
      BRUTALIST_TASK_POLL_INTERVAL_MS: '200',
      ...backend.env(),
    });
  });
  afterAll(async () => {
    await backend.cleanup();
    sandbox?.cleanup();
  });

  async function kill(server: { client: Client; pid: number }): Promise<void> {
    process.kill(server.pid, 'SIGKILL');
    expect(await waitFor(() => !isAlive(server.pid), 5_000)).toBe(true);
    await server.client.close().catch(() => {});
  }

  const hungCritic = () => readLog(sandbox.log).find((l) => l.stdin.includes('Hang.'))?.pid;

  it('a completed task answers its result after the server was killed and started again', async () => {
    const first = await connectStdio(env, sandbox.project);
    const task = await createTask(first.client, 'roast', {
      domain: 'idea',
      context: slowIdea(300, 'done before the kill'),
      clis: ['gemini'],
    });
    expect((await pollUntilDone(first.client, task.taskId)).at(-1)?.status).toBe('completed');
    const before = await taskResult(first.client, task.taskId);
    await kill(first);

    const second = await connectStdio(env, sandbox.project);
    try {
      expect(await second.client.experimental.tasks.getTask(task.taskId)).toMatchObject({
        taskId: task.taskId,
        status: 'completed',
        createdAt: task.createdAt,
      });
      const after: CallToolResult = await taskResult(second.client, task.taskId);
      expect(after.isError).toBeFalsy();
      expect(critiqueOf(after)).toBe(critiqueOf(before));
      const listed = (await second.client.experimental.tasks.listTasks()).tasks.map((t) => t.taskId);
      expect(listed).toContain(task.taskId);
    } finally {
      await second.client.close();
    }
  });

  it('a task whose run died with the killed server ends failed with RUN_LOST', async () => {
    const first = await connectStdio(env, sandbox.project);
    const task = await createTask(first.client, 'roast', {
      domain: 'idea',
      context: 'Hang.\n@@fake hang=1',
      clis: ['claude'],
    });
    expect((await first.client.experimental.tasks.getTask(task.taskId)).status).toBe('working');
    expect(await waitFor(() => hungCritic() !== undefined, 10_000)).toBe(true);
    await kill(first);
    // SIGKILL gives the server no chance to stop its critic: the test does, so nothing is left behind.
    const orphan = hungCritic()!;
    process.kill(-orphan, 'SIGKILL');
    expect(await waitFor(() => !isAlive(orphan), 5_000)).toBe(true);

    const second = await connectStdio(env, sandbox.project);
    try {
      const seen = await pollUntilDone(second.client, task.taskId, 15_000);
      const last = seen.at(-1);
      expect(last?.status).toBe('failed');
      expect(last?.statusMessage).toMatch(/^RUN_LOST: /);
      const result = await taskResult(second.client, task.taskId);
      expect(result.isError).toBe(true);
      expect(result.structuredContent).toMatchObject({ error: { code: 'RUN_LOST' } });
    } finally {
      await second.client.close();
    }
  });
});
