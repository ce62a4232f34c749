// One result shape every client shows: the real SDK client validates roast/debate results against the outputSchema.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  type CallToolResult,
  ListToolsRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TOOLS } from '../../src/mcp/index.js';
import { connectInProcess, fakeCritics, makeSandbox, type Sandbox } from '../support/harness.js';

let sandbox: Sandbox;
let closers: Array<() => Promise<void>> = [];
beforeEach(() => {
  sandbox = makeSandbox('brutalist-results-');
});
afterEach(async () => {
  for (const close of closers.reverse()) await close();
  closers = [];
  sandbox.cleanup();
});

/** Connected and with the tool list fetched: the SDK client validates structuredContent only for tools it listed. */
async function connect(overrides: Parameters<typeof fakeCritics>[1] = {}) {
  const env = { PATH: process.env.PATH, HOME: sandbox.home };
  const c = await connectInProcess(fakeCritics(sandbox, overrides), { env });
  closers.push(c.close);
  await c.client.listTools();
  return c;
}

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
const structured = (r: CallToolResult) => r.structuredContent as Record<string, unknown>;

describe('tool definitions', () => {
  it('declare one outputSchema for roast and roast_cli_debate and keep the read-only annotations', async () => {
    const { client } = await connect();
    const { tools } = await client.listTools();
    for (const name of ['roast', 'roast_cli_debate']) {
      const tool = tools.find((t) => t.name === name)!;
      expect(tool.outputSchema?.type).toBe('object');
      expect(tool.outputSchema?.required).toEqual(['text', 'status']);
      expect(tool.annotations).toMatchObject({
        readOnlyHint: true,
        destructiveHint: false,
        openWorldHint: true,
      });
    }
  });
});

describe('what a client that reads structuredContent sees', () => {
  it('puts the page text, footer included, first in structuredContent, the same as content[0].text', async () => {
    const { client } = await connect({ pageChars: 1_000 });
    const result = await call(client, 'roast', {
      domain: 'idea',
      context: `long\n@@fake text=${'critique '.repeat(400)}`,
      clis: ['claude'],
    });
    expect(result.isError).toBeFalsy();
    const s = structured(result);
    expect(Object.keys(s)[0]).toBe('text');
    expect(s.text).toBe(text(result));
    expect(s.status).toBe('done');
    // What Claude Code and Codex hand the model: the critique and how to get the next page are in it.
    const seen = JSON.stringify(s);
    expect(seen).toContain('critique critique');
    expect(seen).toContain('Next page: call `roast` with');
  });

  it('keeps critics lean (no argv, CLI version or prompt hash) unless verbose', async () => {
    const { client } = await connect();
    const lean = structured(await call(client, 'roast', { domain: 'idea', context: 'x', clis: ['claude'] }));
    const critic = (lean.critics as Array<Record<string, unknown>>)[0]!;
    expect(critic).toMatchObject({ critic: 'claude', ok: true });
    expect(critic).not.toHaveProperty('argv');
    expect(critic).not.toHaveProperty('promptSha256');
    const verbose = structured(
      await call(client, 'roast', { domain: 'idea', context: 'x', clis: ['claude'], verbose: true }),
    );
    const detailed = (verbose.critics as Array<Record<string, unknown>>)[0]!;
    expect(detailed.argv).toEqual(expect.arrayContaining(['-p']));
    expect(detailed.cliVersion).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('gives error results the same shape: readable text, status error, the code', async () => {
    const { client } = await connect();
    const result = await call(client, 'roast', { domain: 'codebase', target: '/etc' });
    expect(result.isError).toBe(true);
    const s = structured(result);
    expect(s).toMatchObject({ status: 'error', error: { code: 'PATH_OUTSIDE_ROOT', retryable: false } });
    expect(s.text).toBe(text(result));
    expect(s.text).toContain('PATH_OUTSIDE_ROOT');
  });

  it('validates debate results too', async () => {
    const { client } = await connect();
    const result = await call(client, 'roast_cli_debate', {
      topic: 'tabs',
      proPosition: 'tabs',
      conPosition: 'spaces',
      agents: ['claude', 'codex'],
    });
    expect(result.isError).toBeFalsy();
    expect(structured(result)).toMatchObject({ status: 'done', tool: 'roast_cli_debate' });
    expect(structured(result).text).toBe(text(result));
  });
});

describe('the SDK client check these tests rely on', () => {
  it('throws on a result that does not fit the declared schema, even with isError', async () => {
    // A server declaring our roast tool but answering off-schema: proves the client really validates.
    const server = new Server({ name: 'off-schema', version: '1.0.0' }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [TOOLS.roast.definition] }));
    server.setRequestHandler(CallToolRequestSchema, async () => ({
      isError: true,
      content: [{ type: 'text', text: 'Error X' }],
      structuredContent: { error: { code: 'X', message: 'm', retryable: false, data: {} } },
    }));
    const [a, b] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: 't', version: '1.0.0' });
    await server.connect(b);
    await client.connect(a);
    closers.push(() => client.close());
    await client.listTools();
    await expect(client.callTool({ name: 'roast', arguments: {} })).rejects.toThrow(/structured content/i);
  });
});

