// A long answer comes back whole: 5 MB of claude answer, framed three times in stream-json, under the default cap.
import { join } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OPTIONS } from '../../src/config/index.js';
import { DEFAULT_SQLITE_CACHE_BYTES } from '../../src/state/index.js';
import { connectInProcess, fakeCritics, makeSandbox, type Sandbox } from '../support/harness.js';

/** test/fixtures/bin/lib/fake-cli.mjs spewText(n): the answer the fake prints for `@@fake spew_bytes=n`. */
function spewText(n: number): string {
  const unit = 'FAKE SPEW critique text, line after line of it. ';
  return unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
}

const ANSWER_BYTES = 5_000_000;

let sandbox: Sandbox;
beforeEach(() => {
  sandbox = makeSandbox('brutalist-answer-size-');
});
afterEach(() => sandbox.cleanup());

interface Structured {
  [key: string]: unknown;
  critics: Array<{ truncated: boolean; outputBytes: number }>;
  page: { nextCursor: string | null; totalChars: number };
}

describe.each(['sqlite', 'memory'] as const)(
  'a 5 MB claude answer with the default maxOutputBytes (%s store)',
  (store) => {
    it('comes back whole across its pages, not truncated', async () => {
      const { client, close } = await connectInProcess(
        fakeCritics(sandbox, {
          stateStore: store,
          stateDir: join(sandbox.dir, 'state'),
          cliTimeoutMs: 120_000,
        }),
        { env: { PATH: process.env.PATH, HOME: sandbox.home } },
      );
      try {
        const pages: string[] = [];
        let result = (await client.callTool(
          {
            name: 'roast',
            arguments: {
              domain: 'idea',
              context: `long\n@@fake spew_bytes=${ANSWER_BYTES}`,
              clis: ['claude'],
            },
          },
          undefined,
          { timeout: 120_000 },
        )) as CallToolResult;
        const first = result.structuredContent as Structured;
        expect(result.isError).toBeFalsy();
        expect(first.critics[0]!.truncated).toBe(false);
        // The raw stream carried the answer three times (deltas, message, result): the cap is on the answer.
        expect(first.critics[0]!.outputBytes).toBeGreaterThan(3 * ANSWER_BYTES);
        for (;;) {
          const shown = result.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
          // Each page ends with a footer saying how to get the next (src/mcp/format.ts).
          pages.push(shown.slice(0, shown.lastIndexOf('\n\n---\n')));
          const cursor = (result.structuredContent as Structured).page.nextCursor;
          if (cursor === null) break;
          result = (await client.callTool({ name: 'roast', arguments: { cursor } })) as CallToolResult;
          expect(result.isError).toBeFalsy();
        }
        const whole = pages.join('');
        const answer = spewText(ANSWER_BYTES).trim();
        const at = whole.indexOf(answer.slice(0, 64));
        expect(at).toBeGreaterThan(0);
        expect(Buffer.byteLength(whole.slice(at, at + answer.length))).toBe(Buffer.byteLength(answer));
        expect(whole.slice(at, at + answer.length) === answer).toBe(true);
        expect(whole.length).toBe(first.page.totalChars);
        expect(pages.length).toBeGreaterThan(1);
      } finally {
        await close();
      }
    });
  },
);

describe('the SQLite page cache bound', () => {
  it("defaults in the store to what the option documents (better-sqlite3's own default is 16 MB)", () => {
    expect(OPTIONS.sqliteCacheBytes.default).toBe(DEFAULT_SQLITE_CACHE_BYTES);
  });
});
