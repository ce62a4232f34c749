// Load, chaos and soak support: the built server over stdio or HTTP with the instant fake critic, /proc sampling of
// its RSS, fds and children, the server-side p95 from its own request histogram, and a JSON results file.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { CLI_JS, connectStdio, type Sandbox } from '../../test/support/harness.js';
import { benchServerEnv } from '../served.js';

export const INSTANT_CLAUDE = join(import.meta.dirname, '..', 'fixtures', 'instant-claude');
export const REPORTS = join(import.meta.dirname, '..', '..', 'reports');

/** Server env sized for load: the instant fake, no cache, a queue that holds 100 callers, rate limits off. */
export function loadEnv(sandbox: Sandbox, extra: Record<string, string> = {}): Record<string, string> {
  return benchServerEnv(
    sandbox,
    INSTANT_CLAUDE,
    { sandbox: 'off' },
    {
      BRUTALIST_MAX_QUEUE_SIZE: '256',
      BRUTALIST_RATE_LIMIT_IP_REQUESTS: '0',
      BRUTALIST_RATE_LIMIT_PRINCIPAL_REQUESTS: '0',
      BRUTALIST_LOG_LEVEL: 'warn',
      ...extra,
    },
  );
}

export interface Served {
  readonly clients: readonly Client[];
  readonly pid: number;
  /** The server's Prometheus text (stdio: its loopback metrics port; HTTP: its /metrics, empty when not served). */
  metrics(): Promise<string>;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const fetchText = async (url: string) => (await fetch(url)).text();

/** The built server over stdio, one SDK client; metrics on a loopback port. */
export async function serveStdio(sandbox: Sandbox, extra: Record<string, string> = {}): Promise<Served> {
  const port = await freePort();
  const env = loadEnv(sandbox, { BRUTALIST_METRICS_PORT: String(port), ...extra });
  const { client, close, pid } = await connectStdio(env, sandbox.project);
  return { clients: [client], pid, metrics: () => fetchText(`http://127.0.0.1:${port}/metrics`), close };
}

/** The built server as `serve --http` on a free port, and `sessions` SDK clients (one MCP session each). */
export async function serveHttp(
  sandbox: Sandbox,
  sessions: number,
  extra: Record<string, string> = {},
): Promise<Served & { readonly child: ChildProcess; readonly url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI_JS, 'serve', '--http', '--port', String(port)], {
    env: loadEnv(sandbox, extra),
    cwd: sandbox.project,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await until(async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.ok === true, 20_000);
  const clients: Client[] = [];
  for (let i = 0; i < sessions; i++) {
    const client = new Client({ name: `load-${i}`, version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
    clients.push(client);
  }
  return {
    clients,
    child,
    url,
    pid: child.pid ?? -1,
    metrics: () => fetchText(`${url}/metrics`).catch(() => ''),
    async close() {
      await Promise.allSettled(clients.map((c) => c.close()));
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export async function until(predicate: () => Promise<boolean> | boolean, limitMs: number): Promise<void> {
  const end = performance.now() + limitMs;
  while (performance.now() < end) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`condition not met within ${limitMs} ms`);
}

export interface ProcSample {
  readonly rssBytes: number;
  /** Anonymous resident memory (RssAnon): the heap, malloc, stacks; where a leak of the process's own memory shows. */
  readonly rssAnonBytes: number;
  /** File-backed resident pages (RssFile): the node binary and libraries, paged in as code runs; bounded by their size. */
  readonly rssFileBytes: number;
  readonly fds: number;
  readonly children: number;
}

/** RSS, open fds and direct children of `pid` from /proc (zeros once it is gone). */
export function sampleProc(pid: number): ProcSample {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) * 1024;
    const fds = readdirSync(`/proc/${pid}/fd`).length;
    return {
      rssBytes: kib('VmRSS'),
      rssAnonBytes: kib('RssAnon'),
      rssFileBytes: kib('RssFile'),
      fds,
      children: childrenOf(pid).length,
    };
  } catch {
    return { rssBytes: 0, rssAnonBytes: 0, rssFileBytes: 0, fds: 0, children: 0 };
  }
}

/** Direct children of `pid` (every thread's children list). */
export function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

/** The p-th percentile of `brutalist_request_duration_seconds` (all tools), as the upper bound of its bucket. */
export function histogramPercentile(
  metricsText: string,
  p: number,
  name = 'brutalist_request_duration_seconds',
): number {
  const byLe = new Map<number, number>();
  const pattern = new RegExp(`^${name}_bucket\\{[^}]*le="([^"]+)"[^}]*\\} (\\d+)`, 'gm');
  for (const [, le, count] of metricsText.matchAll(pattern)) {
    const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
    byLe.set(bound, (byLe.get(bound) ?? 0) + Number(count));
  }
  const bounds = [...byLe.keys()].sort((a, b) => a - b);
  const total = byLe.get(Number.POSITIVE_INFINITY) ?? 0;
  if (total === 0) return Number.NaN;
  return bounds.find((b) => (byLe.get(b) ?? 0) >= (p / 100) * total) ?? Number.POSITIVE_INFINITY;
}

/** The error code of a tool result, or undefined when it succeeded. */
export function errorCode(result: CallToolResult): string | undefined {
  if (!result.isError) return undefined;
  return (result.structuredContent as { error?: { code?: string } } | undefined)?.error?.code ?? 'UNKNOWN';
}

export function writeReport(name: string, report: unknown): string {
  mkdirSync(REPORTS, { recursive: true });
  const path = join(REPORTS, `${name}.json`);
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  return path;
}

/** Reads `--name value` flags; numbers only. */
export function numberFlags(argv: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith('--') && argv[i + 1] !== undefined) out[arg.slice(2)] = Number(argv[++i]);
  }
  return out;
}
