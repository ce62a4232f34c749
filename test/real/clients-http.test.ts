// Real MCP clients over Streamable HTTP: Claude Code (2.1.197, 2.1.332) with an Authorization header against
// `serve --http` with API keys, and the Inspector CLI 0.15 (it cannot send headers) against a loopback server with
// authentication off. A recording proxy in front of the server shows the protocol revision each client negotiates.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SLO_REPORT_TOOL } from '../../src/mcp/admin-tools.js';
import { TOOLS } from '../../src/mcp/index.js';
import type { HttpService } from '../../src/transport/index.js';
import { makeSandbox, type Sandbox } from '../support/harness.js';
import { startService, writeKeys } from '../support/http.js';
import { CLIENTS, requireRealClients, runInspector } from '../support/real-clients.js';
import { INSTALL_TIMEOUT_MS } from '../support/real-clis.js';
import { StubModelServer } from '../support/stub-model/index.js';

vi.setConfig({ testTimeout: 240_000 });

let stub: StubModelServer;
let sandbox: Sandbox;
let keyed: HttpService;
let open: HttpService;
let keys: ReturnType<typeof writeKeys>;
let proxy: Server;
/** What the proxy saw, per exchange: the initialize's protocolVersion, the MCP-Protocol-Version header, the status. */
interface Exchange {
  initialize: string | undefined;
  header: string | undefined;
  status: number;
}
const versions = { exchanges: [] as Exchange[] };

/** Forwards to `target` byte for byte (SSE included), recording the protocol revision in use. */
function recordingProxy(target: HttpService): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const header = req.headers['mcp-protocol-version'];
      const init = /"method"\s*:\s*"initialize"[\s\S]*?"protocolVersion"\s*:\s*"([^"]+)"/.exec(
        body.toString(),
      );
      const exchange: Exchange = {
        initialize: init?.[1],
        header: typeof header === 'string' ? header : undefined,
        status: 0,
      };
      versions.exchanges.push(exchange);
      const upstream = request(
        {
          host: '127.0.0.1',
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: `127.0.0.1:${target.port}` },
        },
        (up) => {
          exchange.status = up.statusCode ?? 0;
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

beforeAll(async () => {
  await requireRealClients();
  stub = await StubModelServer.start();
  sandbox = makeSandbox('brutalist-real-http-');
  keys = writeKeys(sandbox, { claude: ['roast', 'debate'] });
  keyed = await startService(sandbox, { apiKeysFile: keys.file });
  open = await startService(sandbox, {});
  proxy = await recordingProxy(keyed);
}, INSTALL_TIMEOUT_MS);

afterAll(async () => {
  await new Promise((r) => proxy?.close(r));
  await keyed?.close();
  await open?.close();
  await stub?.close();
  sandbox?.cleanup();
});

const claudes = CLIENTS.filter((c) => c.id.startsWith('claude-'));

describe.each(claudes)('$id over HTTP with an API key', (client) => {
  const MARK = `HTTPCRIT-${client.id.replace(/[^a-z0-9]/gi, '').toUpperCase()}-${process.pid}`;

  it('lists the tools, calls roast with the Authorization header, and the model reads the critique', async () => {
    const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/mcp`;
    const run = await client.run({
      stub,
      http: { url, headers: { Authorization: `Bearer ${keys.tokens.claude}` } },
      script: (seen) =>
        seen.length === 0
          ? {
              tool: 'roast',
              input: {
                domain: 'idea',
                context: `A to-do app for cats.\n@@fake text=${MARK} roast`,
                clis: ['claude'],
              },
            }
          : { text: 'Done.' },
    });
    expect(run.timedOut, run.stderr).toBe(false);
    expect(
      run.offered.some((tools) => tools.includes(client.offeredName('roast'))),
      JSON.stringify(run.offered),
    ).toBe(true);
    const roast = run.seen.find((s) => s.tool === 'roast');
    expect(roast?.text, JSON.stringify(run.seen).slice(0, 2_000)).toContain(`${MARK} roast`);
    expect(run.exitCode, run.stderr).toBe(0);
    // 2.1.332 first probes 2026-07-28 (`server/discover`), gets 400 PROTOCOL_VERSION_UNSUPPORTED with our list,
    // and initializes with 2025-11-25; every exchange after that is a success (ADR 0035).
    const start = versions.exchanges.findIndex((e) => e.initialize !== undefined);
    const mine = versions.exchanges.slice(start);
    const probes = versions.exchanges.slice(0, start);
    versions.exchanges.length = 0;
    expect(mine[0]?.initialize).toBe('2025-11-25');
    expect(mine.filter((e) => e.header !== undefined).every((e) => e.header === '2025-11-25')).toBe(true);
    expect(
      mine.every((e) => e.status >= 200 && e.status < 300),
      JSON.stringify(mine),
    ).toBe(true);
    expect(
      probes.every((e) => e.status === 400 && e.header === '2026-07-28'),
      JSON.stringify(probes),
    ).toBe(true);
  });
});

describe('MCP Inspector CLI 0.15 over HTTP (authentication off, loopback)', () => {
  it('lists every tool', async () => {
    const run = await runInspector('tools/list', { url: `${open.url}/mcp` });
    expect(run.exitCode, run.stderr).toBe(0);
    const { tools } = run.json as { tools: Array<{ name: string }> };
    // The four public tools and the admin SLO report (loopback without authentication: every scope).
    expect(tools.map((t) => t.name).sort()).toEqual([...Object.keys(TOOLS), SLO_REPORT_TOOL].sort());
  });

  it('calls roast and shows the critique text', async () => {
    const MARK = `INSPECTHTTP-${process.pid}`;
    const run = await runInspector('tools/call', {
      url: `${open.url}/mcp`,
      toolName: 'roast',
      toolArgs: { domain: 'idea', context: `Cats.\n@@fake text=${MARK} roast`, clis: ['claude'] },
    });
    expect(run.exitCode, run.stderr).toBe(0);
    const result = run.json as { content?: Array<{ text?: string }>; isError?: boolean };
    expect(result.isError ?? false).toBe(false);
    expect((result.content ?? []).map((c) => c.text ?? '').join('')).toContain(`${MARK} roast`);
  });

  it('is refused by a server with API keys (it cannot send the header)', async () => {
    const run = await runInspector('tools/list', { url: `${keyed.url}/mcp` });
    expect(run.exitCode).not.toBe(0);
  });
});
