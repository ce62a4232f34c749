// The MCP Inspector CLI (0.15.0, the newest on Node 20) lists every tool of the built server and calls each one.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { SLO_REPORT_TOOL } from '../../src/mcp/admin-tools.js';
import { TOOLS } from '../../src/mcp/index.js';
import { requireRealClients, runInspector } from '../support/real-clients.js';
import { INSTALL_TIMEOUT_MS } from '../support/real-clis.js';

vi.setConfig({ testTimeout: 180_000 });

beforeAll(async () => {
  await requireRealClients();
}, INSTALL_TIMEOUT_MS);

interface CallResult {
  content?: Array<{ type: string; text?: string }>;
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}
const textOf = (r: CallResult | undefined) => (r?.content ?? []).map((c) => c.text ?? '').join('');
const MARK = `INSPECTED-${process.pid}`;

describe('MCP Inspector CLI', () => {
  it('lists every tool with its input schema and read-only annotations', async () => {
    const run = await runInspector('tools/list');
    expect(run.exitCode, run.stderr).toBe(0);
    const { tools } = run.json as {
      tools: Array<{ name: string; inputSchema: { type: string }; annotations?: { readOnlyHint?: boolean } }>;
    };
    // The four public tools and the admin SLO report (stdio: the user who launched us holds every scope).
    expect(tools.map((t) => t.name).sort()).toEqual([...Object.keys(TOOLS), SLO_REPORT_TOOL].sort());
    for (const tool of tools) {
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.annotations?.readOnlyHint, tool.name).toBe(true);
    }
  });

  it('calls roast and shows the critique text', async () => {
    const run = await runInspector('tools/call', {
      toolName: 'roast',
      toolArgs: {
        domain: 'idea',
        context: `A to-do app for cats.\n@@fake text=${MARK} roast`,
        clis: ['claude'],
      },
    });
    expect(run.exitCode, run.stderr).toBe(0);
    const result = run.json as CallResult;
    expect(result.isError ?? false, textOf(result)).toBe(false);
    expect(textOf(result)).toContain(`${MARK} roast`);
  });

  it('calls roast_cli_debate and shows both positions argued', async () => {
    const run = await runInspector('tools/call', {
      toolName: 'roast_cli_debate',
      toolArgs: {
        topic: 'Tabs or spaces',
        proPosition: 'Tabs',
        conPosition: 'Spaces',
        context: `@@fake text=${MARK} debate`,
        agents: ['claude', 'codex'],
        rounds: 1,
      },
    });
    expect(run.exitCode, run.stderr).toBe(0);
    const result = run.json as CallResult;
    expect(result.isError ?? false, textOf(result)).toBe(false);
    expect(textOf(result).split(`${MARK} debate`).length - 1).toBeGreaterThanOrEqual(2);
  });

  it('calls brutalist_discover and shows the suggested domains', async () => {
    const run = await runInspector('tools/call', {
      toolName: 'brutalist_discover',
      toolArgs: { intent: 'find security holes in my login code', limit: 2 },
    });
    expect(run.exitCode, run.stderr).toBe(0);
    const result = run.json as CallResult;
    expect(result.isError ?? false).toBe(false);
    expect(textOf(result)).toMatch(/security/);
  });

  it('calls cli_agent_roster and shows the three critics', async () => {
    const run = await runInspector('tools/call', { toolName: 'cli_agent_roster' });
    expect(run.exitCode, run.stderr).toBe(0);
    const text = textOf(run.json as CallResult);
    for (const critic of ['claude', 'codex', 'gemini']) expect(text).toContain(critic);
  });

  it('shows a path outside the roots as an error result with its code', async () => {
    const run = await runInspector('tools/call', {
      toolName: 'roast',
      toolArgs: { domain: 'codebase', target: '/etc' },
    });
    const result = run.json as CallResult;
    expect(result?.isError, run.stdout + run.stderr).toBe(true);
    expect(textOf(result)).toContain('PATH_OUTSIDE_ROOT');
  });
});
