// Sessions of `serve --http`: principals isolated, results outliving connections, idle expiry and session limits.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { type CallToolResult, LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/infra/index.js';
import type { HttpService } from '../../src/transport/index.js';
import { makeSandbox, readLog, type Sandbox, waitUntil } from '../support/harness.js';
import { connectHttp, INITIALIZE, raw, startService, writeKeys } from '../support/http.js';

let sandbox: Sandbox;
let service: HttpService | undefined;
let keys: ReturnType<typeof writeKeys>;
const clients: Client[] = [];

beforeEach(() => {
  sandbox = makeSandbox('brutalist-http-sess-');
  keys = writeKeys(sandbox, { alice: ['roast', 'debate'], bob: ['roast', 'debate'] });
});

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => {});
  await service?.close();
  service = undefined;
  sandbox.cleanup();
});

async function client(who: 'alice' | 'bob') {
  if (!service) throw new Error('no service');
  const connection = await connectHttp(service, keys.tokens[who]);
  clients.push(connection.client);
  return connection;
}

const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
const structured = (r: CallToolResult) =>
  r.structuredContent as {
    status: string;
    contextId: string;
    error?: { code: string };
    page?: { nextCursor: string | null };
  };

describe('two principals', () => {
  it('never see each other’s progress, logs, results, cursors or context ids', async () => {
    service = await startService(sandbox, { apiKeysFile: keys.file, progressIntervalMs: 250 });
    const a = await client('alice');
    const b = await client('bob');
    const seen: Record<string, string[]> = { alice: [], bob: [] };
    for (const [who, c] of [
      ['alice', a.client],
      ['bob', b.client],
    ] as const) {
      c.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
        seen[who]!.push(JSON.stringify(n.params));
      });
      await c.setLoggingLevel('debug');
    }
    const roast = (c: Client, mark: string) =>
      c.callTool(
        {
          name: 'roast',
          arguments: {
            domain: 'idea',
            context: `An app.\n@@fake delay_ms=300\n@@fake text=${mark} ${'filler words here '.repeat(120)}`,
            limit: 1_000,
          },
        },
        undefined,
        { onprogress: (p) => seen[mark === 'ALICEMARK' ? 'alice' : 'bob']!.push(JSON.stringify(p)) },
      ) as Promise<CallToolResult>;
    const [ra, rb] = await Promise.all([roast(a.client, 'ALICEMARK'), roast(b.client, 'BOBMARK')]);
    expect(text(ra)).toContain('ALICEMARK');
    expect(text(rb)).toContain('BOBMARK');
    expect(text(ra)).not.toContain('BOBMARK');
    expect(seen.alice!.join('\n')).not.toContain('BOBMARK');
    expect(seen.bob!.join('\n')).not.toContain('ALICEMARK');
    expect(seen.alice!.length).toBeGreaterThan(0);

    // Bob cannot page Alice's result by her cursor, nor read it by her context id.
    const cursor = structured(ra).page?.nextCursor;
    expect(cursor).toBeTruthy();
    const byCursor = (await b.client.callTool({ name: 'roast', arguments: { cursor } })) as CallToolResult;
    expect(byCursor.isError).toBe(true);
    expect(text(byCursor)).not.toContain('ALICEMARK');
    const byContext = (await b.client.callTool({
      name: 'roast',
      arguments: { context_id: structured(ra).contextId },
    })) as CallToolResult;
    expect(byContext.isError).toBe(true);
    expect(structured(byContext).error?.code).toBe('CONTEXT_NOT_FOUND');
    // Alice can.
    const mine = (await a.client.callTool({ name: 'roast', arguments: { cursor } })) as CallToolResult;
    expect(mine.isError ?? false).toBe(false);
  });

  it('never answer one from the other’s cache: the same question from Bob runs his own critique', async () => {
    service = await startService(sandbox, { apiKeysFile: keys.file });
    const a = await client('alice');
    const b = await client('bob');
    const args = { domain: 'idea', context: 'A shared question.\n@@fake text=the answer', limit: 1_000 };
    const ask = async (c: Client) =>
      (
        (await c.callTool({ name: 'roast', arguments: args })) as CallToolResult & {
          structuredContent: { cached: boolean };
        }
      ).structuredContent.cached;
    expect(await ask(a.client)).toBe(false);
    expect(await ask(a.client)).toBe(true);
    expect(await ask(b.client)).toBe(false);
    const runs = readLog(sandbox.log).filter((l) => !l.argv.includes('--version'));
    expect(runs).toHaveLength(2);
  });
});

