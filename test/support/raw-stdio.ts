/**
 * The built server over raw stdio bytes (no SDK client): write any bytes, read every line it prints, and wait for
 * the answer to one id. For tests that must send what a well-behaved client never would.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { CLI_JS } from './harness.js';

export interface RawStdioServer {
  readonly child: ChildProcessWithoutNullStreams;
  /** Every stdout line so far, as text. */
  readonly lines: string[];
  readonly stderr: string[];
  write(bytes: string | Buffer): Promise<void>;
  /** Sends a JSON-RPC request and resolves with the message answering its id. */
  request(method: string, params?: unknown, id?: number | string): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

const PROTOCOL_VERSION = '2025-06-18';

export async function startRawStdio(env: Record<string, string>, cwd: string): Promise<RawStdioServer> {
  const child = spawn(process.execPath, [CLI_JS], { env, cwd, stdio: 'pipe' });
  const lines: string[] = [];
  const stderr: string[] = [];
  const waiters = new Map<string, (message: Record<string, unknown>) => void>();
  let pending = '';
  child.stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    let at = pending.indexOf('\n');
    while (at >= 0) {
      const line = pending.slice(0, at);
      pending = pending.slice(at + 1);
      lines.push(line);
      answer(line);
      at = pending.indexOf('\n');
    }
  });
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));

  function answer(line: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const waiter = waiters.get(JSON.stringify(message.id ?? null));
    if (waiter && ('result' in message || 'error' in message)) {
      waiters.delete(JSON.stringify(message.id));
      waiter(message);
    }
  }

  let nextId = 1;
  const server: RawStdioServer = {
    child,
    lines,
    stderr,
    write: (bytes) =>
      new Promise((resolve, reject) => child.stdin.write(bytes, (err) => (err ? reject(err) : resolve()))),
    request(method, params, id = `raw-${nextId++}`) {
      const answered = new Promise<Record<string, unknown>>((resolve) =>
        waiters.set(JSON.stringify(id), resolve),
      );
      const body = { jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) };
      return server.write(`${JSON.stringify(body)}\n`).then(() => answered);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin.end();
      await exited;
    },
  };
  await server.request('initialize', {
    protocolVersion: PROTOCOL_VERSION,
    capabilities: {},
    clientInfo: { name: 'brutalist-raw', version: '1.0.0' },
  });
  await server.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
  return server;
}
