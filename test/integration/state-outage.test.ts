// A Redis outage through a TCP proxy the test controls (forward / blackhole / refuse): critiques keep being
// served (no cache), the roster reports the store degraded, nothing is left unhandled, memory stays flat,
// and service resumes after Redis returns.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectInProcess, fakeCritics, makeSandbox, type Sandbox } from '../support/harness.js';
import { deletePrefix, SHARED_REDIS_URL, startProxy, type TcpProxy, uniquePrefix } from '../support/redis.js';

let sandbox: Sandbox;
let proxy: TcpProxy;
let client: Client;
let close: () => Promise<void>;
const prefix = uniquePrefix('outage');
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  sandbox = makeSandbox('brutalist-outage-');
  proxy = await startProxy(Number(new URL(SHARED_REDIS_URL).port || 6379));
  ({ client, close } = await connectInProcess(
    fakeCritics(sandbox, {
      stateStore: 'redis',
      redisUrl: proxy.url,
      redisKeyPrefix: prefix,
      redisCommandTimeoutMs: 200,
      pageChars: 5_000,
    }),
  ));
});

afterAll(async () => {
  await close?.();
  await proxy?.close();
  await deletePrefix(SHARED_REDIS_URL, prefix);
  sandbox?.cleanup();
  process.off('unhandledRejection', onUnhandled);
});

type Structured = {
  contextId: string;
  cached: boolean;
  page: { nextCursor: string | null; nextOffset: number | null };
};

async function roast(context: string): Promise<Structured> {
  const r = (await client.callTool({
    name: 'roast',
    arguments: { domain: 'idea', context, clis: ['claude'] },
  })) as CallToolResult;
  expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
  return r.structuredContent as unknown as Structured;
}

async function stateStatus(): Promise<string> {
  const r = (await client.callTool({ name: 'cli_agent_roster', arguments: {} })) as CallToolResult;
  return (r.structuredContent as { state: { status: string } }).state.status;
}

describe('Redis outage', () => {
  it('serves from the cache while Redis is reachable', async () => {
    expect(await stateStatus()).toBe('ok');
    expect((await roast('cached idea')).cached).toBe(false);
    expect((await roast('cached idea')).cached).toBe(true);
  });

  for (const mode of ['blackhole', 'refuse'] as const) {
    it(`${mode}: keeps serving critiques without the cache, degraded, with flat memory, then recovers`, async () => {
      await proxy.setMode(mode);
      // The watchdog notices a silent connection within about two command timeouts.
      let status = '';
      for (let i = 0; i < 50 && status !== 'degraded'; i++) status = await stateStatus();
      expect(status).toBe('degraded');

      // Nothing new is cached while Redis is away (the in-process front may still answer old entries).
      expect((await roast(`new during ${mode}`)).cached).toBe(false);
      expect((await roast(`new during ${mode}`)).cached).toBe(false);
      // A result written during the outage is still paged by this instance.
      const long = await roast('long one during the outage\n@@fake spew_bytes=12000');
      expect(long.page.nextOffset).not.toBeNull();
      const page2 = (await client.callTool({
        name: 'roast',
        arguments: { domain: 'idea', context_id: long.contextId, offset: long.page.nextOffset },
      })) as CallToolResult;
      expect(page2.isError).toBeFalsy();

      global.gc?.();
      const heapBefore = process.memoryUsage().heapUsed;
      for (let i = 0; i < 40; i++) await roast(`outage idea ${mode} ${i % 10}`);
      global.gc?.();
      const grownMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
      expect(grownMiB).toBeLessThan(32);

      await proxy.setMode('forward');
      const back = performance.now();
      let recovered = false;
      while (!recovered && performance.now() - back < 5_000) {
        recovered = (await stateStatus()) === 'ok';
        if (!recovered) await new Promise((r) => setTimeout(r, 50));
      }
      expect(recovered).toBe(true);
      expect((await roast(`after ${mode}`)).cached).toBe(false);
      expect((await roast(`after ${mode}`)).cached).toBe(true);
      expect(unhandled).toEqual([]);
    });
  }
});
