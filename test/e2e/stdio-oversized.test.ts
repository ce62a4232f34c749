// End to end: a stdio message over maxMessageBytes gets a JSON-RPC error; the server and its work in flight live on.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { type CallToolResult, McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_JS, isAlive, makeSandbox, type Sandbox, serverEnv } from '../support/harness.js';

const MAX_MESSAGE_BYTES = 1_100_000;
let sandbox: Sandbox;
let client: Client;
let transport: StdioClientTransport;
const stderr: string[] = [];

beforeAll(async () => {
  sandbox = makeSandbox('brutalist-oversized-');
  transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI_JS],
    env: serverEnv(sandbox, {
      BRUTALIST_MAX_CONTEXT_CHARS: '1000',
      BRUTALIST_MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES),
    }),
    cwd: sandbox.project,
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  client = new Client({ name: 'brutalist-oversized', version: '1.0.0' });
  await client.connect(transport);
});

afterAll(async () => {
  await client?.close();
  sandbox?.cleanup();
});

describe('an oversized stdio message', () => {
  it('is answered with a JSON-RPC error by id while a critique in flight completes, and the server stays up', async () => {
    // A critique that takes a while: it must survive the oversized message that arrives meanwhile.
    const slow = client.callTool({
      name: 'roast',
      arguments: { domain: 'idea', context: 'Slow one\n@@fake delay_ms=1500', force_refresh: true },
    }) as Promise<CallToolResult>;
    const oversized = client
      .callTool({ name: 'roast', arguments: { domain: 'idea', context: 'x'.repeat(2 * MAX_MESSAGE_BYTES) } })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    const err = await oversized;
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).code).toBe(-32600);
    expect((err as McpError).message).toMatch(/Message too large: \d+ bytes; .* at most 1100000 bytes/);
    expect((err as McpError).data).toMatchObject({ code: 'INPUT_TOO_LARGE', limit: MAX_MESSAGE_BYTES });

    const result = await slow;
    expect(result.isError).toBeFalsy();
    expect(result.content[0]).toMatchObject({ type: 'text' });
    expect(transport.pid !== null && isAlive(transport.pid)).toBe(true);
    const after = (await client.callTool({ name: 'cli_agent_roster', arguments: {} })) as CallToolResult;
    expect(after.isError).toBeFalsy();
    expect(stderr.join('')).toMatch(
      /dropped a \d+-byte message over maxMessageBytes \(1100000\) for tools\/call/,
    );
  });

  it('within the limit but over maxContextChars is a tool error (INPUT_TOO_LARGE), not a transport one', async () => {
    const result = (await client.callTool({
      name: 'roast',
      arguments: { domain: 'idea', context: 'y'.repeat(5_000) },
    })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect((result.structuredContent as { error: { code: string } }).error.code).toBe('INPUT_TOO_LARGE');
  });
});
