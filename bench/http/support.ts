// The HTTP service in this process for benchmarks: memory state, a keys file of ten keys, keep-alive raw requests.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import pino from 'pino';
import { type ConfigInput, resolveConfig } from '../../src/engine/config.js';
import { newKey } from '../../src/http/index.js';
import { createLogger } from '../../src/observability/index.js';
import { type HttpService, startHttpService } from '../../src/transport/index.js';

export interface BenchService {
  readonly service: HttpService;
  readonly token: string;
  /** Every key's token, in the keys file's order (`token` is the last). */
  readonly tokens: readonly string[];
  close(): Promise<void>;
}

/** The service with `keys` API keys (0: authentication off) and the other overrides. */
export async function startBenchService(keys: number, overrides: ConfigInput = {}): Promise<BenchService> {
  const dir = mkdtempSync(join(tmpdir(), 'brutalist-bench-http-'));
  const file = join(dir, 'keys');
  const tokens: string[] = [];
  let text = '';
  for (let i = 0; i < keys; i++) {
    const key = newKey(`key${i}`, ['roast', 'debate']);
    tokens.push(key.token);
    text += key.line;
  }
  writeFileSync(file, text, { mode: 0o600 });
  const config = resolveConfig({
    overrides: { stateStore: 'memory', httpPort: 0, apiKeysFile: keys > 0 ? file : '', ...overrides },
  });
  const logger = createLogger({
    level: 'warn',
    env: {},
    destination: pino.destination({ dest: '/dev/null' }),
  });
  const service = await startHttpService(config, { env: { PATH: process.env.PATH }, logger, cwd: dir });
  return {
    service,
    token: tokens.at(-1) ?? '',
    tokens,
    close: async () => {
      await service.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** One POST /mcp over a kept-alive socket; resolves with status, session id and the body. */
export function postMcp(
  service: HttpService,
  body: unknown,
  headers: Record<string, string>,
): Promise<{ status: number; session: string | undefined; text: string }> {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: service.port,
        method: 'POST',
        path: '/mcp',
        agent,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'content-length': String(Buffer.byteLength(data)),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => {
          const session = res.headers['mcp-session-id'];
          resolve({
            status: res.statusCode ?? 0,
            session: typeof session === 'string' ? session : undefined,
            text,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

export const INITIALIZE = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench', version: '1' } },
};

/** Statuses whose answers have no body (a web Response refuses one). */
const NULL_BODY = new Set([101, 204, 205, 304]);

/**
 * A fetch for the SDK's Streamable HTTP client that connects from `localAddress` (on Linux any 127.x.y.z reaches a
 * service on 127.0.0.1), so each benchmark client is its own client IP to the per-IP rate limit; its own keep-alive
 * sockets; the request's AbortSignal ends the exchange (the SDK aborts its SSE stream on close).
 */
export function loopbackFetch(
  localAddress: string,
): (url: string | URL, init?: RequestInit) => Promise<Response> {
  const own = new Agent({ keepAlive: true });
  return (url, init = {}) =>
    new Promise((resolve, reject) => {
      if (init.body !== undefined && init.body !== null && typeof init.body !== 'string') {
        reject(new TypeError('loopbackFetch sends string bodies only'));
        return;
      }
      const req = request(
        new URL(url),
        {
          method: init.method ?? 'GET',
          headers: Object.fromEntries(new Headers(init.headers).entries()),
          agent: own,
          localAddress,
          ...(init.signal ? { signal: init.signal } : {}),
        },
        (res) => {
          const status = res.statusCode ?? 0;
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            for (const one of value === undefined ? [] : [value].flat()) headers.append(name, one);
          }
          if (NULL_BODY.has(status)) res.resume();
          const body = NULL_BODY.has(status) ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
          resolve(new Response(body, { status, headers }));
        },
      );
      req.on('error', reject);
      req.end(init.body ?? undefined);
    });
}
