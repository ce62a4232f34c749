// A client that stops reading the server's stdout mid-run: the server keeps nothing queued for it beyond one
// notification, keeps running, and delivers the final result when the client reads again.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_JS, FAKE_BIN, makeSandbox, serverEnv } from '../support/harness.js';

const sandbox = makeSandbox('brutalist-bp-');
afterAll(() => sandbox.cleanup());

describe('a client that stops reading', () => {
  it('gets a bounded number of notifications and the final result after it resumes', async () => {
    const env = serverEnv(sandbox, {
      BRUTALIST_GEMINI_BIN: join(FAKE_BIN, 'chatty-gemini'),
      BRUTALIST_EXTRA_ENV: 'CHATTY_*',
      BRUTALIST_MAX_EVENT_RATE: '4',
      CHATTY_LINES_PER_S: '10000',
      CHATTY_SECONDS: '3',
    });
    const server = spawn(process.execPath, [CLI_JS], {
      env,
      cwd: sandbox.project,
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const messages: Array<{
      id?: number;
      method?: string;
      params?: { progress?: number };
      result?: unknown;
    }> = [];
    let buffered = '';
    server.stdout.setEncoding('utf8');
    server.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        messages.push(JSON.parse(buffered.slice(0, nl)));
        buffered = buffered.slice(nl + 1);
      }
    });
    const send = (msg: object) => server.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...msg })}\n`);
    const waitFor = async (pred: () => boolean) => {
      while (!pred()) await new Promise((r) => setTimeout(r, 20));
    };
    try {
      send({
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bp', version: '1' } },
      });
      await waitFor(() => messages.some((m) => m.id === 1));
      send({ method: 'notifications/initialized' });
      send({
        id: 2,
        method: 'tools/call',
        params: {
          name: 'roast',
          arguments: { domain: 'idea', context: 'chatty', clis: ['gemini'] },
          _meta: { progressToken: 'p' },
        },
      });
      server.stdout.pause();
      await new Promise((r) => setTimeout(r, 2_000));
      server.stdout.resume();
      await waitFor(() => messages.some((m) => m.id === 2));
      const progress = messages
        .filter((m) => m.method === 'notifications/progress')
        .map((m) => m.params!.progress!);
      const result = messages.find((m) => m.id === 2)!.result as {
        isError?: boolean;
        structuredContent: { critics: Array<{ durationMs: number }> };
      };
      expect(result.isError).toBeFalsy();
      const seconds = Math.ceil(result.structuredContent.critics[0]!.durationMs / 1000) + 1;
      expect(progress.length).toBeGreaterThanOrEqual(1);
      expect(progress.length).toBeLessThanOrEqual(4 * seconds + 4);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
    } finally {
      server.kill('SIGTERM');
    }
  });
});
