// `serve --http` in this process (so coverage sees it): the ports and binds it refuses with typed errors, the drain
// on SIGTERM and the forced exit on a second signal, the grace period running out, and a critique answered
// "running" still unsettled when the drain ends.
import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type ConfigInput, resolveConfig } from '../../src/engine/config.js';
import { createLogger } from '../../src/observability/index.js';
import { type HttpService, serveHttp, startHttpService } from '../../src/transport/index.js';
import {
  brutalistRejection,
  fakeCritics,
  isAlive,
  makeSandbox,
  readLog,
  waitUntil,
} from '../support/harness.js';

const sandbox = makeSandbox('brutalist-http-serve-inproc-');
const services: HttpService[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) await s.close();
});
afterAll(() => sandbox.cleanup());

const env = () => ({ PATH: process.env.PATH, HOME: sandbox.home, FAKE_CLI_LOG: sandbox.log });
const configOf = (overrides: ConfigInput = {}) =>
  resolveConfig({
    overrides: fakeCritics(sandbox, {
      stateStore: 'memory',
      httpPort: 0,
      waitMs: 60_000,
      maxConcurrent: 8,
      maxConcurrentPerCritic: 8,
      ...overrides,
    }),
  });

/** Critic runs (not --version or login probes) the fake CLIs logged so far. */
const criticPids = () =>
  readLog(sandbox.log)
    .filter((inv) => inv.stdin.length > 0)
    .map((inv) => inv.pid);

interface Served {
  readonly service: HttpService;
  readonly stderr: string[];
  readonly logged: Array<Record<string, unknown>>;
  readonly exits: number[];
  readonly signals: EventEmitter;
}

async function serve(overrides: ConfigInput = {}): Promise<Served> {
  const stderr: string[] = [];
  const logged: Array<Record<string, unknown>> = [];
  const exits: number[] = [];
  const signals = new EventEmitter();
  const logger = createLogger({
    level: 'info',
    env: {},
    destination: { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) },
  });
  const service = await serveHttp(configOf(overrides), env(), {
    stderr: { write: (text: string) => stderr.push(text) },
    exit: (code) => void exits.push(code),
    signals,
    logger,
  });
  services.push(service);
  await service.ops.warmedUp;
  return { service, stderr, logged, exits, signals };
}

async function connect(service: HttpService): Promise<Client> {
  const client = new Client({ name: 'serve-inproc', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${service.url}/mcp`)));
  return client;
}

const roast = (client: Client, context: string) =>
  client.callTool({ name: 'roast', arguments: { domain: 'idea', context } }) as Promise<CallToolResult>;

describe('what startHttpService refuses to serve', () => {
  it('refuses a non-loopback bind without authentication with CONFIG_INVALID naming httpHost', async () => {
    const error = await brutalistRejection(
      startHttpService(configOf({ httpHost: '0.0.0.0' }), { env: env() }),
    );
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.data).toEqual({ option: 'httpHost' });
    expect(error.message).toContain('BRUTALIST_API_KEYS_FILE');
  });

  it('answers a port in use with CONFIG_INVALID naming the port and EADDRINUSE, not INTERNAL_ERROR', async () => {
    const taken: Server = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const port = (taken.address() as AddressInfo).port;
    try {
      const error = await brutalistRejection(
        startHttpService(configOf({ httpPort: port, httpHost: '127.0.0.1' }), { env: env() }),
      );
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.data).toEqual({ option: 'httpPort', errno: 'EADDRINUSE' });
      expect(error.message).toBe(
        `Cannot serve HTTP on 127.0.0.1 port ${port}: the port is in use (EADDRINUSE). Choose another --port or BRUTALIST_HTTP_HOST.`,
      );
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });

  it('answers an address this host does not have with CONFIG_INVALID and EADDRNOTAVAIL', async () => {
    // TEST-NET-1 (RFC 5737): never a local address.
    const config = configOf({ httpHost: '192.0.2.1' });
    const error = await brutalistRejection(
      startHttpService(config, { env: env(), authenticators: [async () => null] }),
    );
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.data).toEqual({ option: 'httpPort', errno: 'EADDRNOTAVAIL' });
    expect(error.message).toContain('the address is not on this host');
  });
});

describe('serve --http in process', () => {
  it('says where it serves and that authentication is off on loopback', async () => {
    const { service, stderr } = await serve();
    expect(stderr).toEqual([
      `brutalist-mcp: serving MCP on ${service.url}/mcp (authentication: off (loopback only))\n`,
    ]);
  });

  it('on SIGTERM finishes the call in flight, refuses new ones 503 SHUTTING_DOWN, then exits 0', async () => {
    const { service, logged, exits, signals } = await serve({ drainGraceMs: 30_000 });
    const client = await connect(service);
    const before = criticPids().length;
    const call = roast(client, 'Drain me.\n@@fake delay_ms=800\n@@fake text=DRAINED-INPROC');
    await waitUntil(() => criticPids().length > before, 20_000);
    signals.emit('SIGTERM');
    const refused = await fetch(`${service.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/list' }),
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).not.toBeNull();
    expect(((await refused.json()) as { error: { data: { code: string } } }).error.data.code).toBe(
      'SHUTTING_DOWN',
    );
    expect(JSON.stringify((await call).content)).toContain('DRAINED-INPROC');
    await waitUntil(() => exits.length > 0, 20_000);
    expect(exits).toEqual([0]);
    expect(logged.find((l) => l.event === 'drain_done')).toMatchObject({ drained: true, remaining: 0 });
  });

  it('on a second signal kills the critics and exits 130 at once, without waiting for the grace', async () => {
    const { service, exits, signals } = await serve({ drainGraceMs: 600_000 });
    const client = await connect(service);
    const before = criticPids().length;
    void roast(client, 'Hang.\n@@fake hang=1').catch(() => undefined);
    await waitUntil(() => criticPids().length > before, 20_000);
    const hung = criticPids().slice(before);
    signals.emit('SIGTERM');
    signals.emit('SIGINT');
    expect(exits).toEqual([130]);
    await waitUntil(() => hung.every((pid) => !isAlive(pid)), 10_000);
  });
});

describe('the drain', () => {
  it('kills a critic still running when the grace ends, and says how many requests were left', async () => {
    const { service, logged } = await serve({ killGraceMs: 200 });
    const client = await connect(service);
    const before = criticPids().length;
    const call = roast(client, 'Hang.\n@@fake hang=1').catch((err: unknown) => err);
    await waitUntil(() => criticPids().length > before, 20_000);
    const hung = criticPids().slice(before);
    const first = service.drain(300);
    // Idempotent: a second drain is the same one.
    expect(service.drain(5)).toBe(first);
    expect(await first).toEqual({ drained: false, remaining: 1, critiquesSettled: false });
    expect(logged.find((l) => l.event === 'drain_timeout')).toMatchObject({ remaining: 1 });
    await call;
    await waitUntil(() => hung.every((pid) => !isAlive(pid)), 10_000);
    expect((await fetch(`${service.url}/healthz`).catch(() => 'closed')) === 'closed').toBe(true);
  });

  it('reports a critique answered "running" that did not finish within the grace as unsettled', async () => {
    const { service, logged } = await serve({ waitMs: 100, killGraceMs: 200 });
    const client = await connect(service);
    const first = await roast(client, 'Slow.\n@@fake delay_ms=5000');
    expect(first.structuredContent).toMatchObject({ status: 'running' });
    expect(await service.drain(200)).toEqual({ drained: true, remaining: 0, critiquesSettled: false });
    expect(logged.find((l) => l.event === 'drain_timeout')).toMatchObject({ critiques: 'running' });
  });
});