/** The call the footer tells the model to make, parsed from the text it reads. */
function nextCall(r: CallToolResult): { tool: string; args: Record<string, unknown> } {
  const m = /Next page: call `(\w+)` with `(\{[^`]+\})`/.exec(text(r));
  expect(m).not.toBeNull();
  return { tool: m![1]!, args: JSON.parse(m![2]!) as Record<string, unknown> };
}

describe('follow-up calls', () => {
  const long = `long\n@@fake text=${'0123456789'.repeat(250)}`;

  it('roast pages with exactly the call the text names: the cursor alone, then context_id + offset alone', async () => {
    const { client } = await connect({ pageChars: 1_000 });
    const first = await call(client, 'roast', { domain: 'idea', context: long, clis: ['claude'] });
    const next = nextCall(first);
    expect(next.tool).toBe('roast');
    expect(Object.keys(next.args)).toEqual(['cursor']);
    const second = await call(client, next.tool, next.args);
    expect(second.isError).toBeFalsy();
    expect(structured(second).page).toMatchObject({ offset: 1_000 });
    const contextId = structured(first).contextId as string;
    const third = await call(client, 'roast', { context_id: contextId, offset: 2_000 });
    expect(third.isError).toBeFalsy();
    expect(structured(third).page).toMatchObject({ offset: 2_000 });
    const again = await call(client, 'roast', { context_id: contextId });
    expect(structured(again)).toMatchObject({ status: 'done', page: { offset: 0 } });
  });

  it('roast_cli_debate pages by cursor or context_id alone, without topic and positions', async () => {
    const { client } = await connect({ pageChars: 1_000 });
    const first = await call(client, 'roast_cli_debate', {
      topic: `t\n@@fake text=${'x'.repeat(2_500)}`,
      proPosition: 'a',
      conPosition: 'b',
      agents: ['claude', 'codex'],
    });
    const next = nextCall(first);
    expect(next.tool).toBe('roast_cli_debate');
    const second = await call(client, next.tool, next.args);
    expect(second.isError).toBeFalsy();
    expect(structured(second).page).toMatchObject({ offset: 1_000 });
    const byId = await call(client, 'roast_cli_debate', {
      context_id: structured(first).contextId as string,
      offset: 1_000,
    });
    // The same page (the footers differ: each carries a freshly signed cursor).
    const body = (r: CallToolResult) => text(r).split('\n\n---\n')[0];
    expect(body(byId)).toBe(body(second));
    expect(structured(byId).page).toMatchObject({ offset: 1_000, nextOffset: 2_000 });
  });

  it('still refuses a new roast without a domain, naming the domains', async () => {
    const { client } = await connect();
    const result = await call(client, 'roast', { context: 'an idea' });
    expect(structured(result)).toMatchObject({ status: 'error', error: { code: 'INVALID_ARGUMENT' } });
    expect(text(result)).toContain('domain');
    expect(text(result)).toContain('codebase, file_structure');
  });

  it('still refuses a new debate without its positions, naming the missing ones', async () => {
    const { client } = await connect();
    const result = await call(client, 'roast_cli_debate', { topic: 'tabs' });
    expect(structured(result)).toMatchObject({
      error: { code: 'INVALID_ARGUMENT', data: { field: 'proPosition' } },
    });
    expect(text(result)).toContain('`proPosition`, `conPosition`');
  });
});

describe('pending results', () => {
  it('fit the outputSchema, and only their owner may wait on or cancel them', async () => {
    const env = { PATH: process.env.PATH, HOME: sandbox.home };
    const alice = await connectInProcess(fakeCritics(sandbox, { waitMs: 200 }), { env, owner: 'alice' });
    closers.push(alice.close);
    const bob = await connectInProcess({}, { owner: 'bob', app: alice.app });
    closers.push(bob.close);
    await alice.client.listTools();
    await bob.client.listTools();
    const first = await call(alice.client, 'roast', {
      domain: 'idea',
      context: 'slow\n@@fake delay_ms=1500',
      clis: ['claude'],
    });
    expect(structured(first)).toMatchObject({ status: 'running', tool: 'roast' });
    expect(structured(first).text).toBe(text(first));
    const contextId = structured(first).contextId as string;
    for (const args of [{ context_id: contextId }, { context_id: contextId, cancel: true }]) {
      const refused = await call(bob.client, 'roast', args);
      expect(structured(refused)).toMatchObject({ status: 'error', error: { code: 'CONTEXT_NOT_FOUND' } });
    }
    let last = first;
    for (let i = 0; i < 100 && structured(last).status === 'running'; i++) {
      last = await call(alice.client, 'roast', { context_id: contextId });
    }
    expect(structured(last)).toMatchObject({ status: 'done', contextId });
    expect(text(last)).toContain('FAKE-CLAUDE CRITIQUE');
  });
});
