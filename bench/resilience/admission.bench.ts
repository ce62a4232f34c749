// Admission benchmarks.
// (1) Reject latency at 20x overload: roast calls arrive through the MCP server in this process at 20x the rate the
//     slots can serve (K=4 slots, 200 ms critic: 20/s served, 400/s offered); QUEUE_FULL latency against a
//     `brutalist_discover` round trip (no critic) as the baseline. Also a burst of 20 simultaneous arrivals.
// (2) Throughput with a 200 ms critic at maxConcurrent = K, against the theoretical K / 0.2 s: once with an
//     in-process 200 ms critic (the engine and queue alone), once with a real 200 ms process through the MCP server,
//     whose own baseline is K back-to-back loops of bare spawns of the same process.
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { CriticAvailability } from '../../src/critics/index.js';
import { type ConfigInput, resolveConfig } from '../../src/engine/config.js';
import { type CriticRunner, Engine } from '../../src/engine/index.js';
import { systemClock } from '../../src/infra/index.js';
import { runProcess } from '../../src/process/index.js';
import { MemoryStateStore } from '../../src/state/index.js';
import { connectInProcess, fakeCritics, makeSandbox, type Sandbox } from '../../test/support/harness.js';
import { fmt, percentile } from '../stats.js';

const SLEEPY = join(import.meta.dirname, '..', 'fixtures', 'sleepy-claude');
const RUN_MS = 200;

const elapsedMs = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e6;
const codeOf = (r: CallToolResult) =>
  (r.structuredContent as { error?: { code: string } } | undefined)?.error?.code;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function overrides(sandbox: Sandbox, extra: ConfigInput): ConfigInput {
  return fakeCritics(sandbox, {
    claudeBin: SLEEPY,
    criticPreference: ['claude'],
    cacheTtlMs: 0,
    stateStore: 'memory',
    ...extra,
  });
}

async function server(sandbox: Sandbox, extra: ConfigInput) {
  return connectInProcess(overrides(sandbox, extra), {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: sandbox.home },
  });
}

async function timed(client: Client, name: string, args: Record<string, unknown>) {
  const started = process.hrtime.bigint();
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  return { ms: elapsedMs(started), result };
}

async function rejectLatency(sandbox: Sandbox): Promise<Record<string, number>> {
  const K = 4;
  const Q = 4;
  const servedPerSecond = K / (RUN_MS / 1000);
  const offeredPerSecond = 20 * servedPerSecond;
  const N = offeredPerSecond * 2;
  const { client, close } = await server(sandbox, { maxConcurrent: K, maxQueueSize: Q });
  try {
    const discover: number[] = [];
    for (let i = 0; i < 300; i++)
      discover.push((await timed(client, 'brutalist_discover', { intent: `review ${i}` })).ms);
    // Open loop: arrivals on a fixed schedule, whatever the answers do. The first second warms up (JIT) unmeasured.
    const intervalMs = 1000 / offeredPerSecond;
    const offer = async (count: number, tag: string) => {
      const started = performance.now();
      const calls: Array<Promise<{ ms: number; result: CallToolResult }>> = [];
      for (let i = 0; i < count; i++) {
        const wait = started + i * intervalMs - performance.now();
        if (wait > 1) await sleep(wait);
        calls.push(timed(client, 'roast', { domain: 'idea', context: `${tag} ${i}` }));
      }
      return Promise.all(calls);
    };
    await offer(offeredPerSecond, 'warm up');
    const results = await offer(N, 'idea');
    const rejected = results.filter((r) => codeOf(r.result) === 'QUEUE_FULL').map((r) => r.ms);
    const served = results.filter((r) => !r.result.isError).length;
    // A burst: 20 arrivals in the same instant while slots and queue are full.
    const holders = Array.from({ length: K + Q }, (_, i) =>
      timed(client, 'roast', { domain: 'idea', context: `hold ${i}\n@@sleep 2` }),
    );
    await sleep(300);
    const burst: number[] = [];
    for (let w = 0; w < 10; w++) {
      const wave = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          timed(client, 'roast', { domain: 'idea', context: `burst ${w} ${i}` }),
        ),
      );
      burst.push(...wave.filter((r) => codeOf(r.result) === 'QUEUE_FULL').map((r) => r.ms));
    }
    await Promise.all(holders);
    const out = {
      rejectP50: percentile(rejected, 50),
      rejectP99: percentile(rejected, 99),
      burstRejectP99: percentile(burst, 99),
      discoverP50: percentile(discover, 50),
      discoverP99: percentile(discover, 99),
    };
    console.log(
      `reject latency at 20x overload: ${N} roast calls at ${offeredPerSecond}/s into ${K} slots + ${Q} queued, 200 ms critic (serves ${servedPerSecond}/s)`,
    );
    console.log(`  served ${served}, QUEUE_FULL ${rejected.length}`);
    console.log(
      `  QUEUE_FULL           p50 ${fmt(out.rejectP50)}  p99 ${fmt(out.rejectP99)} (target <= 10 ms)`,
    );
    console.log(`  discover (baseline)  p50 ${fmt(out.discoverP50)}  p99 ${fmt(out.discoverP99)}`);
    console.log(
      `  ratio                p50 ${(out.rejectP50 / out.discoverP50).toFixed(2)}x  p99 ${(out.rejectP99 / out.discoverP99).toFixed(2)}x a discover round trip`,
    );
    console.log(
      `  burst of 20 at once  p99 ${fmt(out.burstRejectP99)} (the 20 requests share one event loop: queueing, not the reject path)`,
    );
    return out;
  } finally {
    await close();
  }
}

