/** stdio hosting: what MCP clients launch. Logs go to stderr only; stdout carries JSON-RPC. */
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Config } from '../engine/config.js';
import { systemClock } from '../infra/index.js';
import { TOOLS } from '../mcp/index.js';
import {
  createLogger,
  createObservability,
  type Logger,
  type MetricsServer,
  type Observability,
  startMetricsServer,
} from '../observability/index.js';
import { createApp } from './app.js';
import { untilIdle } from './drain.js';
import { exitAfter, type ProcessHost, realProcess } from './exit.js';
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

/** The streams and process a stdio server uses: the real ones by default; a test's PassThroughs in process. */
export interface StdioHost extends ProcessHost {
  readonly stdin: Readable;
  readonly stdout: Writable;
  /** Operator notes (a dropped oversized message); never JSON-RPC. */
  readonly stderr: { write(text: string): unknown };
  readonly logger?: Logger;
}

/** Serves MCP on stdin/stdout until the client closes stdin or a signal arrives; then shuts down cleanly. */
export async function serveStdio(
  config: Config,
  env: NodeJS.ProcessEnv = process.env,
  hostOverrides: Partial<StdioHost> = {},
): Promise<void> {
  const host: StdioHost = {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    ...realProcess,
    ...hostOverrides,
  };
  const logger = host.logger ?? createLogger({ level: config.logLevel, env });
  // Node's process metrics sample event-loop delay every 10 ms (100 wakeups a second, idle or not); without a
  // metrics port nobody can read them, so a stdio server without one does not collect them (ADR 0045).
  const observability = createObservability(config, {
    tools: Object.keys(TOOLS),
    logger,
    processMetrics: config.metricsPort !== 0,
  });
  const app = createApp(config, { env, logger, observability });
  const metricsServer = await metricsPort(config, observability, logger);
  const server = app.createServer('local');
  // stdin passes through LineGuard: an oversized message gets an error answer and the server keeps serving
  // (the SDK's reader alone would close the transport, and with it the process, work in flight included).
  const input = new PassThrough();
  const transport = new StdioServerTransport(input, host.stdout, {
    maxBufferSize: config.maxMessageBytes + SDK_BUFFER_SLACK_BYTES,
  });
  const guard = new LineGuard(config.maxMessageBytes, (line) => {
    host.stderr.write(
      `brutalist-mcp: dropped a ${line.bytes}-byte message over maxMessageBytes (${config.maxMessageBytes})` +
        `${line.method ? ` for ${line.method}` : ''}${line.id === undefined ? ' with no readable id' : ''}\n`,
    );
    // Notifications get no answer (JSON-RPC); requests get an error, by id when it could be read.
    if (line.method?.startsWith('notifications/')) return;
    void transport.send(oversizedError(line, config.maxMessageBytes)).catch(() => {});
  });
  host.stdin.on('data', (chunk: Buffer) => {
    for (const line of guard.push(chunk)) input.write(line);
  });

  const stop = exitAfter(async () => {
    await metricsServer?.close();
    await app.shutdown();
    await server.close();
  }, host);
  // EOF: the client sent its last request; the calls in flight may still answer (stdout is open) within the grace.
  let ending = false;
  const endOfInput = () => {
    if (ending) return;
    ending = true;
    const startedAt = systemClock.now();
    void untilIdle(observability.metrics.tracker, systemClock, config.drainGraceMs)
      // Critiques handed out as context ids finish into the store within the same grace (a later session reads them).
      .then(() =>
        app.engine.untilCritiquesSettled(Math.max(0, config.drainGraceMs - (systemClock.now() - startedAt))),
      )
      .then(() => stop(0));
  };
  host.stdin.once('end', endOfInput);
  host.stdin.once('close', endOfInput);
  transport.onclose = () => void stop(0);
  await server.connect(transport);
}

/** The loopback metrics port when metricsPort is set; a port that cannot be bound is logged, not fatal. */
async function metricsPort(
  config: Config,
  observability: Observability,
  logger: Logger,
): Promise<MetricsServer | undefined> {
  if (config.metricsPort === 0) return undefined;
  try {
    return await startMetricsServer(observability.metrics, config.metricsPort);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown';
    logger.error({ event: 'metrics_port', port: config.metricsPort, code }, 'metrics port not opened');
    return undefined;
  }
}
