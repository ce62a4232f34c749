// End to end with agy: the built server as a child, the real MCP SDK client over stdio, the fake agy under the real
// pty wrapper. A roast naming agy, a 300 KB prompt, each refusal's code, cancellation, and agy beside claude.
import { readFileSync } from 'node:fs';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { isAlive, readLog, waitFor } from '../support/harness.js';
import { sharedStdioServer } from '../support/shared-server.js';

const server = sharedStdioServer('brutalist-e2e-agy-', {
  // Room for a 300 KB context (three bytes per character at most, plus the envelope).
  BRUTALIST_MAX_CONTEXT_CHARS: '320000',
  BRUTALIST_MAX_MESSAGE_BYTES: String(8 * 1024 * 1024),
  BRUTALIST_PAGE_CHARS: '20000',
  BRUTALIST_KILL_GRACE_MS: '1000',
});

async function roast(args: Record<string, unknown>, signal?: AbortSignal): Promise<CallToolResult> {
  return (await server.client.callTool(
    { name: 'roast', arguments: { domain: 'idea', ...args } },
    undefined,
    signal ? { signal } : undefined,
  )) as CallToolResult;
}

const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
type Critics = { critics: Array<{ critic: string; ok: boolean; model: string | null; exitClass: string }> };
const critics = (r: CallToolResult) => (r.structuredContent as unknown as Critics).critics;

function errorOf(result: CallToolResult): { code: string; data: Record<string, unknown> } {
  expect(result.isError).toBe(true);
  return (result.structuredContent as { error: { code: string; data: Record<string, unknown> } }).error;
}

const agyRuns = (marker: string) =>
  readLog(server.sandbox.log).filter(
    (l) => l.argv.includes('--print') && l.argv.some((a) => a.includes(marker)),
  );

describe('roast with clis: ["agy"]', () => {
  it("returns agy's critique as plain text", async () => {
    const result = await roast({
      context: 'A social network for houseplants.\n@@fake text=Plants cannot type.',
      clis: ['agy'],
    });
    expect(result.isError).toBeFalsy();
    expect(text(result)).toContain('Plants cannot type.');
    expect(text(result)).not.toContain('\u001b');
    expect(critics(result)).toEqual([expect.objectContaining({ critic: 'agy', ok: true, exitClass: 'ok' })]);
  });

  it('hands a 300 KB prompt over in a file and gets the critique of it', async () => {
    const context = `${'Ünïcödé context line.\n'.repeat(12_000)}@@fake text=Saw the whole file.`;
    expect(Buffer.byteLength(context)).toBeGreaterThan(300_000);
    const result = await roast({ context, clis: ['agy'], verbose: true });
    expect(result.isError).toBeFalsy();
    expect(text(result)).toContain('Saw the whole file.');
    expect(text(result)).toMatch(/<prompt in a \d+-byte file>/);
  });

  it.each([
    ['login=none', 'AUTH_REQUIRED'],
    ['error=quota', 'QUOTA_EXCEEDED'],
  ])('maps the refusal %s to %s', async (knob, code) => {
    const error = errorOf(await roast({ context: `refuse ${knob}\n@@fake ${knob}`, clis: ['agy'] }));
    expect(error.code).toBe(code);
    if (code === 'QUOTA_EXCEEDED') expect(error.data.retryAfterMs).toBe(7_384_000);
    expect(JSON.stringify(error)).not.toContain(server.sandbox.dir);
  });

  it('is MODEL_NOT_FOUND for an unknown label and INVALID_ARGUMENT for one that could be an option', async () => {
    const unknown = errorOf(
      await roast({ context: 'label', clis: ['agy'], models: { agy: 'Gemini 9 Ultra' } }),
    );
    expect(unknown.code).toBe('MODEL_NOT_FOUND');
    const flag = errorOf(
      await roast({ context: 'label', clis: ['agy'], models: { agy: '--mode=accept-edits' } }),
    );
    expect(flag.code).toBe('INVALID_ARGUMENT');
  });

  it('kills the pty wrapper and agy together when the client cancels', async () => {
    const controller = new AbortController();
    const marker = 'cancel-me-agy';
    const pending = roast(
      { context: `${marker}\n@@fake hang=1\n@@fake ignore_sigterm=1`, clis: ['agy'] },
      controller.signal,
    ).catch((err: unknown) => err);
    expect(await waitFor(() => agyRuns(marker).length === 1, 20_000)).toBe(true);
    const agy = agyRuns(marker)[0]!;
    const wrapper = agy.ppid;
    expect(readFileSync(`/proc/${wrapper}/cmdline`, 'utf8')).toContain('pty-run.py');
    expect(isAlive(agy.pid) && isAlive(wrapper)).toBe(true);
    controller.abort();
    await pending;
    expect(await waitFor(() => !isAlive(agy.pid) && !isAlive(wrapper), 10_000)).toBe(true);
  });
});

describe('agy beside claude', () => {
  it('runs both in parallel in one roast', async () => {
    const result = await roast({ context: 'A parallel idea.', clis: ['claude', 'agy'] });
    expect(result.isError).toBeFalsy();
    expect(
      critics(result)
        .map((c) => [c.critic, c.ok])
        .sort(),
    ).toEqual([
      ['agy', true],
      ['claude', true],
    ]);
    expect(text(result)).toContain('FAKE-AGY CRITIQUE');
    expect(text(result)).toContain('FAKE-CLAUDE CRITIQUE');
  });

  it('is not the default critic (it cannot run read-only), and the roster lists it', async () => {
    const plain = await roast({ context: 'Who answers by default?' });
    expect(critics(plain).map((c) => c.critic)).toEqual(['claude']);
    const roster = (await server.client.callTool({
      name: 'cli_agent_roster',
      arguments: {},
    })) as CallToolResult;
    expect(text(roster)).toMatch(/\| agy \| yes \| 1\.0\.5 \|/);
  });
});
