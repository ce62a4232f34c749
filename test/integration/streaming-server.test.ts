// Streaming through the real server: chatty critics, rate limits, logging levels, dropped-event accounting.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { activeProcessGroups } from '../../src/process/index.js';
import { connectInProcess, FAKE_BIN, fakeCritics, makeSandbox, type Sandbox } from '../support/harness.js';

let sandbox: Sandbox;
let closers: Array<() => Promise<void>> = [];
beforeEach(() => {
  sandbox = makeSandbox('brutalist-stream-');
});
afterEach(async () => {
  for (const close of closers.reverse()) await close();
  closers = [];
  sandbox.cleanup();
});

async function connect(overrides = {}) {
  const c = await connectInProcess(fakeCritics(sandbox, overrides), {
    env: { PATH: process.env.PATH, HOME: sandbox.home },
  });
  closers.push(c.close);
  return c;
}

type Meta = { droppedEvents: number; critics: Array<{ durationMs: number; outputBytes: number }> };

describe('notifications under a chatty critic', () => {
  it('stay within the configured rate, in order, while thousands of deltas arrive', async () => {
    const { client } = await connect({ maxEventRate: 4, coalescingWindowMs: 250, progressIntervalMs: 1_000 });
    const progress: number[] = [];
    const result = (await client.callTool(
      {
        name: 'roast',
        arguments: {
          domain: 'idea',
          context: 'chatty\n@@fake spew_bytes=300000\n@@fake piece_chars=30\n@@fake chunk_delay_ms=0',
          clis: ['gemini'],
        },
      },
      undefined,
      { onprogress: (p) => progress.push(p.progress) },
    )) as CallToolResult;
    expect(result.isError).toBeFalsy();
    const meta = result.structuredContent as unknown as Meta;
    // 10,000 deltas of 30 chars each went through the event parser...
    expect(meta.critics[0]!.outputBytes).toBeGreaterThan(300_000);
    // ...but notifications stayed at or under 4/s (burst of 4, plus one for the final state).
    const seconds = Math.ceil(meta.critics[0]!.durationMs / 1000) + 1;
    expect(progress.length).toBeLessThanOrEqual(4 * seconds + 4);
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(new Set(progress).size).toBe(progress.length);
    expect(meta.droppedEvents).toBe(0);
  });
});

describe('log notifications', () => {
  async function toolRun(level: 'info' | 'warning') {
    const { client } = await connect({ coalescingWindowMs: 0, maxEventRate: 100 });
    const logs: string[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      logs.push(String(n.params.data));
    });
    await client.setLoggingLevel(level);
    const result = (await client.callTool({
      name: 'roast',
      arguments: { domain: 'idea', context: 'x\n@@fake tools=Read,Grep,Glob', clis: ['claude'] },
    })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    await new Promise((r) => setTimeout(r, 50));
    return logs;
  }

  it('report the tools a critic used at info level', async () => {
    const logs = await toolRun('info');
    expect(logs.join('\n')).toContain('claude used Read');
    expect(logs.join('\n')).toContain('claude used Glob');
  });

  it('respect logging/setLevel', async () => {
    expect(await toolRun('warning')).toEqual([]);
  });

  it('are counted as dropped when the buffer overflows, and the result says how many', async () => {
    const { client } = await connect({
      streamBufferSize: 1,
      dropPolicy: 'drop-newest',
      maxEventRate: 1,
      coalescingWindowMs: 1_000,
    });
    await client.setLoggingLevel('info');
    const result = (await client.callTool({
      name: 'roast',
      arguments: { domain: 'idea', context: 'x\n@@fake tools=A,B,C,D,E,F', clis: ['claude'] },
    })) as CallToolResult;
    expect((result.structuredContent as unknown as Meta).droppedEvents).toBeGreaterThanOrEqual(4);
  });
});

describe('runaway and odd critics', () => {
  it('stops a critic printing 1 GiB at the output cap, returns the kept part marked truncated, and leaves no process', async () => {
    const { client } = await connect({
      geminiBin: join(FAKE_BIN, 'spew-gemini'),
      maxOutputBytes: 2 * 1024 * 1024,
    });
    const result = (await client.callTool({
      name: 'roast',
      arguments: { domain: 'idea', context: 'spew', clis: ['gemini'] },
    })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    const critic = (
      result.structuredContent as unknown as { critics: Array<{ truncated: boolean; exitClass: string }> }
    ).critics[0]!;
    expect(critic).toMatchObject({ truncated: true, exitClass: 'output_cap' });
    expect(activeProcessGroups()).toBe(0);
  });

  it('treats a critic that writes only to stderr as alive but without a critique', async () => {
    const stderrOnly = join(sandbox.dir, 'stderr-only');
    writeFileSync(
      stderrOnly,
      '#!/bin/sh\n[ "$1" = "--version" ] && echo 0.61.0 && exit 0\ncat >/dev/null\nfor i in 1 2 3 4 5 6; do echo "working $i" >&2; sleep 0.2; done\nexit 0\n',
      { mode: 0o755 },
    );
    const { client } = await connect({ geminiBin: stderrOnly, stallTimeoutMs: 1_000 });
    const result = (await client.callTool({
      name: 'roast',
      arguments: { domain: 'idea', context: 'x', clis: ['gemini'] },
    })) as CallToolResult;
    // Not CLI_STALLED: stderr counts as a sign of life; the run ended on its own with nothing to show.
    expect((result.structuredContent as { error: { code: string } }).error.code).toBe('CLI_OUTPUT_INVALID');
  });
});