describe('results outlive connections', () => {
  it('a critique keeps running when its client drops; the same principal reconnects and gets it by context_id', async () => {
    service = await startService(sandbox, { apiKeysFile: keys.file, waitMs: 200, progressIntervalMs: 250 });
    const first = await client('alice');
    const started = (await first.client.callTool({
      name: 'roast',
      arguments: { domain: 'idea', context: 'A plan.\n@@fake delay_ms=1500\n@@fake text=OUTLIVED critique' },
    })) as CallToolResult;
    expect(structured(started).status).toBe('running');
    const contextId = structured(started).contextId;
    // The client goes away without ending its session (no DELETE): its connections just close.
    await first.transport.close();

    const bob = await client('bob');
    const stolen = (await bob.client.callTool({
      name: 'roast',
      arguments: { context_id: contextId },
    })) as CallToolResult;
    expect(structured(stolen).error?.code).toBe('CONTEXT_NOT_FOUND');

    const again = await client('alice');
    let result: CallToolResult | undefined;
    let progress = 0;
    for (let i = 0; i < 50; i++) {
      result = (await again.client.callTool(
        { name: 'roast', arguments: { context_id: contextId } },
        undefined,
        {
          onprogress: () => {
            progress++;
          },
        },
      )) as CallToolResult;
      if (structured(result).status !== 'running') break;
    }
    // The progress of the run it waits on reaches the new connection.
    expect(progress).toBeGreaterThan(0);
    expect(text(result!)).toContain('OUTLIVED critique');
    expect(readLog(sandbox.log).filter((l) => !l.argv.includes('--version')).length).toBe(1);
  });

  it('a call whose connection drops mid-wait goes on; asking again joins it instead of starting another', async () => {
    service = await startService(sandbox, { apiKeysFile: keys.file });
    const first = await client('alice');
    const args = { domain: 'idea', context: 'A plan.\n@@fake delay_ms=1500\n@@fake text=JOINED critique' };
    const pending = first.client.callTool({ name: 'roast', arguments: args }).catch((e: unknown) => e);
    await waitUntil(() => readLog(sandbox.log).some((l) => l.stdin.includes('JOINED')));
    await first.transport.close(); // no notifications/cancelled: the connection is just gone
    await pending;
    const again = await client('alice');
    const result = (await again.client.callTool({ name: 'roast', arguments: args })) as CallToolResult;
    expect(text(result)).toContain('JOINED critique');
    expect(readLog(sandbox.log).filter((l) => l.stdin.includes('JOINED')).length).toBe(1);
  });
});

describe('session bounds', () => {
  it('ends a session idle for httpSessionIdleMs; its id then answers 404', async () => {
    const clock = new ManualClock();
    service = await startService(sandbox, { apiKeysFile: keys.file, httpSessionIdleMs: 60_000 }, { clock });
    const res = await raw(service, {
      body: INITIALIZE,
      headers: { authorization: `Bearer ${keys.tokens.alice}` },
    });
    const id = String(res.headers['mcp-session-id']);
    const list = () =>
      raw(service!, {
        body: { jsonrpc: '2.0', id: 2, method: 'tools/list' },
        headers: {
          authorization: `Bearer ${keys.tokens.alice}`,
          'mcp-session-id': id,
          'mcp-protocol-version': '2025-11-25',
        },
      });
    clock.advance(59_000);
    expect((await list()).status).toBe(200); // activity renews it
    clock.advance(59_000);
    expect(service.sessions.size).toBe(1);
    clock.advance(1_000);
    const after = await list(); // idle for exactly httpSessionIdleMs
    expect(after.status).toBe(404);
    expect(after.json().error.data.code).toBe('SESSION_NOT_FOUND');
    expect(service.sessions.size).toBe(0);
  });

  it('frees idle sessions nobody asks about within half the idle time', async () => {
    const clock = new ManualClock();
    service = await startService(sandbox, { apiKeysFile: keys.file, httpSessionIdleMs: 60_000 }, { clock });
    await raw(service, { body: INITIALIZE, headers: { authorization: `Bearer ${keys.tokens.alice}` } });
    clock.advance(59_999);
    expect(service.sessions.size).toBe(1);
    clock.advance(30_000);
    expect(service.sessions.size).toBe(0);
  });

  it('refuses a principal’s session over httpMaxSessionsPerPrincipal with 429, others unaffected', async () => {
    service = await startService(sandbox, { apiKeysFile: keys.file, httpMaxSessionsPerPrincipal: 2 });
    const open = (who: string) =>
      raw(service!, { body: INITIALIZE, headers: { authorization: `Bearer ${keys.tokens[who]}` } });
    const results = await Promise.all([open('alice'), open('alice'), open('alice')]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 429]);
    const refused = results.find((r) => r.status === 429)!;
    expect(refused.json().error.data).toMatchObject({ code: 'TOO_MANY_SESSIONS', limit: 2 });
    expect((await open('bob')).status).toBe(200);
    expect(service.sessions.countOf('alice')).toBe(2);
  });
});
