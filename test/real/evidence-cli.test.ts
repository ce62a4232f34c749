// Real binaries, evidence tools for codex and gemini (ADR 0051): the built server runs the pinned CLI with the
// built-in Playwright MCP server through that CLI's own per-run configuration (codex: a `-c mcp_servers.…` override;
// gemini: the run's private folder's .gemini/settings.json); the stub model scripts the CLI to navigate to a page this
// test serves on loopback and to snapshot it, and the page's text comes back in the critique. A gemini codebase run
// (the target's folder) still answers EVIDENCE_UNSUPPORTED.
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  callTool,
  connectRealServer,
  errorOf,
  GEMINI_TEST_SETTINGS,
  INSTALL_TIMEOUT_MS,
  makeRealSandbox,
  REAL_TEST_TIMEOUT_MS,
  type RealSandbox,
  type RealServer,
  realServerEnv,
  requireRealClis,
  structuredOf,
  textOf,
} from '../support/real-clis.js';
import { toolNamesIn } from '../support/stub-model/client.js';
import { type SeenToolResult, StubModelServer } from '../support/stub-model/index.js';

vi.setConfig({ testTimeout: REAL_TEST_TIMEOUT_MS });

const PAGE_MARK = `EVIDENCEPAGE${process.pid}`;
const PAGE = `<!doctype html><html><head><title>Signup</title></head><body>
<h1>Signup</h1><p>${PAGE_MARK} the terms link is hidden below the fold.</p>
<button>Create account</button></body></html>`;

let stub: StubModelServer;
let sandbox: RealSandbox;
let server: RealServer;
let page: Server;
let pageUrl: string;
const pageRequests: string[] = [];

beforeAll(async () => {
  const bins = await requireRealClis();
  stub = await StubModelServer.start();
  page = createServer((req, res) => {
    pageRequests.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(PAGE);
  });
  await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
  pageUrl = `http://127.0.0.1:${(page.address() as AddressInfo).port}/signup`;
  sandbox = makeRealSandbox();
  // The operator's own gemini settings name an MCP server: it must never start in an evidence run.
  writeFileSync(
    join(sandbox.home, '.gemini', 'settings.json'),
    JSON.stringify({
      ...GEMINI_TEST_SETTINGS,
      mcpServers: { operators: { command: '/bin/false', args: [] } },
    }),
  );
  const env = realServerEnv(sandbox, bins, stub, {
    // The test page is on loopback: allowlisted here, never by default.
    BRUTALIST_URL_ALLOWED_NETWORKS: '127.0.0.0/8',
    BRUTALIST_GEMINI_MODEL: 'gemini-2.5-pro',
    // Codex's default model offers no tools at all through a custom provider (no model metadata): name one.
    BRUTALIST_CODEX_MODEL: 'gpt-5',
    BRUTALIST_CLI_TIMEOUT_MS: '180000',
    BRUTALIST_STALL_TIMEOUT_MS: '120000',
  });
  server = await connectRealServer(env, sandbox.project);
}, INSTALL_TIMEOUT_MS);

afterAll(async () => {
  await server?.close();
  await stub?.close();
  await new Promise<void>((resolve) => (page ? page.close(() => resolve()) : resolve()));
  sandbox?.cleanup();
});

/** navigate to `url`, snapshot (each tool as `name(tool)` calls it), then answer with what the snapshot showed. */
const browse =
  (url: string, name: (tool: string) => { name: string; namespace?: string }) =>
  (seen: readonly SeenToolResult[]) => {
    if (seen.length === 0) return { call: { ...name('browser_navigate'), input: { url } } };
    if (seen.length === 1) return { call: { ...name('browser_snapshot'), input: {} } };
    const [opened, shot] = seen;
    return {
      text:
        '## Verdict\nThe signup page hides its terms.\n\n' +
        `## Navigation\n${(opened?.text ?? '').slice(0, 600)}\n\n## Evidence from the page\n${(shot?.text ?? '').slice(0, 1_500)}`,
    };
  };

/**
 * A design critique of the page by `cli` alone, the stub scripting it to browse; checks the page's text reached the
 * critique and the denied browser tools were never offered. Returns the offered tool names (JSON) and the argv.
 */
async function designCritique(
  cli: 'codex' | 'gemini',
  api: 'openai' | 'gemini',
  name: (tool: string) => { name: string; namespace?: string },
): Promise<{ offered: string; argv: readonly string[] | undefined }> {
  const mark = `${cli.toUpperCase()}DESIGN${process.pid}`;
  stub.when(mark, { client: browse(pageUrl, name) }, api);
  const result = await callTool(server.client, 'roast', {
    domain: 'design',
    context: `Our signup page. ${mark}`,
    url: pageUrl,
    clis: [cli],
    verbose: true,
  });
  expect(errorOf(result)).toBeUndefined();
  const text = textOf(result);
  expect(text).toContain(PAGE_MARK);
  expect(text).toContain('Create account');
  expect(pageRequests).toContain('/signup');
  const offered = JSON.stringify(stub.requestsWith(mark).map((r) => toolNamesIn(api, r.body)));
  expect(offered).not.toContain('browser_run_code_unsafe');
  expect(offered).not.toContain('browser_file_upload');
  return { offered, argv: structuredOf(result).critics[0]?.argv };
}

describe('gemini design critique of a live page with the playwright evidence server', () => {
  it("gemini navigates and snapshots the page, and the page's text reaches the critique", async () => {
    const { offered, argv } = await designCritique('gemini', 'gemini', (tool) => ({
      name: `mcp_playwright_${tool}`,
    }));
    // The browser's tools; nothing of the operator's own server; no file tools.
    expect(offered).toContain('mcp_playwright_browser_navigate');
    expect(offered).not.toContain('operators');
    expect(offered).not.toContain('read_file');
    expect(argv).toContain('--allowed-mcp-server-names');
  });

  it('a codebase critique with mcp_servers answers EVIDENCE_UNSUPPORTED for gemini (no per-run settings there)', async () => {
    const before = stub.requests.length;
    const result = await callTool(server.client, 'roast', {
      domain: 'codebase',
      target: sandbox.project,
      clis: ['gemini'],
      mcp_servers: ['playwright'],
    });
    expect(JSON.stringify(result)).toContain('EVIDENCE_UNSUPPORTED');
    expect(stub.requests.length).toBe(before);
  });
});

describe('codex design critique of a live page with the playwright evidence server', () => {
  it("codex navigates and snapshots the page, and the page's text reaches the critique", async () => {
    const { offered, argv } = await designCritique('codex', 'openai', (tool) => ({
      name: tool,
      namespace: 'mcp__playwright',
    }));
    // The browser's tools, in codex's namespace for the server.
    expect(offered).toContain('mcp__playwright/browser_navigate');
    expect(argv).toContain('mcp_servers.playwright.required=true');
  });
});
