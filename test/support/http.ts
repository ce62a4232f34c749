// The HTTP service in this process on a loopback port, an API keys file, and the real SDK client over HTTP.
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { type IncomingHttpHeaders, request } from 'node:http';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { type ConfigInput, resolveConfig } from '../../src/engine/config.js';
import { newKey, type Scope } from '../../src/http/index.js';
import type { Clock } from '../../src/infra/index.js';
import { type HttpService, type HttpServiceOptions, startHttpService } from '../../src/transport/index.js';
import { CLI_JS, fakeCritics, type Sandbox } from './harness.js';

/** A keys file in the sandbox (0600) with one key per entry; returns each key's token by name. */
export function writeKeys(
  sandbox: Sandbox,
  keys: Record<string, readonly Scope[]>,
): { file: string; tokens: Record<string, string> } {
  const file = join(sandbox.dir, 'api-keys');
  const tokens: Record<string, string> = {};
  let text = '';
  for (const [name, scopes] of Object.entries(keys)) {
    const key = newKey(name, scopes);
    tokens[name] = key.token;
    text += key.line;
  }
  writeFileSync(file, text, { mode: 0o600 });
  return { file, tokens };
}

/** The service on 127.0.0.1 at a free port with the fake critics, memory state and a quiet logger. */
export async function startService(
  sandbox: Sandbox,
  overrides: ConfigInput = {},
  options: {
    clock?: Clock;
    hooks?: HttpServiceOptions['hooks'];
    logLines?: string[];
    /** More server env (also the log's redaction env). */
    env?: Record<string, string>;
  } = {},
): Promise<HttpService> {
  const config = resolveConfig({
    overrides: fakeCritics(sandbox, { stateStore: 'memory', httpPort: 0, logLevel: 'info', ...overrides }),
  });
  const lines = options.logLines;
  const { createLogger } = await import('../../src/observability/index.js');
  const logger = createLogger({
    level: 'info',
    env: options.env ?? {},
    destination: { write: (line: string) => void lines?.push(line) },
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const service = await startHttpService(config, {
    env: { PATH: process.env.PATH, HOME: sandbox.home, FAKE_CLI_LOG: sandbox.log, ...options.env },
    cwd: sandbox.project,
    logger,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.hooks ? { hooks: options.hooks } : {}),
  });
  // Ready as a balancer would wait for it (/readyz 503 until the critics are probed).
  await service.ops.warmedUp;
  return service;
}

/** The real SDK client connected to `service` with `token` in the Authorization header (none: no header). */
export async function connectHttp(
  service: HttpService,
  token: string | undefined,
  options: { sessionId?: string } = {},
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(`${service.url}/mcp`), {
    requestInit: token ? { headers: { Authorization: `Bearer ${token}` } } : {},
    ...(options.sessionId ? { sessionId: options.sessionId } : {}),
  });
  const client = new Client({ name: 'brutalist-http-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

/** An initialize request body as a client sends it. */
export const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-11-25',
    capabilities: {},
    clientInfo: { name: 'raw', version: '1.0.0' },
  },
};

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  json(): {
    id: unknown;
    error: { code: number; message: string; data: Record<string, unknown> & { code: string } };
  };
}

/**
 * One raw HTTP request (node:http, so Host and Origin are exactly what the test says; `host: null` sends none).
 * POST gets the MCP headers unless the test overrides them.
 */
export function raw(
  service: HttpService,
  options: {
    method?: string;
    path?: string;
    headers?: Record<string, string | null>;
    body?: unknown;
  } = {},
): Promise<RawResponse> {
  const method = options.method ?? 'POST';
  const body =
    options.body === undefined
      ? undefined
      : Buffer.isBuffer(options.body)
        ? options.body
        : Buffer.from(typeof options.body === 'string' ? options.body : JSON.stringify(options.body));
  const headers: Record<string, string> = {
    host: `127.0.0.1:${service.port}`,
    ...(method === 'POST'
      ? { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }
      : {}),
  };
  for (const [k, v] of Object.entries(options.headers ?? {})) {
    if (v === null) delete headers[k.toLowerCase()];
    else headers[k.toLowerCase()] = v;
  }
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: service.port,
        method,
        path: options.path ?? '/mcp',
        headers,
        setHost: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Starts the built CLI's `serve --http` on a free port in the sandbox's project. `url` resolves with its base URL
 * (no `/mcp`) once it says it listens and rejects with its stderr if it exits first; the caller stops `child`.
 */
export function spawnHttpServe(
  sandbox: Sandbox,
  env: NodeJS.ProcessEnv,
  args: readonly string[] = [],
): { child: ChildProcess; url: Promise<string> } {
  const child = spawn(process.execPath, [CLI_JS, 'serve', '--http', '--port', '0', ...args], {
    env,
    cwd: sandbox.project,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = new Promise<string>((resolve, reject) => {
    let err = '';
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /serving MCP on (http:\/\/\S+)\/mcp/.exec(err);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
  });
  return { child, url };
}
