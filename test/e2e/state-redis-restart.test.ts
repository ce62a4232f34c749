// Redis with persistence: a private redis-server with AOF on a free port. Both Redis and the server are
// killed with SIGKILL and started again; cursors, context ids and conversations (resume) still work.
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
import { type PrivateRedis, startPrivateRedis } from '../support/redis.js';

type Structured = { contextId: string; page: { nextOffset: number | null; nextCursor: string | null } };

let sandbox: Sandbox;
let redis: PrivateRedis;
let env: Record<string, string>;

beforeAll(async () => {
  sandbox = makeSandbox('brutalist-redis-restart-');
  redis = await startPrivateRedis();
  env = serverEnv(sandbox, { BRUTALIST_PAGE_CHARS: '20000', BRUTALIST_REDIS_URL: redis.url });
});

afterAll(async () => {
  await redis?.cleanup();
  sandbox?.cleanup();
});

/** The built server over stdio (the harness's connectStdio), with the pid this test kills. */
function start(): Promise<{ client: Client; pid: number }> {
  return connectStdio(env, sandbox.project);
}

async function call(client: Client, args: Record<string, unknown>): Promise<Structured & { text: string }> {
  const r = (await client.callTool({ name: 'roast', arguments: args })) as CallToolResult;
  expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
  const text = r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
  return { ...(r.structuredContent as unknown as Structured), text: text.split('\n\n---\n')[0]! };
}

describe('restart with Redis (AOF) as the store', () => {
  it('serves old cursors, context ids and conversations after both Redis and the server were killed', async () => {
    const first = await start();
    const long = await call(first.client, {
      domain: 'idea',
      context: 'Long\n@@fake spew_bytes=50000',
      clis: ['codex'],
    });
    const page2 = await call(first.client, { domain: 'idea', cursor: long.page.nextCursor });
    const convo = await call(first.client, { domain: 'product', context: 'Socks by mail', clis: ['gemini'] });

    await redis.stop(true);
    process.kill(first.pid, 'SIGKILL');
    expect(await waitFor(() => !isAlive(first.pid), 5_000)).toBe(true);
    await first.client.close().catch(() => {});
    await redis.start();

    const second = await start();
    try {
      expect((await call(second.client, { domain: 'idea', cursor: long.page.nextCursor })).text).toBe(
        page2.text,
      );
      const byId = await call(second.client, {
        domain: 'idea',
        context_id: long.contextId,
        offset: long.page.nextOffset,
      });
      expect(byId.text).toBe(page2.text);
      await call(second.client, {
        domain: 'product',
        context_id: convo.contextId,
        resume: true,
        context: 'What about B2B?',
      });
      expect(readLog(sandbox.log).at(-1)!.stdin).toContain('Socks by mail');
    } finally {
      await second.client.close();
    }
  });
});
