// Server overhead: N sequential `roast` calls through the built MCP server over stdio, interleaved with N bare spawns
// of the same fake critic (same argv, stdin, env, cwd), for an instant /bin/sh fake and a Node-sized fake.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { claudeAdapter } from '../src/critics/index.js';
import { connectStdio, makeSandbox, serverEnv } from '../test/support/harness.js';
import { ensureNodeClaudeBundle } from './fixtures/node-claude-bundle.js';
import { fmt, summary } from './stats.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 200);
/** The Node-sized fake is ~10× slower to start; fewer calls keep the bench short. */
const NODE_CALLS = Number(process.env.BENCH_NODE_CALLS ?? 60);
const INSTANT_CLAUDE = join(import.meta.dirname, 'fixtures', 'instant-claude');
// Exactly the argv the server passes, so both sides spawn the same command line.
const CLAUDE_ARGS = claudeAdapter.buildInvocation({ prompt: '' }, undefined).args;

function bareSpawn(fake: string, prompt: string, env: Record<string, string>, cwd: string): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(fake, CLAUDE_ARGS, {
      cwd,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    child.stdout.resume();
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', () => resolve(Number(process.hrtime.bigint() - started) / 1e6));
    child.stdin.end(prompt);
  });
}

export async function run(): Promise<Record<string, number>> {
  const instant = await measure('instant /bin/sh fake', INSTANT_CLAUDE, CALLS);
  const node = await measure('Node-sized fake', ensureNodeClaudeBundle(), NODE_CALLS);
  return {
    ...prefixed('instant', instant),
    ...prefixed('node', node),
  };
}

function prefixed(prefix: string, values: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(values).map(([k, v]) => [`${prefix}${k[0]!.toUpperCase()}${k.slice(1)}`, v]),
  );
}

async function measure(label: string, fake: string, calls: number): Promise<Record<string, number>> {
  const sandbox = makeSandbox('brutalist-bench-');
  const env = serverEnv(sandbox, {
    BRUTALIST_CRITIC_PREFERENCE: 'claude',
    BRUTALIST_CLAUDE_BIN: fake,
    BRUTALIST_CACHE_TTL_MS: '0',
    // BENCH_STATE_STORE=memory|sqlite|redis compares stores; the default is the server's own default (sqlite).
    ...(process.env.BENCH_STATE_STORE ? { BRUTALIST_STATE_STORE: process.env.BENCH_STATE_STORE } : {}),
  });
  delete (env as Record<string, string | undefined>).FAKE_CLI_LOG;
  const { client, close } = await connectStdio(env, sandbox.project);
  try {
    const childEnv = { PATH: env.PATH!, HOME: sandbox.home, TERM: 'dumb', NO_COLOR: '1' };
    // Warm up both paths (availability probe, JIT, page cache).
    for (let i = 0; i < 5; i++) {
      await bareSpawn(fake, 'warm up', childEnv, sandbox.project);
      await client.callTool({ name: 'roast', arguments: { domain: 'idea', context: `warm up ${i}` } });
    }
    const bare: number[] = [];
    const served: number[] = [];
    // Interleave so machine noise hits both series alike.
    for (let i = 0; i < calls; i++) {
      bare.push(await bareSpawn(fake, `Critique idea ${i}`, childEnv, sandbox.project));
      const started = process.hrtime.bigint();
      const result = await client.callTool({
        name: 'roast',
        arguments: { domain: 'idea', context: `Critique idea ${i}` },
      });
      served.push(Number(process.hrtime.bigint() - started) / 1e6);
      if (result.isError) throw new Error(`roast failed: ${JSON.stringify(result.content)}`);
    }
    const b = summary(bare);
    const s = summary(served);
    const overheadP50 = s.p50 - b.p50;
    const overheadP99 = s.p99 - b.p99;
    console.log(
      `overhead (${label}): ${calls} sequential roast calls over stdio vs ${calls} bare spawns, interleaved`,
    );
    console.log(`  bare spawn   p50 ${fmt(b.p50)}  p95 ${fmt(b.p95)}  p99 ${fmt(b.p99)}`);
    console.log(`  via server   p50 ${fmt(s.p50)}  p95 ${fmt(s.p95)}  p99 ${fmt(s.p99)}`);
    console.log(
      `  overhead     p50 ${fmt(overheadP50)} (target <= 3 ms)  p95 ${fmt(s.p95 - b.p95)}  p99 ${fmt(overheadP99)} (target <= 10 ms)`,
    );
    console.log(
      `  ratio        p50 ${(s.p50 / b.p50).toFixed(3)}x  p95 ${(s.p95 / b.p95).toFixed(3)}x  p99 ${(s.p99 / b.p99).toFixed(3)}x`,
    );
    return {
      bareP50: b.p50,
      bareP99: b.p99,
      servedP50: s.p50,
      servedP99: s.p99,
      overheadP50,
      overheadP99,
    };
  } finally {
    await close();
    sandbox.cleanup();
  }
}

if (import.meta.filename === process.argv[1]) await run();