/** K slots, N = 25 K calls at once, a critic that takes 200 ms in this process (a timer, no child). */
async function throughputInProcess(sandbox: Sandbox, K: number): Promise<number> {
  const config = resolveConfig({
    overrides: overrides(sandbox, { maxConcurrent: K, maxConcurrentPerCritic: K, maxQueueSize: 1_000 }),
  });
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: sandbox.home };
  const store = new MemoryStateStore({
    maxBytes: config.stateMaxBytes,
    maxEntries: config.stateMaxEntries,
    cacheMaxEntryBytes: config.cacheMaxEntryBytes,
  });
  const runner: CriticRunner = (critic, request) =>
    new Promise((resolve) =>
      setTimeout(
        () =>
          resolve({
            critic,
            cliVersion: '0',
            model: undefined,
            argv: [],
            promptSha256: '',
            durationMs: RUN_MS,
            exitClass: 'ok',
            outputBytes: 1,
            truncated: false,
            usage: undefined,
            text: `critique of ${request.prompt.length} chars`,
          }),
        RUN_MS,
      ),
    );
  const engine = new Engine({
    config,
    store,
    availability: new CriticAvailability({ config, env }),
    env,
    runner,
  });
  const ctx = () => ({ owner: 'bench', roots: [sandbox.project], signal: new AbortController().signal });
  try {
    await engine.roast({ domain: 'idea', context: 'warm up', fields: {} }, ctx());
    const N = 25 * K;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: N }, (_, i) =>
        engine.roast({ domain: 'idea', context: `idea ${i}`, fields: {} }, ctx()),
      ),
    );
    return N / (elapsedMs(started) / 1000);
  } finally {
    engine.close();
    await store.close();
  }
}

/** K slots, N = 25 K calls at once through the MCP server, the critic a real process that sleeps 200 ms. */
async function throughputServer(sandbox: Sandbox, K: number): Promise<number> {
  const N = 25 * K;
  const { client, close } = await server(sandbox, {
    maxConcurrent: K,
    maxConcurrentPerCritic: K,
    maxQueueSize: N,
  });
  try {
    await timed(client, 'roast', { domain: 'idea', context: 'warm up' });
    const started = process.hrtime.bigint();
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) => timed(client, 'roast', { domain: 'idea', context: `idea ${i}` })),
    );
    const failed = results.filter((r) => r.result.isError).length;
    if (failed > 0) throw new Error(`${failed} roast calls failed`);
    return N / (elapsedMs(started) / 1000);
  } finally {
    await close();
  }
}

/** The same process, K loops of back-to-back bare spawns, no server: the best any server could do with it. */
async function throughputBare(sandbox: Sandbox, K: number): Promise<number> {
  const perLoop = 25;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: K }, async () => {
      for (let i = 0; i < perLoop; i++) {
        await runProcess({
          command: SLEEPY,
          args: ['-p'],
          cwd: sandbox.project,
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
          stdin: `idea ${i}`,
          timeoutMs: 10_000,
          stallTimeoutMs: 10_000,
          killGraceMs: 500,
          maxOutputBytes: 1 << 20,
          maxStderrBytes: 1 << 16,
          clock: systemClock,
        });
      }
    }),
  );
  return (K * perLoop) / (elapsedMs(started) / 1000);
}

export async function run(): Promise<Record<string, number>> {
  const sandbox = makeSandbox('brutalist-bench-res-');
  try {
    const out: Record<string, number> = await rejectLatency(sandbox);
    for (const K of [4, 8]) {
      const theoretical = K / (RUN_MS / 1000);
      const inProcess = await throughputInProcess(sandbox, K);
      const bare = await throughputBare(sandbox, K);
      const served = await throughputServer(sandbox, K);
      const pct = (x: number) => `${((x / theoretical) * 100).toFixed(1)}%`;
      console.log(
        `throughput K=${K}, ${25 * K} calls, 200 ms critic, theoretical ${theoretical}/s (target >= 95%):`,
      );
      console.log(
        `  engine + queue, in-process critic  ${inProcess.toFixed(2)}/s = ${pct(inProcess)} of theoretical`,
      );
      console.log(`  bare spawns of the 200 ms process  ${bare.toFixed(2)}/s = ${pct(bare)} of theoretical`);
      console.log(
        `  MCP server, 200 ms process         ${served.toFixed(2)}/s = ${pct(served)} of theoretical, ${((served / bare) * 100).toFixed(1)}% of bare spawns`,
      );
      Object.assign(out, {
        [`throughputInProcessK${K}`]: inProcess,
        [`throughputBareK${K}`]: bare,
        [`throughputServerK${K}`]: served,
      });
    }
    return out;
  } finally {
    sandbox.cleanup();
  }
}

if (import.meta.filename === process.argv[1]) await run();
