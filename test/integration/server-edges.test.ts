// The MCP server's edges through the real SDK client in process: calls that cannot be tasks, task follow-up
// arguments, a bad _meta.timeoutMs, unknown tools, and client roots that cannot be listed or hold no file URI.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import {
  type CallToolResult,
  CallToolResultSchema,
  ListRootsRequestSchema,
  McpError,
} from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/engine/config.js';
import { createApp } from '../../src/transport/index.js';
import { connectInProcess, fakeCritics, makeSandbox, readLog, type Sandbox } from '../support/harness.js';
import { createTask, pollUntilDone, taskResult } from '../support/tasks.js';

let sandbox: Sandbox;
let closers: Array<() => Promise<void>> = [];
beforeEach(() => {
  sandbox = makeSandbox('brutalist-server-edges-');
});
afterEach(async () => {
  for (const close of closers.reverse()) await close();
  closers = [];
  sandbox.cleanup();
});

const env = () => ({ PATH: process.env.PATH, HOME: sandbox.home, FAKE_CLI_LOG: sandbox.log });

async function connect(): Promise<Client> {
  const c = await connectInProcess(fakeCritics(sandbox, { taskPollIntervalMs: 100 }), { env: env() });
  closers.push(c.close);
  return c.client;
}

/** A client that offers roots but answers roots/list with `answer` (a throw: the listing fails). */
async function connectWithRoots(answer: () => { roots: Array<{ uri: string }> }): Promise<Client> {
  const app = createApp(resolveConfig({ overrides: { stateStore: 'memory', ...fakeCritics(sandbox) } }), {
    env: env(),
  });
  const server = app.createServer('local');
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client(
    { name: 'edges', version: '1.0.0' },
    { capabilities: { roots: { listChanged: true } } },
  );
  client.setRequestHandler(ListRootsRequestSchema, async () => answer());
  await server.connect(serverSide);
  await client.connect(clientSide);
  closers.push(async () => {
    await client.close();
    await app.shutdown();
  });
  return client;
}

const call = async (
  client: Client,
  name: string,
  args: Record<string, unknown>,
  meta?: Record<string, unknown>,
) =>
  (await client.request(
    { method: 'tools/call', params: { name, arguments: args, ...(meta ? { _meta: meta } : {}) } },
    CallToolResultSchema,
  )) as CallToolResult;
const errorOf = (r: CallToolResult) =>
  (r.structuredContent as { error?: { code: string; data?: Record<string, unknown> } }).error;

describe('task-augmented calls', () => {
  it('refuses a tool that does not run as a task with MethodNotFound', async () => {
    const client = await connect();
    const err = await createTask(client, 'brutalist_discover', { intent: 'review my code' }).catch((e) => e);
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).code).toBe(-32601);
  });

  it.each(['cursor', 'cancel'])('fails a task given the follow-up argument %s, naming it', async (field) => {
    const client = await connect();
    const args = { domain: 'idea', context: 'an idea', [field]: field === 'cancel' ? true : 'c_x' };
    const task = await createTask(client, 'roast', args);
    const [status] = await pollUntilDone(client, task.taskId);
    expect(status?.status).toBe('failed');
    const result = await taskResult(client, task.taskId);
    expect(errorOf(result)).toMatchObject({ code: 'INVALID_ARGUMENT', data: { field } });
  });
});

describe('_meta.timeoutMs', () => {
  it.each([0, 1.5, '100'])(
    'refuses %j as INVALID_ARGUMENT on _meta.timeoutMs before any critic runs',
    async (value) => {
      const client = await connect();
      const result = await call(
        client,
        'roast',
        { domain: 'idea', context: 'an idea' },
        { timeoutMs: value },
      );
      expect(result.isError).toBe(true);
      expect(errorOf(result)).toMatchObject({ code: 'INVALID_ARGUMENT', data: { field: '_meta.timeoutMs' } });
      expect(readLog(sandbox.log).filter((l) => !l.argv.includes('--version'))).toHaveLength(0);
    },
  );
});

describe('unknown tools', () => {
  it('answers INVALID_ARGUMENT listing the tools there are', async () => {
    const client = await connect();
    const result = await call(client, 'roast_everything', {});
    expect(result.isError).toBe(true);
    const error = errorOf(result);
    expect(error?.code).toBe('INVALID_ARGUMENT');
    expect(error?.data?.tools).toEqual(expect.arrayContaining(['roast', 'brutalist_discover']));
  });
});

describe('client roots that give nothing to narrow by', () => {
  it('falls back to the configured roots when listing the client roots fails', async () => {
    const client = await connectWithRoots(() => {
      throw new Error('no roots today');
    });
    const result = await call(client, 'roast', { domain: 'codebase', target: sandbox.project });
    expect(result.isError).toBeFalsy();
  });

  it('falls back to the configured roots when the client offers no file roots', async () => {
    const client = await connectWithRoots(() => ({ roots: [{ uri: 'https://example.com/repo' }] }));
    const result = await call(client, 'roast', { domain: 'codebase', target: sandbox.project });
    expect(result.isError).toBeFalsy();
  });
});
