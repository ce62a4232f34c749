// Real binaries, claude's own WebFetch under the URL policy: an abstract-domain roast gives the pinned claude its
// web tools, and the stub model scripts a WebFetch. The fetch goes through the run's URL-policy proxy (the proxy
// env claude honours), the model API exempted: a loopback URL the allowlist does not hold is refused and its
// server sees nothing, while an allowlisted one is fetched and its text reaches the model.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
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

const PUBLIC_MARK = `PUBLICPAGE${process.pid}`;
const PRIVATE_MARK = `PRIVATEPAGE${process.pid}`;
/** The allowlisted page's address: loopback, but not the stub's 127.0.0.1, so only it is allowlisted. */
const ALLOWED_HOST = '127.0.0.2';

let stub: StubModelServer;
let sandbox: RealSandbox;
let server: RealServer;
let allowedPage: Server;
let privatePage: Server;
const privateHits: string[] = [];
const allowedHits: string[] = [];

const listen = (s: Server, host: string) =>
  new Promise<number>((resolve) => s.listen(0, host, () => resolve((s.address() as AddressInfo).port)));
const closeServer = (s: Server | undefined) =>
  new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve()));

/** A self-signed certificate for both pages (WebFetch upgrades http to https), trusted by the critic. */
function selfSigned(dir: string): { key: string; cert: string; certPath: string } {
  const keyPath = join(dir, 'page-key.pem');
  const certPath = join(dir, 'page-cert.pem');
  const made = spawnSync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-keyout',
    keyPath,
    '-out',
    certPath,
    '-subj',
    `/CN=${ALLOWED_HOST}`,
    '-addext',
    `subjectAltName=IP:${ALLOWED_HOST},IP:127.0.0.1,DNS:localhost`,
  ]);
  if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr.toString()}`);
  return { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8'), certPath };
}

let privateUrl: string;
let allowedUrl: string;

beforeAll(async () => {
  const bins = await requireRealClis();
  stub = await StubModelServer.start();
  sandbox = makeRealSandbox();
  const tls = selfSigned(sandbox.tmp);
  // https too: were the fetch not held to the policy, it would reach this server (WebFetch upgrades to https).
  privatePage = createHttpsServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    privateHits.push(`${req.method} ${req.url}`);
    res.end(`${PRIVATE_MARK} internal admin page`);
  });
  privateUrl = `http://127.0.0.1:${await listen(privatePage, '127.0.0.1')}/admin`;
  allowedPage = createHttpsServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    allowedHits.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<html><body><h1>Ruling</h1><p>${PUBLIC_MARK} the court held the clause void.</p></body></html>`);
  });
  allowedUrl = `http://${ALLOWED_HOST}:${await listen(allowedPage, ALLOWED_HOST)}/ruling`;
  const env = realServerEnv(sandbox, bins, stub, {
    // Only the allowlisted page's address; the stub and the private page (127.0.0.1) stay outside it.
    BRUTALIST_URL_ALLOWED_NETWORKS: `${ALLOWED_HOST}/32`,
    NODE_EXTRA_CA_CERTS: tls.certPath,
  });
  server = await connectRealServer(env, sandbox.project);
}, INSTALL_TIMEOUT_MS);

afterAll(async () => {
  await server?.close();
  await stub?.close();
  await closeServer(privatePage);
  await closeServer(allowedPage);
  sandbox?.cleanup();
});

/** One WebFetch of `url`, then an answer quoting what the tool returned. */
const fetchThenAnswer = (url: string) => (seen: readonly SeenToolResult[]) =>
  seen.length === 0
    ? { call: { name: 'WebFetch', input: { url, prompt: 'What does the page say?' } } }
    : { text: `## Verdict\nChecked the source.\n\n## WebFetch said\n${(seen[0]?.text ?? '').slice(0, 800)}` };

describe("claude's WebFetch under the URL policy", () => {
  it('refuses a loopback URL outside the allowlist: its server sees no request, the critique completes', async () => {
    const mark = `WEBBLOCKED${process.pid}`;
    stub.when(mark, { client: fetchThenAnswer(privateUrl) }, 'anthropic');
    const result = await callTool(server.client, 'roast', {
      domain: 'research',
      context: `A paper on caching. ${mark}`,
      clis: ['claude'],
    });
    expect(errorOf(result)).toBeUndefined();
    const text = textOf(result);
    expect(text).toContain('## WebFetch said');
    expect(text).not.toContain(PRIVATE_MARK);
    expect(privateHits).toEqual([]);
    // The model was offered WebFetch and its call was answered (by a failure, not the page).
    const requests = stub.requestsWith(mark);
    expect(JSON.stringify((requests[0]?.body as { tools?: unknown[] } | undefined)?.tools)).toContain(
      '"WebFetch"',
    );
    expect(stub.requests.some((r) => r.promptText.includes(PRIVATE_MARK))).toBe(false);
  });

  it('refuses the cloud metadata address, and the critique still completes', async () => {
    const mark = `WEBMETADATA${process.pid}`;
    stub.when(mark, { client: fetchThenAnswer('http://169.254.169.254/latest/meta-data/') }, 'anthropic');
    const result = await callTool(server.client, 'roast', {
      domain: 'security',
      context: `Our cloud setup. ${mark}`,
      clis: ['claude'],
    });
    expect(errorOf(result)).toBeUndefined();
    expect(textOf(result)).toContain('## WebFetch said');
  });

  it('fetches an allowlisted page through the proxy, and its text reaches the model', async () => {
    const mark = `WEBALLOWED${process.pid}`;
    stub.when(mark, { client: fetchThenAnswer(allowedUrl) }, 'anthropic');
    const before = allowedHits.length;
    const result = await callTool(server.client, 'roast', {
      domain: 'legal',
      context: `Our terms of sale. ${mark}`,
      clis: ['claude'],
    });
    expect(errorOf(result)).toBeUndefined();
    expect(allowedHits.slice(before)).toEqual(['GET /ruling']);
    // WebFetch hands the page to the (stub) model to read: the page text reached a model request.
    expect(stub.requests.some((r) => r.promptText.includes(PUBLIC_MARK))).toBe(true);
    expect(textOf(result)).toContain('## WebFetch said');
  });
});
