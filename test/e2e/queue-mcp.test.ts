// Queue mode end to end through the real MCP SDK client, over stdio and over HTTP: a front of the built CLI with no
// critic of its own, a real worker on the machine's Redis (unique prefix). A roast with two critics runs on the
// worker with progress notifications reaching the client; a client cancel kills both critics on the worker within
// 2 s and leaves no process behind.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { connectStdio, isAlive, readLog, waitFor } from '../support/harness.js';
import { spawnHttpServe } from '../support/http.js';
import { queuePerTest } from '../support/queue-per-test.js';

const q = queuePerTest('queue-mcp', {
  // The front has no critic: a path where none is installed proves the roster comes from the worker.
  BRUTALIST_CLAUDE_BIN: '/nonexistent/claude',
  BRUTALIST_GEMINI_BIN: '/nonexistent/gemini',
});

const transports = {
  stdio: async (): Promise<Client> => {
    const server = await connectStdio(q.env(), q.sandbox.project);
    q.onClose(server.close);
    return server.client;
  },
  http: async (): Promise<Client> => {
    const served = spawnHttpServe(q.sandbox, q.env());
    q.onClose(async () => {
      if (served.child.exitCode === null) served.child.kill('SIGKILL');
    });
    const client = new Client({ name: 'brutalist-queue-mcp', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${await served.url}/mcp`)));
    q.onClose(() => client.close());
    return client;
  },
};

const runsOf = (tag: string) => readLog(q.sandbox.log).filter((l) => l.stdin.includes(`task ${tag}`));

describe.each(Object.keys(transports) as Array<keyof typeof transports>)(
  'queue mode over %s',
  (transport) => {
    it('roasts with two critics on the worker, with progress notifications', async () => {
      await q.startWorker();
      const client = await transports[transport]();
      const tag = `two-${transport}`;
      let progress = 0;
      const result = (await client.callTool(
        {
          name: 'roast',
          arguments: {
            domain: 'idea',
            context: `task ${tag}\n@@fake spew_bytes=4000\n@@fake piece_chars=40\n@@fake chunk_delay_ms=15\n@@fake log=${q.sandbox.log}`,
            clis: ['claude', 'gemini'],
          },
        },
        undefined,
        { onprogress: () => progress++, timeout: 60_000 },
      )) as CallToolResult;
      expect(result.isError).toBeFalsy();
      const meta = result.structuredContent as { critics: Array<{ critic: string; ok?: boolean }> };
      expect(meta.critics.map((c) => c.critic).sort()).toEqual(['claude', 'gemini']);
      expect(runsOf(tag)).toHaveLength(2);
      expect(progress).toBeGreaterThanOrEqual(1);
    }, 90_000);

    it('a client cancel kills both critics on the worker within 2 s, leaving no process', async () => {
      await q.startWorker();
      const client = await transports[transport]();
      const tag = `cancel-${transport}`;
      const controller = new AbortController();
      const call = client
        .callTool(
          {
            name: 'roast',
            arguments: {
              domain: 'idea',
              context: `task ${tag}\n@@fake hang=1\n@@fake log=${q.sandbox.log}`,
              clis: ['claude', 'gemini'],
            },
          },
          undefined,
          { signal: controller.signal },
        )
        .catch((err: unknown) => err);
      expect(await waitFor(() => runsOf(tag).length === 2, 30_000)).toBe(true);
      const pids = runsOf(tag).map((r) => r.pid);
      expect(pids.every(isAlive)).toBe(true);
      controller.abort();
      await call;
      // The brief's bound (a client cancel stops the critic within 2 s), counted on live processes.
      expect(await waitFor(() => pids.every((pid) => !isAlive(pid)), 2_000)).toBe(true);
      // Nothing else of the run is left: no critic started again, no process group of it alive.
      expect(runsOf(tag)).toHaveLength(2);
      for (const pid of pids) expect(isAlive(pid)).toBe(false);
    }, 90_000);
  },
);
