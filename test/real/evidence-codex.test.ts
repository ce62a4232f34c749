// Real binaries, evidence tools for codex: the built server runs the pinned codex 0.169 with the built-in Playwright
// MCP server as a per-run `-c mcp_servers.playwright.…` override (required, pre-approved, denied tools disabled);
// the stub model scripts codex to navigate to a page this test serves on loopback and to snapshot it, and the
// page's text comes back in the critique.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  callTool,
  connectRealServer,
  errorOf,
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

const PAGE_MARK = `CODEXPAGE${process.pid}`;
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
  const env = realServerEnv(sandbox, bins, stub, {
    // The test page is on loopback: allowlisted here, never by default.
    BRUTALIST_URL_ALLOWED_NETWORKS: '127.0.0.0/8',
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

/** navigate to `url`, snapshot, then answer with what the snapshot showed. */
const browse = (url: string) => (seen: readonly SeenToolResult[]) => {
  if (seen.length === 0)
    return { call: { name: 'browser_navigate', namespace: 'mcp__playwright', input: { url } } };
  if (seen.length === 1)
    return { call: { name: 'browser_snapshot', namespace: 'mcp__playwright', input: {} } };
  const [opened, shot] = seen;
  return {
    text:
      '## Verdict\nThe signup page hides its terms.\n\n' +
      `## Navigation\n${(opened?.text ?? '').slice(0, 600)}\n\n## Evidence from the page\n${(shot?.text ?? '').slice(0, 1_500)}`,
  };
};

describe('codex design critique of a live page with the playwright evidence server', () => {
  it("codex navigates and snapshots the page, and the page's text reaches the critique", async () => {
    const mark = `CODEXDESIGN${process.pid}`;
    stub.when(mark, { client: browse(pageUrl) }, 'openai');
    const result = await callTool(server.client, 'roast', {
      domain: 'design',
      context: `Our signup page. ${mark}`,
      url: pageUrl,
      clis: ['codex'],
      verbose: true,
    });
    expect(errorOf(result)).toBeUndefined();
    const text = textOf(result);
    expect(text).toContain(PAGE_MARK);
    expect(text).toContain('Create account');
    expect(pageRequests).toContain('/signup');
    const requests = stub.requestsWith(mark);
    const offered = JSON.stringify(requests.map((r) => toolNamesIn('openai', r.body)));
    // The browser's tools, in codex's namespace for the server (never its denied ones).
    expect(offered).toContain('mcp__playwright/browser_navigate');
    expect(offered).not.toContain('browser_run_code_unsafe');
    expect(offered).not.toContain('browser_file_upload');
    const { critics } = structuredOf(result);
    expect(critics[0]?.argv).toContain('mcp_servers.playwright.required=true');
  });
});
