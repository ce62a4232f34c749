// MCP tasks from the client side: a task-augmented call as the SDK client streams it, and polls with a bound.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  type CallToolResult,
  CallToolResultSchema,
  CreateTaskResultSchema,
  type Task,
} from '@modelcontextprotocol/sdk/types.js';

export const slowIdea = (ms: number, more = '') => `A slow idea.\n@@fake delay_ms=${ms}\n${more}`;

export const textOf = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');

/** The critique without its footer (which names the context id and cache age). */
export const critiqueOf = (r: CallToolResult) => textOf(r).split('\n\n---\n')[0]!;

/** Starts a task-augmented tools/call and returns the created task (the stream's first message). */
export async function createTask(
  client: Client,
  name: string,
  args: Record<string, unknown>,
  ttl?: number,
): Promise<Task> {
  const result = await client.request(
    { method: 'tools/call', params: { name, arguments: args, task: ttl === undefined ? {} : { ttl } } },
    CreateTaskResultSchema,
  );
  return result.task;
}

/** Polls tasks/get until the task leaves `working` (bounded: never a hang); returns every status seen. */
export async function pollUntilDone(client: Client, taskId: string, limitMs = 30_000): Promise<Task[]> {
  const seen: Task[] = [];
  const until = Date.now() + limitMs;
  for (;;) {
    const task = await client.experimental.tasks.getTask(taskId);
    seen.push(task);
    if (task.status !== 'working' || Date.now() > until) return seen;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function taskResult(client: Client, taskId: string): Promise<CallToolResult> {
  return (await client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema)) as CallToolResult;
}
