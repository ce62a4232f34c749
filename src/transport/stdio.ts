/** stdio hosting: what MCP clients launch. Logs go to stderr only; stdout carries JSON-RPC. */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Config } from '../config/index.js';
import { createApp } from './app.js';

/** Serves MCP on stdin/stdout until the client closes stdin or a signal arrives; then shuts down cleanly. */
export async function serveStdio(config: Config, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const app = createApp(config, { env });
  const server = app.createServer('local');
  const transport = new StdioServerTransport();

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
