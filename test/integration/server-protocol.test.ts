// MCP protocol behaviour of the server in this process: progress, roots changes, discovery, roster, paging, args.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectInProcess, FAKE_BIN, fakeCritics, makeSandbox, type Sandbox } from '../support/harness.js';

let sandbox: Sandbox;
let closers: Array<() => Promise<void>> = [];
beforeEach(() => {
  sandbox = makeSandbox('brutalist-proto-');
});
afterEach(async () => {
  for (const close of closers.reverse()) await close();
  closers = [];
  sandbox.cleanup();
});

async function connect(overrides = {}, options: Parameters<typeof connectInProcess>[1] = {}) {
  const env = { PATH: process.env.PATH, HOME: sandbox.home };
  const c = await connectInProcess(fakeCritics(sandbox, overrides), { env, ...options });
  closers.push(c.close);
  return c;
}

const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
const error = (r: CallToolResult) =>
  (r.structuredContent as { error: { code: string; message: string; data: { field?: string } } }).error;

describe('progress notifications', () => {
  it('are sent only when the client asks, with strictly increasing progress', async () => {
    const { client } = await connect({ progressIntervalMs: 250 });
    const seen: number[] = [];
    const result = await client.callTool(
      { name: 'roast', arguments: { domain: 'idea', context: 'slow\n@@fake delay_ms=900', clis: ['codex'] } },
      undefined,
      { onprogress: (p) => seen.push(p.progress) },
    );
    expect(result.isError).toBeFalsy();
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(new Set(seen).size).toBe(seen.length);
  });
});

describe('roots', () => {
  it('refetches client roots after roots/list_changed', async () => {
    // Inside the configured root: client roots narrow it, so only roots inside it count (docs/security.md).
    const first = join(sandbox.project, 'first');
    const second = join(sandbox.project, 'second');
    mkdirSync(first);
    mkdirSync(second);
    writeFileSync(join(second, 'x.md'), '# x\n');
    const roots = [first];
    const { client } = await connect({}, { roots });
    const before = (await client.callTool({
      name: 'roast',
      arguments: { domain: 'codebase', target: join(second, 'x.md') },
    })) as CallToolResult;
    expect(error(before).code).toBe('PATH_OUTSIDE_ROOT');
    roots.splice(0, 1, second);
    await client.sendRootsListChanged();
    await new Promise((r) => setTimeout(r, 50));
    const after = (await client.callTool({
      name: 'roast',
      arguments: { domain: 'codebase', target: join(second, 'x.md') },
    })) as CallToolResult;
    expect(after.isError).toBeFalsy();
  });
});

describe('tools', () => {
  it('brutalist_discover answers with suggestions and example calls', async () => {
    const { client } = await connect();
    const result = (await client.callTool({
      name: 'brutalist_discover',
      arguments: { intent: 'review my git commits', limit: 2 },
    })) as CallToolResult;
    const { suggestions } = result.structuredContent as { suggestions: Array<{ domain: string }> };
    expect(suggestions.length).toBeLessThanOrEqual(2);
    expect(suggestions[0]!.domain).toBe('git_history');
    expect(text(result)).toContain('example: `roast {');
  });

  it('cli_agent_roster renders a table with versions and the preference order', async () => {
    const { client } = await connect({ claudeModel: 'opus' });
    const result = (await client.callTool({ name: 'cli_agent_roster', arguments: {} })) as CallToolResult;
    expect(text(result)).toContain('| claude | yes | 2.1.197 | yes (Claude account (max)) | opus | - |');
    // The binaries line names the absolute path every run spawns; the sandbox line whether runs are confined.
    expect(text(result)).toContain(
      `Binaries: claude ${join(FAKE_BIN, 'claude')}, codex ${join(FAKE_BIN, 'codex')}`,
    );
    expect(text(result)).toContain('Sandbox: off (off by configuration');
    expect(result.structuredContent).toMatchObject({ sandbox: { mode: 'off', configured: 'off' } });
    expect((result.structuredContent as { preference: string[] }).preference).toEqual([
      'claude',
      'codex',
      'gemini',
    ]);
  });

  it('names the offending field and rule in argument errors, without echoing the value', async () => {
    const { client } = await connect();
    const secret = 'sk-ant-THISMUSTNOTLEAK0123456789';
    const result = (await client.callTool({
      name: 'roast',
      arguments: { domain: 'idea', context: 'x', clis: [secret] },
    })) as CallToolResult;
    expect(error(result).code).toBe('INVALID_ARGUMENT');
    expect(error(result).data.field).toBe('clis.0');
    expect(JSON.stringify(result)).not.toContain(secret);
    const unknown = (await client.callTool({
      name: 'roast',
      arguments: { domain: 'idea', context: 'x', sneaky: 1 },
    })) as CallToolResult;
    expect(error(unknown).message).toContain('unknown argument(s): sneaky');
    const debate = (await client.callTool({
      name: 'roast_cli_debate',
      arguments: { topic: 't' },
    })) as CallToolResult;
    expect(error(debate).data.field).toBe('proPosition');
  });

  it('pages by context_id and offset, and says which page is the last', async () => {
    const { client } = await connect({ pageChars: 4_000 });
    const first = (await client.callTool({
      name: 'roast',
      arguments: { domain: 'idea', context: 'x\n@@fake spew_bytes=9000', clis: ['claude'] },
    })) as CallToolResult;
    const s = first.structuredContent as {
      contextId: string;
      page: { nextOffset: number; totalChars: number };
    };
    expect(text(first)).toMatch(/Page: characters 0–\d+ of \d+/);
    let offset = s.page.nextOffset;
    let last: CallToolResult | undefined;
    while (offset !== null) {
      last = (await client.callTool({
        name: 'roast',
        arguments: { domain: 'idea', context_id: s.contextId, offset },
      })) as CallToolResult;
      offset = (last.structuredContent as { page: { nextOffset: number } }).page.nextOffset;
    }
    expect(text(last!)).toMatch(/Last page: characters \d+–\d+ of \d+/);
    const custom = (await client.callTool({
      name: 'roast',
      arguments: { domain: 'idea', context_id: s.contextId, limit: 1_000 },
    })) as CallToolResult;
    expect((custom.structuredContent as { page: { limit: number } }).page.limit).toBe(1_000);
  });

  it('serves an identical request from cache, saying so, until force_refresh', async () => {
    const { client } = await connect();
    const args = { domain: 'architecture', context: 'A monolith on one VM', clis: ['gemini'] };
    await client.callTool({ name: 'roast', arguments: args });
    const cached = (await client.callTool({ name: 'roast', arguments: args })) as CallToolResult;
    expect(text(cached)).toMatch(/Served from cache \(\d+ s old\)/);
  });
});
