// 20 concurrent callers against 1: N roast calls through the built server over stdio with an instant fake critic and
// the default admission settings. Prints p50/p95 latency, throughput and rejections of both, and their ratios; then
// 20 callers with the Node-sized fake against the machine's spawn ceiling (20 concurrent bare spawns of it).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { claudeAdapter } from '../../src/critics/index.js';
import { connectStdio, makeSandbox, serverEnv } from '../../test/support/harness.js';
import { ensureNodeClaudeBundle } from '../fixtures/node-claude-bundle.js';
import { benchServerEnv } from '../served.js';
import { fmt, percentile } from '../stats.js';

const N = Number(process.env.BENCH_CALLS ?? 200);
const INSTANT_CLAUDE = join(import.meta.dirname, '..', 'fixtures', 'instant-claude');

interface Run {
  p50: number;
  p95: number;
  perSecond: number;
  rejected: number;
}

/** `callers` workers share N calls; each sends its next call when the previous one answered. */
async function drive(client: Client, callers: number, tag: string, n = N): Promise<Run> {
  const latencies: number[] = [];
  let rejected = 0;
  const codes = new Map<string, number>();
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      for (let i = next++; i < n; i = next++) {
        const t = process.hrtime.bigint();
        const r = (await client.callTool({
          name: 'roast',
          arguments: { domain: 'idea', context: `${tag} idea ${i}` },
        })) as CallToolResult;
        latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
        if (r.isError) {
          rejected++;
          const code = (r.structuredContent as { error?: { code?: string } } | undefined)?.error?.code ?? '?';
          codes.set(code, (codes.get(code) ?? 0) + 1);
        }
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (codes.size > 0)
    console.log(`  (${tag}: errors ${[...codes].map(([c, k]) => `${c} ×${k}`).join(', ')})`);
  return { p50: percentile(latencies, 50), p95: percentile(latencies, 95), perSecond: n / seconds, rejected };
}

const NODE_N = Number(process.env.BENCH_NODE_CALLS ?? 100);
const ARGS = claudeAdapter.buildInvocation({ prompt: '' }, undefined).args;

/** The spawn ceiling: `callers` workers spawning the fake back to back, no server in between. */
async function ceiling(fake: string, callers: number, n: number, cwd: string, home: string): Promise<Run> {
  const env = { PATH: process.env.PATH ?? '', HOME: home, TERM: 'dumb', NO_COLOR: '1' };
  const latencies: number[] = [];
  let next = 0;
  const started = process.hrtime.bigint();
  const once = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const t = process.hrtime.bigint();
      const child = spawn(fake, ARGS, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      child.stdout.resume();
      child.stderr.resume();
      child.on('error', reject);
      child.on('close', () => {
        latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
        resolve();
      });
      child.stdin.end(`ceiling idea ${i}`);
    });
  await Promise.all(
    Array.from({ length: callers }, async () => {
      for (let i = next++; i < n; i = next++) await once(i);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    perSecond: n / seconds,
    rejected: 0,
  };
}

/** One server's 20 callers with the Node-sized fake; `sandbox` auto is the default configuration. */
async function servedNodeSized(
  fake: string,
  sandbox: ReturnType<typeof makeSandbox>,
  mode: string,
  spawner = 'auto',
): Promise<Run> {
  const env = benchServerEnv(sandbox, fake, { sandbox: mode, spawner });
  const { client, close } = await connectStdio(env, sandbox.project);
  try {
    await drive(client, 4, `warm up ${mode}`, 8);
    return await drive(client, 20, `node twenty ${mode}`, NODE_N);
  } finally {
    await close();
  }
}

/** 20 callers through the server with the Node-sized fake, against the spawn ceiling measured right before. */
async function nodeSized(): Promise<Record<string, number>> {
  const fake = ensureNodeClaudeBundle();
  const sandbox = makeSandbox('brutalist-bench-callers-');
  try {
    // The ceiling is measured twice, before and after, so load that changes during the run shows.
    const limitBefore = await ceiling(fake, 20, NODE_N, sandbox.project, sandbox.home);
    const unconfined = await servedNodeSized(fake, sandbox, 'off');
    const served = await servedNodeSized(fake, sandbox, 'auto');
    const forked = await servedNodeSized(fake, sandbox, 'auto', 'off');
    const limitAfter = await ceiling(fake, 20, NODE_N, sandbox.project, sandbox.home);
    const limit = limitBefore.perSecond >= limitAfter.perSecond ? limitBefore : limitAfter;
    console.log(`callers: ${NODE_N} calls, Node-sized fake, 20 callers`);
    for (const [label, r] of [
      ['bare spawns (before)       ', limitBefore],
      ['bare spawns (after)        ', limitAfter],
      ['via server, sandbox off    ', unconfined],
      ['via server, default (auto) ', served],
      ['default, spawner off       ', forked],
    ] as const) {
      console.log(
        `  ${label}  p50 ${fmt(r.p50)}  p95 ${fmt(r.p95)}  ${r.perSecond.toFixed(1)} calls/s  ${r.rejected} errors`,
      );
    }
    const pct = (r: Run) => ((100 * r.perSecond) / limit.perSecond).toFixed(1);
    console.log(
      `  served/ceiling throughput (higher ceiling): default ${pct(served)} %, sandbox off ${pct(unconfined)} %, default with spawner off ${pct(forked)} % (target >= 70 %, p95 <= 1.5 s)`,
    );
    return {
      nodeCeiling: limit.perSecond,
      nodeServed: served.perSecond,
      nodeP95: served.p95,
      nodeErrors: served.rejected,
      nodeServedUnconfined: unconfined.perSecond,
      nodeServedSpawnerOff: forked.perSecond,
    };
  } finally {
    sandbox.cleanup();
  }
}

export async function run(): Promise<Record<string, number>> {
  return { ...(await instant()), ...(await nodeSized()) };
}

async function instant(): Promise<Record<string, number>> {
  const sandbox = makeSandbox('brutalist-bench-callers-');
  const env = serverEnv(sandbox, {
    BRUTALIST_CRITIC_PREFERENCE: 'claude',
    BRUTALIST_CLAUDE_BIN: INSTANT_CLAUDE,
    BRUTALIST_CACHE_TTL_MS: '0',
    ...(process.env.BENCH_STORE ? { BRUTALIST_STATE_STORE: process.env.BENCH_STORE } : {}),
  });
  delete (env as Record<string, string | undefined>).FAKE_CLI_LOG;
  const { client, close } = await connectStdio(env, sandbox.project);
  try {
    await drive(client, 4, 'warm up');
    const one = await drive(client, 1, 'one');
    const twenty = await drive(client, 20, 'twenty');
    console.log(`callers: ${N} roast calls, instant fake critic, default admission (over stdio)`);
    for (const [label, r] of [
      ['1 caller  ', one],
      ['20 callers', twenty],
    ] as const) {
      console.log(
        `  ${label}  p50 ${fmt(r.p50)}  p95 ${fmt(r.p95)}  ${r.perSecond.toFixed(1)} calls/s  ${r.rejected} rejected`,
      );
    }
    console.log(
      `  ratio 20/1   p95 ${(twenty.p95 / one.p95).toFixed(2)}x  throughput ${(twenty.perSecond / one.perSecond).toFixed(2)}x`,
    );
    return {
      oneP95: one.p95,
      oneThroughput: one.perSecond,
      twentyP95: twenty.p95,
      twentyThroughput: twenty.perSecond,
      twentyRejected: twenty.rejected,
    };
  } finally {
    await close();
    sandbox.cleanup();
  }
}

if (import.meta.filename === process.argv[1]) await run();
