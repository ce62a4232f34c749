// Metrics cost: one histogram observation and one channel event → counter, against a typed-array increment in the
// same process; and the CPU a tool call pays with metrics + SLO engine on vs off (same call, same run, interleaved).
import { performance } from 'node:perf_hooks';
import { Histogram, Registry } from 'prom-client';
import { criticRunChannel } from '../../src/critics/diagnostics.js';
import { resolveConfig } from '../../src/engine/config.js';
import { createObservability, observeToolCall, runInRequest } from '../../src/observability/index.js';
import { firstOutputChannel } from '../../src/process/diagnostics.js';
import { cacheLookupChannel } from '../../src/state/index.js';

const N = Number(process.env.BENCH_OBSERVATIONS ?? 200_000);
const CALLS = Number(process.env.BENCH_CALLS ?? 20_000);
const ROUNDS = 5;
const TOOLS = ['roast', 'roast_cli_debate', 'brutalist_discover', 'cli_agent_roster'];
const result = { structuredContent: { status: 'done' } };
const criticRun = {
  durationMs: 1200,
  outputBytes: 2048,
  truncated: false,
  inputTokens: 100,
  outputTokens: 50,
};

function perOp(n: number, fn: (i: number) => void): number {
  const started = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  return ((performance.now() - started) * 1000) / n;
}

/** One tool call as mcp/server.ts makes it, with the events a critique publishes on the way. */
async function oneCall(): Promise<void> {
  await runInRequest('roast', () =>
    observeToolCall({ principal: 'local', domain: 'security' }, async () => {
      if (cacheLookupChannel.hasSubscribers) cacheLookupChannel.publish({ hit: false });
      if (firstOutputChannel.hasSubscribers) firstOutputChannel.publish({ pid: 1 });
      if (criticRunChannel.hasSubscribers)
        criticRunChannel.publish({ critic: 'claude', exitClass: 'ok', code: undefined, ...criticRun });
      return result;
    }),
  );
}

/** CPU microseconds per call (user + system): what the call costs this process, whatever else the machine runs. */
async function perCall(calls = CALLS): Promise<number> {
  const started = process.cpuUsage();
  for (let i = 0; i < calls; i++) await oneCall();
  const used = process.cpuUsage(started);
  return (used.user + used.system) / calls;
}

export async function run(): Promise<Record<string, number>> {
  const counts = new Float64Array(16);
  const registry = new Registry();
  const histogram = new Histogram({
    name: 'bench_seconds',
    help: 'bench',
    labelNames: ['tool'] as const,
    buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1200],
    registers: [registry],
  });
  perOp(N, (i) => histogram.observe({ tool: 'roast' }, i / N));
  const baseline = perOp(N, (i) => {
    counts[i & 15]! += 1;
  });
  const observe = perOp(N, (i) => histogram.observe({ tool: 'roast' }, i / N));

  const config = resolveConfig({ overrides: { sloFlushIntervalMs: 0 } });
  const obs = createObservability(config, { tools: TOOLS, processMetrics: false });
  perOp(N, () => cacheLookupChannel.publish({ hit: true }));
  const event = perOp(N, () => cacheLookupChannel.publish({ hit: true }));
  const sloRecord = perOp(N, (i) => obs.slo.engine.record(i % 1000 === 0 ? 'error' : 'ok', 100));
  const renderStarted = performance.now();
  await obs.metrics.render();
  const renderMs = performance.now() - renderStarted;
  await obs.close();

  // Off and on interleaved, best of each, so machine noise hits both alike.
  const off: number[] = [];
  const on: number[] = [];
  await perCall(); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    off.push(await perCall());
    const live = createObservability(config, { tools: TOOLS, processMetrics: false });
    await perCall(CALLS / 10); // warm the new registry's code paths
    on.push(await perCall());
    await live.close();
  }
  const offUs = Math.min(...off);
  const onUs = Math.min(...on);
  console.log(`typed-array increment (baseline): ${baseline.toFixed(3)} µs`);
  console.log(
    `histogram observe, one label:     ${observe.toFixed(3)} µs (${(observe / baseline).toFixed(1)}x baseline)`,
  );
  console.log(
    `channel event -> counter:         ${event.toFixed(3)} µs (${(event / baseline).toFixed(1)}x baseline)`,
  );
  console.log(`SLO engine record + evaluate:     ${sloRecord.toFixed(3)} µs`);
  console.log(`tool call, instrumentation off:   ${offUs.toFixed(2)} µs CPU`);
  console.log(
    `tool call, metrics + SLO on:      ${onUs.toFixed(2)} µs CPU (+${(onUs - offUs).toFixed(2)} µs, ${(onUs / offUs).toFixed(2)}x off)`,
  );
  console.log(`render /metrics (after ${N} obs):  ${renderMs.toFixed(2)} ms`);
  return {
    baselineUs: baseline,
    observeUs: observe,
    eventUs: event,
    sloRecordUs: sloRecord,
    offUs,
    onUs,
    renderMs,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
