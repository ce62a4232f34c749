// Spawn cost of confinement: one Node-sized fake critic (test/fixtures/bin/claude) run to completion through
// runProcess, plain vs pinned cwd vs inside bwrap, interleaved. Prints p50/p95 of each and the ratios to plain.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claudeAdapter } from '../../src/critics/index.js';
import {
  buildChildEnv,
  installFor,
  type RunSpec,
  resolveExecutable,
  runProcess,
  type SandboxPlan,
} from '../../src/process/index.js';
import { fmt, percentile } from '../stats.js';

const RUNS = Number(process.env.BENCH_CALLS ?? 30);
const FAKE = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'bin', 'claude');

export async function run(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'brutalist-bench-sandbox-'));
  const target = join(dir, 'target');
  const home = join(dir, 'home');
  mkdirSync(target);
  mkdirSync(join(home, '.claude'), { recursive: true });
  const bwrap = await resolveExecutable('bwrap', process.env.PATH);
  if (!bwrap) throw new Error('bwrap not found: install bubblewrap to run this benchmark');
  const env = buildChildEnv({ PATH: process.env.PATH, HOME: home });
  const install = installFor(FAKE, env.PATH);
  const plan: SandboxPlan = { bwrap, readOnly: install.dirs, writable: [join(home, '.claude')] };
  const args = claudeAdapter.buildInvocation({ prompt: 'p' }, undefined).args;
  const base: RunSpec = {
    command: FAKE,
    args,
    cwd: target,
    env,
    stdin: 'critique this',
    timeoutMs: 60_000,
    stallTimeoutMs: 60_000,
    killGraceMs: 1_000,
    maxOutputBytes: 1 << 20,
    maxStderrBytes: 1 << 14,
  };
  const variants: Record<string, RunSpec> = {
    plain: base,
    pinned: { ...base, root: target },
    bwrap: { ...base, command: install.exec, root: target, sandbox: plan },
  };
  const samples: Record<string, number[]> = { plain: [], pinned: [], bwrap: [] };
  try {
    for (let i = 0; i < RUNS + 2; i++) {
      for (const [name, spec] of Object.entries(variants)) {
        const started = process.hrtime.bigint();
        const result = await runProcess(spec);
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        if (result.exit.kind !== 'ok')
          throw new Error(`${name}: ${JSON.stringify(result.exit)} ${result.stderrTail}`);
        if (i >= 2) samples[name]!.push(ms); // the first two rounds warm the page cache
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const out: Record<string, number> = {};
  const plainP50 = percentile(samples.plain!, 50);
  const plainP95 = percentile(samples.plain!, 95);
  console.log(`fake critic (Node) run to completion, ${RUNS} runs each, interleaved`);
  for (const name of Object.keys(variants)) {
    const p50 = percentile(samples[name]!, 50);
    const p95 = percentile(samples[name]!, 95);
    out[`${name}P50Ms`] = p50;
    out[`${name}P95Ms`] = p95;
    console.log(
      `${name.padEnd(7)} p50 ${fmt(p50)}  p95 ${fmt(p95)}  ratio to plain: p50 ${(p50 / plainP50).toFixed(2)}x, p95 ${(p95 / plainP95).toFixed(2)}x`,
    );
  }
  return out;
}

if (process.argv[1] && import.meta.filename === process.argv[1]) await run();
