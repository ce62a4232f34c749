/** stdio hosting: what MCP clients launch. Logs go to stderr only; stdout carries JSON-RPC. */
import { PassThrough } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Config } from '../engine/config.js';
import { createLogger } from '../observability/index.js';
import { createApp } from './app.js';
import { LineGuard, type OversizedLine } from './line-guard.js';

/** JSON-RPC "Invalid Request": the message was never read, so no method ran. */
export const JSONRPC_INVALID_REQUEST = -32600;
// The SDK's own reader sees only lines LineGuard let through (each ≤ maxMessageBytes, one at a time), so its
// limit is never what ends the server; it stays as a backstop just above ours.
const SDK_BUFFER_SLACK_BYTES = 1024 * 1024;

/** The JSON-RPC error answering a message that was too large to read (no id: it could not be found). */
export function oversizedError(line: OversizedLine, maxMessageBytes: number) {
  return {
    jsonrpc: '2.0' as const,
    ...(line.id === undefined ? {} : { id: line.id }),
    error: {
      code: JSONRPC_INVALID_REQUEST,
      message: `Message too large: ${line.bytes} bytes; this server reads at most ${maxMessageBytes} bytes per message (maxMessageBytes). Send less context, or raise maxMessageBytes and maxContextChars together.`,
      data: { code: 'INPUT_TOO_LARGE', limit: maxMessageBytes, actual: line.bytes },
    },
  };
}

/** Serves MCP on stdin/stdout until the client closes stdin or a signal arrives; then shuts down cleanly. */
export async function serveStdio(config: Config, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const app = createApp(config, { env, logger: createLogger({ level: config.logLevel, env }) });
  const server = app.createServer('local');
  // stdin passes through LineGuard: an oversized message gets an error answer and the server keeps serving
  // (the SDK's reader alone would close the transport, and with it the process, work in flight included).
  const input = new PassThrough();
  const transport = new StdioServerTransport(input, process.stdout, {
    maxBufferSize: config.maxMessageBytes + SDK_BUFFER_SLACK_BYTES,
  });
  const guard = new LineGuard(config.maxMessageBytes, (line) => {
    process.stderr.write(
      `brutalist-mcp: dropped a ${line.bytes}-byte message over maxMessageBytes (${config.maxMessageBytes})` +
        `${line.method ? ` for ${line.method}` : ''}${line.id === undefined ? ' with no readable id' : ''}\n`,
    );
    // Notifications get no answer (JSON-RPC); requests get an error, by id when it could be read.
    if (line.method?.startsWith('notifications/')) return;
    void transport.send(oversizedError(line, config.maxMessageBytes)).catch(() => {});
  });
  process.stdin.on('data', (chunk: Buffer) => {
    for (const line of guard.push(chunk)) input.write(line);
  });

  let stopping = false;
  const stop = async (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    try {
      await app.shutdown();
      await server.close();
    } finally {
      process.exit(exitCode);
    }
  };
  process.once('SIGINT', () => void stop(130));
  process.once('SIGTERM', () => void stop(143));
  process.stdin.once('end', () => void stop(0));
  process.stdin.once('close', () => void stop(0));
  transport.onclose = () => void stop(0);
  await server.connect(transport);
}
