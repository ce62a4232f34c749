// Chaos support: a fresh built server over stdio with the node fake critics and short bounds, one roast call that
// never throws (a transport failure becomes a `transport:` code), the fakes still alive, and a case's result and verdict.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import {
  connectStdio,
  isAlive,
  makeSandbox,
  readLog,
  type Sandbox,
  serverEnv,
} from '../../test/support/harness.js';
import { errorCode } from './support.js';

export const CLI_TIMEOUT_MS = 2_000;
export const KILL_GRACE_MS = 500;
/** Slack on top of a deadline for an answer to count as on time (spawn, kill, reap on a loaded machine). */
export const SLACK_MS = 3_000;

export interface CaseResult {
  readonly name: string;
  readonly criterion: string;
  readonly pass: boolean;
  /** Set when the case could not run here; a skipped case neither passes nor fails the run. */
  readonly skipped?: string;
  readonly measured: Record<string, unknown>;
}

export interface Server {
  readonly client: Client;
  readonly pid: number;
  readonly sandbox: Sandbox;
  close(): Promise<void>;
}

/** A fresh server; `extra` env wins over the chaos defaults (sandbox = an existing one to share its folders). */
export async function start(extra: Record<string, string> = {}, sandbox = makeSandbox('brutalist-chaos-')) {
  const env = serverEnv(sandbox, {
    BRUTALIST_CRITIC_PREFERENCE: 'claude',
    BRUTALIST_CLI_TIMEOUT_MS: String(CLI_TIMEOUT_MS),
    BRUTALIST_KILL_GRACE_MS: String(KILL_GRACE_MS),
    BRUTALIST_CACHE_TTL_MS: '0',
    BRUTALIST_RETRY_MAX_ATTEMPTS: '1',
    BRUTALIST_MAX_OUTPUT_BYTES: String(1024 * 1024),
    ...extra,
  });
  const { client, close, pid } = await connectStdio(env, sandbox.project);
  const server: Server = {
    client,
    pid,
    sandbox,
    close: async () => {
      await close().catch(() => {});
      sandbox.cleanup();
    },
  };
  return server;
}

export interface Call {
  readonly ms: number;
  readonly code: string;
  readonly result: CallToolResult | undefined;
}

/** One roast with `@@fake` knobs; `args` adds or replaces arguments (clis, cursor, ...). */
export async function roast(
  server: Server,
  knobs: string,
  tag: string,
  args: Record<string, unknown> = {},
): Promise<Call> {
  const started = performance.now();
  try {
    const result = (await server.client.callTool({
      name: 'roast',
      arguments: { domain: 'idea', context: `${tag}\n@@fake ${knobs}`.trim(), ...args },
    })) as CallToolResult;
    return { ms: performance.now() - started, code: errorCode(result) ?? 'ok', result };
  } catch (err) {
    const message = (err as Error).message.slice(0, 60);
    return { ms: performance.now() - started, code: `transport:${message}`, result: undefined };
  }
}

/** A call answered: a success or a typed error, not a transport failure. */
export const answered = (call: Call) => !call.code.startsWith('transport:');

/** Fake critic processes still alive, from the fakes' own log of their pids. */
export const livingFakes = (server: Server) =>
  readLog(server.sandbox.log)
    .filter((entry) => isAlive(entry.pid))
    .map((e) => e.pid);

/** Counts of each code among calls. */
export function codesOf(calls: readonly Call[]): Record<string, number> {
  const byCode: Record<string, number> = {};
  for (const c of calls) byCode[c.code.split(':')[0]!] = (byCode[c.code.split(':')[0]!] ?? 0) + 1;
  return byCode;
}

/** A case's result: it passes when its checks all held and the server is still alive after them. */
export function verdict(
  server: Server,
  name: string,
  criterion: string,
  checks: boolean,
  measured: Record<string, unknown>,
): CaseResult {
  return { name, criterion, pass: checks && isAlive(server.pid), measured };
}

export const skipped = (name: string, criterion: string, reason: string): CaseResult => ({
  name,
  criterion,
  pass: true,
  skipped: reason,
  measured: {},
});
