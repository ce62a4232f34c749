// Two built servers over stdio on one Redis: a cursor or context id minted by A is served by B, and the
// same expensive request sent to both at once runs the critic once (cross-instance single-flight).
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectStdio, makeSandbox, readLog, type Sandbox, serverEnv } from '../support/harness.js';
import { deletePrefix, SHARED_REDIS_URL, uniquePrefix } from '../support/redis.js';

type Structured = {
  contextId: string;
  page: { nextOffset: number | null; nextCursor: string | null };
  cached: boolean;
};

let sandbox: Sandbox;
const prefix = uniquePrefix('two-instances');
const servers: Array<{ client: Client; close: () => Promise<void> }> = [];

beforeAll(async () => {
  sandbox = makeSandbox('brutalist-two-');
  const env = serverEnv(sandbox, {
    BRUTALIST_PAGE_CHARS: '20000',
    BRUTALIST_REDIS_URL: SHARED_REDIS_URL,
    BRUTALIST_REDIS_KEY_PREFIX: prefix,
    BRUTALIST_LOCK_POLL_MS: '50',
  });
  servers.push(await connectStdio(env, sandbox.project), await connectStdio(env, sandbox.project));
});

afterAll(async () => {
  for (const s of servers) await s.close();
  await deletePrefix(SHARED_REDIS_URL, prefix);
  sandbox?.cleanup();
});

async function call(client: Client, args: Record<string, unknown>): Promise<Structured & { text: string }> {
  const r = (await client.callTool({ name: 'roast', arguments: args })) as CallToolResult;
  expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
  const text = r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
  return { ...(r.structuredContent as unknown as Structured), text: text.split('\n\n---\n')[0]! };
}

const critiqueRuns = () => readLog(sandbox.log).filter((l) => !l.argv.includes('--version')).length;

describe('two instances on one Redis', () => {
  it('serves a cursor and a context id minted by the other instance', async () => {
    const [a, b] = [servers[0]!.client, servers[1]!.client];
    const first = await call(a, {
      domain: 'idea',
      context: 'Long\n@@fake spew_bytes=50000',
      clis: ['codex'],
    });
    expect(first.page.nextCursor).toMatch(/^c_/);
    const viaA = await call(a, { domain: 'idea', cursor: first.page.nextCursor });
    const viaB = await call(b, { domain: 'idea', cursor: first.page.nextCursor });
    expect(viaB.text).toBe(viaA.text);
    const byId = await call(b, {
      domain: 'idea',
      context_id: first.contextId,
      offset: first.page.nextOffset,
    });
    expect(byId.text).toBe(viaA.text);
  });

  it('runs the critic once when the same request reaches both instances at once', async () => {
    const [a, b] = [servers[0]!.client, servers[1]!.client];
    const before = critiqueRuns();
    const args = { domain: 'idea', context: 'Shared flight\n@@fake delay_ms=1500', clis: ['claude'] };
    const [ra, rb] = await Promise.all([call(a, args), call(b, args)]);
    expect(critiqueRuns() - before).toBe(1);
    expect(ra.text).toBe(rb.text);
    expect([ra.cached, rb.cached].sort()).toEqual([false, true]);
  });
});
