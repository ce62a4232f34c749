// The stdio server in this process (so coverage sees it) over PassThrough streams, driven by the real SDK client:
// the oversized-message answers, stdin EOF with a call in flight, the signals' exit codes and the metrics port.
import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, describe, expect, it } from 'vitest';
import { type ConfigInput, resolveConfig } from '../../src/engine/config.js';
import { createLogger } from '../../src/observability/index.js';
import { JSONRPC_INVALID_REQUEST, serveStdio } from '../../src/transport/index.js';
import { fakeCritics, makeSandbox, readLog, waitUntil } from '../support/harness.js';

const sandbox = makeSandbox('brutalist-stdio-inproc-');
afterAll(() => sandbox.cleanup());

const LIMIT = 2 * 1024 * 1024;

interface InProcessStdio {
  readonly toServer: PassThrough;
  /** Every line the server wrote on stdout, parsed. */
  readonly lines: Array<Record<string, unknown>>;
  readonly stderr: string[];
  readonly logLines: string[];
  /** The exit codes the server asked for, in order (one expected). */
  readonly exits: number[];
  readonly signals: EventEmitter;
  /** A real SDK client over the same streams (the SDK's line transport, pointed the other way). */
  client(): Promise<Client>;
}

async function startStdio(overrides: ConfigInput = {}): Promise<InProcessStdio> {
  const config = resolveConfig({ overrides: fakeCritics(sandbox, { stateStore: 'memory', ...overrides }) });
  const toServer = new PassThrough();
  const fromServer = new PassThrough();
  const lines: Array<Record<string, unknown>> = [];
  let pending = '';
  fromServer.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    for (let at = pending.indexOf('\n'); at >= 0; at = pending.indexOf('\n')) {
      lines.push(JSON.parse(pending.slice(0, at)) as Record<string, unknown>);
      pending = pending.slice(at + 1);
    }
  });
  const stderr: string[] = [];
  const logLines: string[] = [];
  const exits: number[] = [];
  const signals = new EventEmitter();
  await serveStdio(
    config,
    { PATH: process.env.PATH, HOME: sandbox.home, FAKE_CLI_LOG: sandbox.log },
    {
      stdin: toServer,
      stdout: fromServer,
      stderr: { write: (text: string) => stderr.push(text) },
      exit: (code) => void exits.push(code),
      signals,
      logger: createLogger({
        level: 'info',
        env: {},
        destination: { write: (l: string) => void logLines.push(l) },
      }),
    },
  );
  return {
    toServer,
    lines,
    stderr,
    logLines,
    exits,
    signals,
    async client() {
      const client = new Client({ name: 'stdio-inproc', version: '1.0.0' });
      await client.connect(new StdioServerTransport(fromServer, toServer));
      return client;
    },
  };
}

const request = (id: number | string | undefined, method: string, params: unknown) =>
  `${JSON.stringify({ jsonrpc: '2.0', ...(id === undefined ? {} : { id }), method, params })}\n`;

const answerTo = (server: InProcessStdio, id: unknown) => server.lines.find((l) => l.id === id);

describe('stdio server in process', () => {
  it('serves the real SDK client and, at stdin EOF, answers the call in flight before exiting 0', async () => {
    const server = await startStdio({ drainGraceMs: 20_000 });
    const client = await server.client();
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('roast');
    const call = client.callTool({
      name: 'roast',
      arguments: {
        domain: 'idea',
        context: 'In process.\n@@fake delay_ms=600\n@@fake text=AFTER-EOF-INPROC',
      },
    }) as Promise<CallToolResult>;
    // EOF once the critic runs: the call is in flight, not merely sent.
    await waitUntil(() => readLog(sandbox.log).length > 0);
    server.toServer.end();
    const result = await call;
    expect(JSON.stringify(result.content)).toContain('AFTER-EOF-INPROC');
    await waitUntil(() => server.exits.length > 0, 20_000);
    expect(server.exits).toEqual([0]);
  });

  it('answers an oversized request by id with INPUT_TOO_LARGE and keeps serving', async () => {
    const server = await startStdio({ maxMessageBytes: LIMIT, maxContextChars: 1_000 });
    const client = await server.client();
    const big = 'x'.repeat(LIMIT + 10);
    server.toServer.write(
      request(77, 'tools/call', { name: 'roast', arguments: { domain: 'idea', context: big } }),
    );
    await waitUntil(() => answerTo(server, 77) !== undefined);
    const answer = answerTo(server, 77) as {
      error: { code: number; message: string; data: Record<string, unknown> };
    };
    expect(answer.error.code).toBe(JSONRPC_INVALID_REQUEST);
    expect(answer.error.data.code).toBe('INPUT_TOO_LARGE');
    expect(answer.error.data.limit).toBe(LIMIT);
    expect(answer.error.data.actual).toBeGreaterThan(LIMIT);
    expect(answer.error.message).not.toContain(sandbox.dir);
    expect(server.stderr.join('')).toMatch(
      /dropped a \d+-byte message over maxMessageBytes \(2097152\) for tools\/call\n/,
    );
    // The same session goes on: the next request is read and answered.
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    expect(server.exits).toEqual([]);
    server.signals.emit('SIGTERM');
    await waitUntil(() => server.exits.length > 0);
  });

  it('answers an oversized request whose id cannot be read without an id, and a notification not at all', async () => {
    const server = await startStdio({ maxMessageBytes: LIMIT, maxContextChars: 1_000 });
    const client = await server.client();
    const big = 'y'.repeat(LIMIT + 10);
    // The id is neither in the first nor the last bytes of the line: it cannot be found.
    server.toServer.write(
      `{"jsonrpc":"2.0","params":{"a":"${big}"},"method":"tools/list","nested":{"id":9},"x":1}\n`,
    );
    await waitUntil(() => server.lines.some((l) => l.error !== undefined && l.id === undefined));
    expect(server.stderr.join('')).toContain('with no readable id');
    const before = server.lines.length;
    server.toServer.write(request(undefined, 'notifications/progress', { pad: big }));
    // A request after it is answered; the notification before it got nothing.
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await waitUntil(() => server.stderr.some((l) => l.includes('for notifications/progress')));
    expect(server.lines.slice(before).filter((l) => l.error !== undefined)).toEqual([]);
    server.signals.emit('SIGINT');
    await waitUntil(() => server.exits.length > 0);
    expect(server.exits).toEqual([130]);
  });

  it('exits 143 on SIGTERM, once, however many signals and EOFs follow', async () => {
    const server = await startStdio();
    await server.client();
    server.signals.emit('SIGTERM');
    server.signals.emit('SIGINT');
    server.toServer.end();
    await waitUntil(() => server.exits.length > 0);
    expect(server.exits).toEqual([143]);
  });

  it('logs a metrics port it cannot bind and serves on without it', async () => {
    const taken: Server = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const port = (taken.address() as AddressInfo).port;
    try {
      const server = await startStdio({ metricsPort: port });
      const client = await server.client();
      expect((await client.listTools()).tools.length).toBeGreaterThan(0);
      const logged = server.logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(logged.find((l) => l.event === 'metrics_port')).toMatchObject({ port, code: 'EADDRINUSE' });
      server.toServer.end();
      await waitUntil(() => server.exits.length > 0);
      expect(server.exits).toEqual([0]);
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });

  it('serves Prometheus metrics on the metrics port when it is free, and closes it at exit', async () => {
    const probe: Server = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const server = await startStdio({ metricsPort: port });
    const client = await server.client();
    await client.listTools();
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('# TYPE');
    server.toServer.end();
    await waitUntil(() => server.exits.length > 0);
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });
});
