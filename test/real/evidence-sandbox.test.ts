// Real binaries, evidence browser under the default sandbox (sandbox=auto picks bwrap where it is installed): the
// built server runs the pinned claude confined, with the playwright evidence server and the machine's Chromium
// inside the same confinement; the stub model scripts a navigate and a snapshot of a page this test serves on
// loopback (allowlisted), the browser reaches it through the run's URL-policy proxy and its text comes back.
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
  textOf,
} from '../support/real-clis.js';
import { type SeenToolResult, StubModelServer } from '../support/stub-model/index.js';

vi.setConfig({ testTimeout: REAL_TEST_TIMEOUT_MS });

const PAGE_MARK = `SANDBOXEDPAGE${process.pid}`;
let stub: StubModelServer;
let sandbox: RealSandbox;
let server: RealServer;
let page: Server;
let pageUrl: string;
const pageHits: Array<{ url: string; agent: string }> = [];

beforeAll(async () => {
  const bins = await requireRealClis();
  stub = await StubModelServer.start();
  page = createServer((req, res) => {
    pageHits.push({ url: req.url ?? '', agent: req.headers['user-agent'] ?? '' });
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(
      `<!doctype html><title>Pricing</title><h1>Pricing</h1><p>${PAGE_MARK} three tiers, no contrast.</p>`,
    );
  });
  await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
  pageUrl = `http://127.0.0.1:${(page.address() as AddressInfo).port}/pricing`;
  sandbox = makeRealSandbox('brutalist-evidence-bwrap-');
  const env = realServerEnv(sandbox, bins, stub, {
    BRUTALIST_SANDBOX: 'auto',
    BRUTALIST_URL_ALLOWED_NETWORKS: '127.0.0.0/8',
    BRUTALIST_PLAYWRIGHT_CHROMIUM_PATH: '/usr/bin/chromium',
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

const browse = (url: string) => (seen: readonly SeenToolResult[]) => {
  if (seen.length === 0) return { call: { name: 'mcp__playwright__browser_navigate', input: { url } } };
  if (seen.length === 1) return { call: { name: 'mcp__playwright__browser_snapshot', input: {} } };
  return { text: `## Verdict\nSeen live.\n\n## Evidence\n${(seen[1]?.text ?? '').slice(0, 1_500)}` };
};

describe('the playwright evidence server under sandbox=auto (bwrap)', () => {
  it('the roster reports bwrap, the default sandbox here', async () => {
    const roster = await callTool(server.client, 'cli_agent_roster', {});
    expect((roster.structuredContent as { sandbox: { mode: string } }).sandbox.mode).toBe('bwrap');
  });

  it("runs the browser confined; it reaches the allowlisted page through the proxy, and the page's text returns", async () => {
    const mark = `BWRAPDESIGN${process.pid}`;
    stub.when(mark, { client: browse(pageUrl) }, 'anthropic');
    const result = await callTool(server.client, 'roast', {
      domain: 'design',
      context: `Our pricing page. ${mark}`,
      url: pageUrl,
      clis: ['claude'],
    });
    expect(errorOf(result)).toBeUndefined();
    expect(textOf(result)).toContain(PAGE_MARK);
    // The machine's Chromium fetched it (its user agent), once per navigation at least.
    expect(pageHits.some((h) => h.url === '/pricing' && /Chrome\//.test(h.agent))).toBe(true);
  });
});
