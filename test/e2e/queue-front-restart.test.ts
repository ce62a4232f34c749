// A front restart loses no queued job (issue 16): real `serve --http` fronts in queue mode and a real worker on the
// machine's Redis (unique prefixes). The front is killed mid-run; a new front on the same Redis adopts the run from
// its record, its replay joins the job still on the queue, and the client fetches exactly one result by context id
// (and by task id). The critic runs once.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { isAlive, readLog, waitFor } from '../support/harness.js';
import { spawnHttpServe } from '../support/http.js';
import { queuePerTest } from '../support/queue-per-test.js';
import { createTask, critiqueOf, pollUntilDone, taskResult } from '../support/tasks.js';

const q = queuePerTest('queue-restart', {
  BRUTALIST_WAIT_MS: '300',
  // A 1 s lease: a killed front's run reads lost (and is adopted) one second after its last heartbeat.
  BRUTALIST_LOCK_TTL_MS: '1000',
  BRUTALIST_TASK_POLL_INTERVAL_MS: '200',
});

/** A `serve --http` front of the built CLI and the real SDK client over HTTP. */
async function front(): Promise<{ client: Client; pid: number }> {
  const served = spawnHttpServe(q.sandbox, q.env());
  const pid = served.child.pid ?? -1;
  q.onClose(async () => {
    if (isAlive(pid)) served.child.kill('SIGKILL');
  });
  const url = await served.url;
  const client = new Client({ name: 'brutalist-restart-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
  q.onClose(() => client.close());
  return { client, pid };
}

async function kill(pid: number, signal: NodeJS.Signals): Promise<void> {
  process.kill(pid, signal);
  expect(await waitFor(() => !isAlive(pid), 10_000)).toBe(true);
}

const structured = (r: CallToolResult) => r.structuredContent as Record<string, unknown> & { status: string };

/** An idea the fake critic answers with `answer <tag>` after `ms`. */
const idea = (tag: string, ms: number) =>
  `task ${tag}\n@@fake text=answer ${tag}\n@@fake delay_ms=${ms}\n@@fake log=${q.sandbox.log}`;

/** Critic runs logged for `tag` (version probes log too, without a task line). */
const runsOf = (tag: string) => readLog(q.sandbox.log).filter((l) => l.stdin.includes(`task ${tag}`));

async function roast(client: Client, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name: 'roast', arguments: args })) as CallToolResult;
}

/** Waits by context id until the answer is no longer "running" (bounded). */
async function fetchByContextId(client: Client, contextId: string): Promise<CallToolResult> {
  let last = await roast(client, { context_id: contextId });
  for (let i = 0; i < 100 && structured(last).status === 'running'; i++) {
    last = await roast(client, { context_id: contextId });
  }
  return last;
}

describe('a front restart in queue mode', () => {
  it.each([
    ['SIGKILL', 'crash'],
    ['SIGTERM', 'graceful'],
  ] as const)(
    'after %s of the front, a new front answers the run by context id, once (%s)',
    async (signal, tag) => {
      await q.startWorker();
      const first = await front();
      const pending = await roast(first.client, {
        domain: 'idea',
        context: idea(tag, 2_500),
        clis: ['claude'],
      });
      expect(structured(pending).status).toBe('running');
      const contextId = structured(pending).contextId as string;
      expect(await waitFor(() => runsOf(tag).length === 1, 30_000)).toBe(true);
      await kill(first.pid, signal);

      const second = await front();
      const done = await fetchByContextId(second.client, contextId);
      expect(done.isError).toBeFalsy();
      expect(structured(done)).toMatchObject({ status: 'done', contextId });
      expect(critiqueOf(done)).toContain(`answer ${tag}`);
      // The replay joined the job the dead front left on the queue: the critic ran once.
      expect(runsOf(tag)).toHaveLength(1);
      // Asked again: the same stored result.
      const again = await roast(second.client, { context_id: contextId });
      expect(critiqueOf(again)).toBe(critiqueOf(done));
    },
    120_000,
  );

  it('a task whose front was killed mid-run completes on the next front, with one critic run', async () => {
    await q.startWorker();
    const first = await front();
    const task = await createTask(first.client, 'roast', {
      domain: 'idea',
      context: idea('task', 2_500),
      clis: ['claude'],
    });
    const started = await waitFor(() => runsOf('task').length === 1, 30_000);
    expect(started).toBe(true);
    await kill(first.pid, 'SIGKILL');

    const second = await front();
    const seen = await pollUntilDone(second.client, task.taskId, 20_000);
    expect(seen.map((t) => t.status)).not.toContain('failed');
    expect(seen.at(-1)?.status).toBe('completed');
    const result = await taskResult(second.client, task.taskId);
    expect(result.isError).toBeFalsy();
    expect(critiqueOf(result)).toContain('answer task');
    expect(runsOf('task')).toHaveLength(1);
  }, 120_000);
});
