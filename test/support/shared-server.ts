// One built server over stdio for a whole test file: the setup the e2e files would otherwise each write out.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll } from 'vitest';
import { connectStdio, makeSandbox, type Sandbox, serverEnv } from './harness.js';

export interface SharedServer {
  /** The sandbox the server runs in (its project is the server's cwd and root). */
  readonly sandbox: Sandbox;
  /** The real MCP SDK client connected to the built server. */
  readonly client: Client;
}

/**
 * Starts the built server (dist/cli.js) over stdio in a fresh sandbox before the file's tests (`serverEnv` plus
 * `extra`), and closes it and removes the sandbox after them. Read `client` and `sandbox` inside tests and hooks.
 */
export function sharedStdioServer(prefix: string, extra: Record<string, string> = {}): SharedServer {
  let sandbox: Sandbox | undefined;
  let connection: { client: Client; close: () => Promise<void> } | undefined;
  beforeAll(async () => {
    sandbox = makeSandbox(prefix);
    connection = await connectStdio(serverEnv(sandbox, extra), sandbox.project);
  });
  afterAll(async () => {
    await connection?.close();
    sandbox?.cleanup();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the shared server is read before beforeAll started it');
    return value;
  };
  return {
    get sandbox() {
      return started(sandbox);
    },
    get client() {
      return started(connection).client;
    },
  };
}
