// The HTTP service in this process for benchmarks: memory state, a keys file of ten keys, keep-alive raw requests.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { type ConfigInput, resolveConfig } from '../../src/engine/config.js';
import { newKey } from '../../src/http/index.js';
import { createLogger } from '../../src/observability/index.js';
import { type HttpService, startHttpService } from '../../src/transport/index.js';

export interface BenchService {
  readonly service: HttpService;
  readonly token: string;
  close(): Promise<void>;
}

/** The service with `keys` API keys (0: authentication off) and the other overrides. */
export async function startBenchService(keys: number, overrides: ConfigInput = {}): Promise<BenchService> {
  const dir = mkdtempSync(join(tmpdir(), 'brutalist-bench-http-'));
  const file = join(dir, 'keys');
  let token = '';
  let text = '';
  for (let i = 0; i < keys; i++) {
    const key = newKey(`key${i}`, ['roast', 'debate']);
    token = key.token;
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
    token,
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
