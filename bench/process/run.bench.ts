// runProcess against a bare spawn of the same fake critic, in one process and interleaved: the runner's own cost
// (pinning, /proc cwd check, group checks, timers), apart from the engine and MCP. Prints p50/p95/p99 and ratios.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { claudeAdapter } from '../../src/critics/index.js';
import { runProcess } from '../../src/process/index.js';
import { makeSandbox } from '../../test/support/harness.js';
import { ensureNodeClaudeBundle } from '../fixtures/node-claude-bundle.js';
import { fmt, summary } from '../stats.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 200);
const NODE_CALLS = Number(process.env.BENCH_NODE_CALLS ?? 60);
const INSTANT_CLAUDE = join(import.meta.dirname, '..', 'fixtures', 'instant-claude');
const ARGS = claudeAdapter.buildInvocation({ prompt: '' }, undefined).args;

function bare(fake: string, prompt: string, env: Record<string, string>, cwd: string): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(fake, ARGS, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    child.stdout.resume();
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', () => resolve(Number(process.hrtime.bigint() - started) / 1e6));
    child.stdin.end(prompt);
  });
}

async function viaRunner(
  fake: string,
  prompt: string,
  env: Record<string, string>,
  cwd: string,
): Promise<number> {
  const started = process.hrtime.bigint();
  const result = await runProcess({
    command: fake,
    args: ARGS,
    cwd,
    root: cwd,
    env,
    stdin: prompt,
    timeoutMs: 60_000,
    stallTimeoutMs: 60_000,
    killGraceMs: 2_000,
    maxOutputBytes: 8 * 1024 * 1024,
    maxStderrBytes: 64 * 1024,
  });
  if (result.exit.kind !== 'ok') throw new Error(`run failed: ${result.exit.kind}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

async function measure(label: string, fake: string, calls: number): Promise<Record<string, number>> {
  const sandbox = makeSandbox('brutalist-bench-');
  try {
    const env = { PATH: process.env.PATH ?? '', HOME: sandbox.home, TERM: 'dumb', NO_COLOR: '1' };
    for (let i = 0; i < 5; i++) {
      await bare(fake, 'warm up', env, sandbox.project);
      await viaRunner(fake, 'warm up', env, sandbox.project);
    }
    const b: number[] = [];
    const r: number[] = [];
    for (let i = 0; i < calls; i++) {
      b.push(await bare(fake, `Critique idea ${i}`, env, sandbox.project));
      r.push(await viaRunner(fake, `Critique idea ${i}`, env, sandbox.project));
    }
    const bs = summary(b);
    const rs = summary(r);
    console.log(`runProcess (${label}): ${calls} runs vs ${calls} bare spawns, interleaved, same process`);
    console.log(`  bare spawn   p50 ${fmt(bs.p50)}  p95 ${fmt(bs.p95)}  p99 ${fmt(bs.p99)}`);
    console.log(`  runProcess   p50 ${fmt(rs.p50)}  p95 ${fmt(rs.p95)}  p99 ${fmt(rs.p99)}`);
    console.log(
      `  difference   p50 ${fmt(rs.p50 - bs.p50)}  p95 ${fmt(rs.p95 - bs.p95)}  p99 ${fmt(rs.p99 - bs.p99)}`,
    );
    console.log(`  ratio        p50 ${(rs.p50 / bs.p50).toFixed(3)}x  p99 ${(rs.p99 / bs.p99).toFixed(3)}x`);
    return { bareP50: bs.p50, bareP99: bs.p99, runP50: rs.p50, runP99: rs.p99 };
  } finally {
    sandbox.cleanup();
  }
}

export async function run(): Promise<Record<string, number>> {
  const instant = await measure('instant /bin/sh fake', INSTANT_CLAUDE, CALLS);
  const node = await measure('Node-sized fake', ensureNodeClaudeBundle(), NODE_CALLS);
  return {
    instantOverheadP50: instant.runP50! - instant.bareP50!,
    nodeOverheadP50: node.runP50! - node.bareP50!,
  };
}

if (import.meta.filename === process.argv[1]) await run();
