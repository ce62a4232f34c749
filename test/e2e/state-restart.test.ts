// Durable state end to end: the built server over stdio is killed with SIGKILL and started again on the
// same state folder; context ids, cursors, conversations (resume) and the cache all survive.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
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

type Structured = {
  contextId: string;
  page: { nextOffset: number | null; totalChars: number; nextCursor: string | null };
  critics: Array<{ critic: string }>;
  cached: boolean;
};

let sandbox: Sandbox;
let env: Record<string, string>;

/** The built server over stdio (the harness's connectStdio), with the pid this test kills. */
function start(): Promise<{ client: Client; pid: number }> {
  return connectStdio(env, sandbox.project);
}

async function call(client: Client, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name: 'roast', arguments: args })) as CallToolResult;
}

const structured = (r: CallToolResult) => {
  expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
  return r.structuredContent as unknown as Structured;
};
/** The page's text without the footer (which names a fresh cursor each time). */
const text = (r: CallToolResult) =>
  r.content
    .map((c) => (c.type === 'text' ? c.text : ''))
    .join('')
    .split('\n\n---\n')[0]!;

/** Critic invocations other than `--version` availability probes. */
const critiqueRuns = () => readLog(sandbox.log).filter((l) => !l.argv.includes('--version')).length;

beforeAll(() => {
  sandbox = makeSandbox('brutalist-restart-');
  env = serverEnv(sandbox, { BRUTALIST_PAGE_CHARS: '20000' });
});

afterAll(() => sandbox?.cleanup());

describe('restart after kill -9 (SQLite state, the default)', () => {
  it('serves old context ids, cursors, conversations and cache entries from the state file', async () => {
    const first = await start();
    const long = structured(
      await call(first.client, {
        domain: 'idea',
        context: 'Long one\n@@fake spew_bytes=60000',
        clis: ['codex'],
      }),
    );
    expect(long.page.nextCursor).toMatch(/^c_/);
    const page2Before = text(await call(first.client, { domain: 'idea', cursor: long.page.nextCursor }));
    const convo = structured(
      await call(first.client, { domain: 'product', context: 'Socks by mail', clis: ['gemini'] }),
    );
    const cachedArgs = { domain: 'idea', context: 'Cache me across restarts', clis: ['claude'] };
    expect(structured(await call(first.client, cachedArgs)).cached).toBe(false);

    process.kill(first.pid, 'SIGKILL');
    expect(await waitFor(() => !isAlive(first.pid), 5_000)).toBe(true);
    await first.client.close().catch(() => {});
    expect(existsSync(join(sandbox.dir, 'state', 'state.db'))).toBe(true);

    const second = await start();
    try {
      const page2After = await call(second.client, { domain: 'idea', cursor: long.page.nextCursor });
      expect(text(page2After)).toBe(page2Before);
      const byOffset = await call(second.client, {
        domain: 'idea',
        context_id: long.contextId,
        offset: long.page.nextOffset,
      });
      expect(text(byOffset)).toBe(page2Before);

      const runsBefore = critiqueRuns();
      const again = structured(await call(second.client, cachedArgs));
      expect(again.cached).toBe(true);
      expect(critiqueRuns()).toBe(runsBefore);

      const follow = structured(
        await call(second.client, {
          domain: 'product',
          context_id: convo.contextId,
          resume: true,
          context: 'What about B2B?',
        }),
      );
      expect(follow.critics.map((c) => c.critic)).toEqual(['gemini']);
      const last = readLog(sandbox.log).at(-1)!;
      expect(last.stdin).toContain('Socks by mail');
      expect(last.stdin).toContain('What about B2B?');
    } finally {
      await second.client.close();
    }
  });
});
