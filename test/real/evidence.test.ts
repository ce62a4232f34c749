// Real binaries, evidence tools: the built server runs the pinned claude with the built-in Playwright MCP server
// (the machine's Chromium); the stub model scripts claude to navigate to a page this test serves on loopback and
// to snapshot it, and the page's text comes back in the critique. The URL policy holds the browser (loopback is
// allowlisted here; a private address is not) and refuses a blocked `url` before any critic starts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
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
import { type SeenToolResult, StubModelServer } from '../support/stub-model/index.js';

vi.setConfig({ testTimeout: REAL_TEST_TIMEOUT_MS });

const PAGE_MARK = `CHECKOUTPAGE${process.pid}`;
const PAGE = `<!doctype html><html><head><title>Checkout</title></head><body>
<h1>Checkout</h1><p>Total due: 42 EUR. ${PAGE_MARK} the pay button is grey on grey.</p>
<button disabled>Pay now</button></body></html>`;

let stub: StubModelServer;
let sandbox: RealSandbox;
let server: RealServer;
let page: Server;
let pageUrl: string;

beforeAll(async () => {
  const bins = await requireRealClis();
  stub = await StubModelServer.start();
  page = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(PAGE);
  });
  await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
  pageUrl = `http://127.0.0.1:${(page.address() as AddressInfo).port}/checkout`;
  sandbox = makeRealSandbox();
  const env = realServerEnv(sandbox, bins, stub, {
    // The test page is on loopback: allowlisted here, never by default.
    BRUTALIST_URL_ALLOWED_NETWORKS: '127.0.0.0/8',
    BRUTALIST_CLI_TIMEOUT_MS: '180000',
    BRUTALIST_STALL_TIMEOUT_MS: '120000',
    BRUTALIST_CITATION_RECHECK: 'true',
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
  if (seen.length === 0) return { call: { name: 'mcp__playwright__browser_navigate', input: { url } } };
  if (seen.length === 1) return { call: { name: 'mcp__playwright__browser_snapshot', input: {} } };
  const [opened, shot] = seen;
  return {
    text:
      '## Verdict\nThe live page undermines the purchase.\n\n' +
      `## Navigation\n${(opened?.text ?? '').slice(0, 600)}\n\n## Evidence from the page\n${(shot?.text ?? '').slice(0, 1_500)}`,
  };
};

describe('design critique of a live page with the playwright evidence server', () => {
  it("claude navigates and snapshots the page, and the page's text reaches the critique", async () => {
    const mark = `DESIGNMARK${process.pid}`;
    stub.when(mark, { client: browse(pageUrl) }, 'anthropic');
    const result = await callTool(server.client, 'roast', {
      domain: 'design',
      context: `Our checkout page. ${mark}`,
      url: pageUrl,
      clis: ['claude'],
      verbose: true,
    });
    expect(errorOf(result)).toBeUndefined();
    const text = textOf(result);
    expect(text).toContain(PAGE_MARK);
    expect(text).toContain('Pay now');
    const requests = stub.requestsWith(mark);
    // The tools offered: the browser's (never its denied ones) and, for an abstract domain, web tools; no file tools.
    const body = (requests[0]?.body ?? {}) as { tools?: Array<{ name: string }> };
    const offered = JSON.stringify((body.tools ?? []).map((t) => t.name));
    expect(offered).toContain('mcp__playwright__browser_navigate');
    expect(offered).not.toContain('browser_run_code_unsafe');
    expect(offered).not.toContain('browser_file_upload');
    expect(offered).not.toContain('"Read"');
    const { critics } = structuredOf(result);
    expect(critics[0]?.argv).toContain('<mcp-config.json>');
    if (process.env.BRUTALIST_EVIDENCE_SAVE) {
      mkdirSync(dirname(process.env.BRUTALIST_EVIDENCE_SAVE), { recursive: true });
      writeFileSync(process.env.BRUTALIST_EVIDENCE_SAVE, text);
    }
  });

  it('the browser cannot reach a private address the allowlist does not hold (the proxy refuses it)', async () => {
    const mark = `BLOCKEDMARK${process.pid}`;
    stub.when(mark, { client: browse('http://10.255.255.1/admin') }, 'anthropic');
    const result = await callTool(server.client, 'roast', {
      domain: 'design',
      context: `Our admin page. ${mark}`,
      clis: ['claude'],
      mcp_servers: ['playwright'],
    });
    expect(errorOf(result)).toBeUndefined();
    const text = textOf(result);
    // The page the browser got is the proxy's refusal, not whatever is at that address.
    expect(text).toContain('Blocked by the brutalist URL policy');
    expect(text).toContain('403 Forbidden');
  });

  it('counts the citation tags of a legal critique and re-checks the VERIFIED ones against the page', async () => {
    const mark = `LEGALMARK${process.pid}`;
    const critique = [
      '## Verdict',
      `The fee clause is unenforceable [VERIFIED: ${pageUrl} | "Total due: 42 EUR."].`,
      `The quote below is not on the page [VERIFIED: ${pageUrl} | "Refunds within 90 days"].`,
      'The user says so in clause 4 [SUPPLIED: clause 4 | "no refunds"].',
      'A regulator would object [UNVERIFIED: no web access to the regulator site].',
      'See Smith v. Jones and 15 U.S.C. § 45 with no tag.',
    ].join('\n');
    stub.when(mark, { text: critique }, 'anthropic');
    const result = await callTool(server.client, 'roast', {
      domain: 'legal',
      context: `Our terms of sale. ${mark}`,
      clis: ['claude'],
    });
    expect(errorOf(result)).toBeUndefined();
    const { citations } = result.structuredContent as { citations: Record<string, unknown> };
    expect(citations).toMatchObject({ verified: 2, supplied: 1, unverified: 1, untagged: 2 });
    expect(citations.recheck).toEqual({ checked: 2, confirmed: 1, unconfirmed: 1, notChecked: 0 });
    expect(citations.unconfirmed).toEqual([{ critic: 'claude', url: pageUrl, reason: 'quote_not_on_page' }]);
    const prompt = stub.requestsWith(mark)[0]?.promptText ?? '';
    expect(prompt).toContain('[VERIFIED: <url> | "<verbatim quote>"]');
    if (process.env.BRUTALIST_EVIDENCE_SAVE) {
      writeFileSync(
        `${process.env.BRUTALIST_EVIDENCE_SAVE}.citations.json`,
        JSON.stringify(citations, null, 2),
      );
    }
  });

  it('refuses a url in a blocked network before any critic starts', async () => {
    const before = stub.requests.length;
    const result = await callTool(server.client, 'roast', {
      domain: 'design',
      context: 'Metadata page.',
      url: 'http://169.254.169.254/latest/meta-data/',
      clis: ['claude'],
    });
    expect(errorOf(result)?.code).toBe('URL_BLOCKED');
    expect(stub.requests.length).toBe(before);
  });

  it('refuses an evidence server the config does not define', async () => {
    const result = await callTool(server.client, 'roast', {
      domain: 'idea',
      context: 'A to-do app for cats.',
      clis: ['claude'],
      mcp_servers: ['filesystem'],
    });
    expect(errorOf(result)?.code).toBe('INVALID_ARGUMENT');
  });
});
