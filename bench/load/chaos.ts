// Chaos: faults the built server must survive, each with a pass criterion and the measured figure. Critic hang,
// crash, SIGTERM-ignoring hang, output spew (stdio, the real fake critic), and SIGTERM under load. Writes
// reports/chaos.json; exits 1 when a case fails. Not covered here (stated in docs/testing.md): fork bomb (needs a
// pids cgroup or another uid), Redis blackhole, SQLite disk full, clock jump.
//
//   npm run test:chaos
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import {
  connectStdio,
  isAlive,
  makeSandbox,
  readLog,
  type Sandbox,
  serverEnv,
  waitFor,
} from '../../test/support/harness.js';
import { errorCode, sampleProc, writeReport } from './support.js';

const CLI_TIMEOUT_MS = 2_000;
const KILL_GRACE_MS = 500;
/** Slack on top of a deadline for an answer to count as on time (spawn, kill, reap on a loaded machine). */
const SLACK_MS = 3_000;

interface CaseResult {
  readonly name: string;
  readonly criterion: string;
  readonly pass: boolean;
  readonly measured: Record<string, unknown>;
}

interface Server {
  readonly client: Client;
  readonly pid: number;
  readonly sandbox: Sandbox;
  close(): Promise<void>;
}

async function start(): Promise<Server> {
  const sandbox = makeSandbox('brutalist-chaos-');
  const env = serverEnv(sandbox, {
    BRUTALIST_CRITIC_PREFERENCE: 'claude',
    BRUTALIST_CLI_TIMEOUT_MS: String(CLI_TIMEOUT_MS),
    BRUTALIST_KILL_GRACE_MS: String(KILL_GRACE_MS),
    BRUTALIST_CACHE_TTL_MS: '0',
    BRUTALIST_RETRY_MAX_ATTEMPTS: '1',
    BRUTALIST_MAX_OUTPUT_BYTES: String(1024 * 1024),
  });
  const { client, close, pid } = await connectStdio(env, sandbox.project);
  return {
    client,
    pid,
    sandbox,
    close: async () => {
      await close();
      sandbox.cleanup();
    },
  };
}

async function roast(server: Server, knobs: string, tag: string) {
  const started = performance.now();
  try {
    const result = (await server.client.callTool({
      name: 'roast',
      arguments: { domain: 'idea', context: `${tag}\n@@fake ${knobs}`.trim() },
    })) as CallToolResult;
    return { ms: performance.now() - started, code: errorCode(result) ?? 'ok', result };
  } catch (err) {
    return {
      ms: performance.now() - started,
      code: `transport:${(err as Error).message.slice(0, 60)}`,
      result: undefined,
    };
  }
}

/** Fake critic processes still alive, from the fakes' own log of their pids. */
const livingFakes = (server: Server) =>
  readLog(server.sandbox.log)
    .filter((entry) => isAlive(entry.pid))
    .map((e) => e.pid);

async function afterFault(
  server: Server,
  name: string,
  criterion: string,
  fault: { ms: number; code: string },
  limitMs: number,
): Promise<CaseResult> {
  const reaped = await waitFor(() => livingFakes(server).length === 0, 5_000);
  const next = await roast(server, '', `${name} recovery`);
  const measured = {
    answerMs: Math.round(fault.ms),
    code: fault.code,
    orphans: livingFakes(server).length,
    nextCall: next.code,
    nextMs: Math.round(next.ms),
  };
  const pass =
    fault.code !== 'ok' &&
    !fault.code.startsWith('transport:') &&
    fault.ms < limitMs &&
    reaped &&
    next.code === 'ok' &&
    isAlive(server.pid);
  return { name, criterion, pass, measured };
}

/** One fault on a fresh server (an earlier fault must not open the breaker for the next case). */
async function faultCase(
  name: string,
  criterion: string,
  knobs: string,
  limitMs: number,
): Promise<CaseResult> {
  const server = await start();
  try {
    const rssBefore = sampleProc(server.pid).rssBytes;
    const fault = await roast(server, knobs, name);
    const grewMiB = (sampleProc(server.pid).rssBytes - rssBefore) / 2 ** 20;
    const result = await afterFault(server, name, criterion, fault, limitMs);
    return { ...result, measured: { ...result.measured, rssGrowthMiB: Math.round(grewMiB) } };
  } finally {
    await server.close();
  }
}

async function faultCases(): Promise<CaseResult[]> {
  const limit = CLI_TIMEOUT_MS + KILL_GRACE_MS + SLACK_MS;
  const onTime = `typed error within cliTimeoutMs + killGraceMs + ${SLACK_MS} ms slack, no orphan, next call ok`;
  return [
    await faultCase('critic hang', onTime, 'hang=1', limit),
    await faultCase(
      'critic hangs ignoring SIGTERM',
      `SIGKILLed after the grace: ${onTime}`,
      'hang=1 ignore_sigterm=1',
      limit,
    ),
    await faultCase(
      'critic crash mid-output',
      'typed error at once, no orphan, next call ok',
      'crash_after_bytes=40',
      limit,
    ),
    await faultCase(
      'critic output spew (200 MB)',
      'stopped at maxOutputBytes (truncated answer or typed error) on time, no orphan, next call ok',
      'spew_bytes=200000000',
      limit,
    ),
  ];
}

/** 20 slow critiques in flight, then SIGTERM: every call settles, the server exits, no critic outlives it. */
async function sigtermUnderLoad(): Promise<CaseResult> {
  const server = await start();
  const calls = Array.from({ length: 20 }, (_, i) => roast(server, 'delay_ms=3000', `term ${i}`));
  const running = await waitFor(() => readLog(server.sandbox.log).length >= 4, 10_000);
  const sent = performance.now();
  process.kill(server.pid, 'SIGTERM');
  const exited = await waitFor(() => !isAlive(server.pid), 20_000);
  const exitMs = performance.now() - sent;
  const settled = await Promise.race([
    Promise.all(calls).then(() => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), 10_000)),
  ]);
  const results = await Promise.all(
    calls.map((c) => Promise.race([c, Promise.resolve({ code: 'unsettled' })])),
  );
  const orphans = await waitFor(() => livingFakes(server).length === 0, 5_000);
  const spawned = readLog(server.sandbox.log).length;
  const left = livingFakes(server).length;
  const byCode: Record<string, number> = {};
  for (const r of results) byCode[r.code.split(':')[0]!] = (byCode[r.code.split(':')[0]!] ?? 0) + 1;
  await server.close().catch(() => {});
  return {
    name: 'SIGTERM under load (20 in flight)',
    criterion:
      'server exits, every call settles (answered or the connection closes: none hangs), no critic outlives it',
    pass: running && exited && settled && orphans,
    measured: {
      exitMs: Math.round(exitMs),
      outcomes: byCode,
      spawned,
      orphans: left,
    },
  };
}

const results = [...(await faultCases()), await sigtermUnderLoad()];
for (const r of results) console.log(`${r.pass ? 'PASS' : 'FAIL'} ${r.name}: ${JSON.stringify(r.measured)}`);
console.log(`results: ${writeReport('chaos', { results })}`);
process.exit(results.every((r) => r.pass) ? 0 : 1);
