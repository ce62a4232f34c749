// Server overhead: N sequential `roast` calls through the built MCP server over stdio with an instant fake critic,
// against N bare spawns of the same fake critic with the same argv and stdin. Prints p50/p99 of both and the overhead.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { claudeAdapter } from '../src/critics/index.js';
import { connectStdio, makeSandbox, serverEnv } from '../test/support/harness.js';
import { fmt, summary } from './stats.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 200);
const INSTANT_CLAUDE = join(import.meta.dirname, 'fixtures', 'instant-claude');
// Exactly the argv the server passes, so both sides spawn the same command line.
const CLAUDE_ARGS = claudeAdapter.buildInvocation({ prompt: '' }, undefined).args;

function bareSpawn(prompt: string, env: Record<string, string>, cwd: string): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(INSTANT_CLAUDE, CLAUDE_ARGS, {
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
  const sandbox = makeSandbox('brutalist-bench-');
  const env = serverEnv(sandbox, {
    BRUTALIST_CRITIC_PREFERENCE: 'claude',
    BRUTALIST_CLAUDE_BIN: INSTANT_CLAUDE,
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
      await bareSpawn('warm up', childEnv, sandbox.project);
      await client.callTool({ name: 'roast', arguments: { domain: 'idea', context: `warm up ${i}` } });
    }
    const bare: number[] = [];
    const served: number[] = [];
    // Interleave so machine noise hits both series alike.
    for (let i = 0; i < CALLS; i++) {
      bare.push(await bareSpawn(`Critique idea ${i}`, childEnv, sandbox.project));
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
      `overhead: ${CALLS} sequential roast calls over stdio vs ${CALLS} bare spawns of the same fake critic`,
    );
    console.log(`  bare spawn   p50 ${fmt(b.p50)}  p99 ${fmt(b.p99)}`);
    console.log(`  via server   p50 ${fmt(s.p50)}  p99 ${fmt(s.p99)}`);
    console.log(
      `  overhead     p50 ${fmt(overheadP50)} (target <= 2 ms)  p99 ${fmt(overheadP99)} (target <= 10 ms)`,
    );
    console.log(`  ratio        p50 ${(s.p50 / b.p50).toFixed(3)}x  p99 ${(s.p99 / b.p99).toFixed(3)}x`);
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
