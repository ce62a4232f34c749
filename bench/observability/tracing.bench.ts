// Tracing cost per tool call, in CPU time of this process (the machine is shared: wall time would measure the
// neighbours): the same call, with the trace steps the engine marks, run with instrumentation off, with metrics +
// one log line + the request span (children sampled out), and with every child span; interleaved, best of each.
// Spans go to a discarding exporter (export serialization is not counted: it runs batched, off the call's path).
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { criticRunChannel } from '../../src/critics/diagnostics.js';
import { resolveConfig } from '../../src/engine/config.js';
import { currentTraceparent, traceStep } from '../../src/infra/index.js';
import {
  createLogger,
  createObservability,
  type Logger,
  observeToolCall,
  runInRequest,
  startTracing,
  type Tracing,
} from '../../src/observability/index.js';
import { cacheLookupChannel } from '../../src/state/index.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 5_000);
const ROUNDS = 5;
const TOOLS = ['roast', 'roast_cli_debate', 'brutalist_discover', 'cli_agent_roster'];
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const result = { structuredContent: { status: 'done' } };
const criticResult = { critic: 'claude', exitClass: 'ok', outputBytes: 2048, truncated: false };
const criticRun = {
  critic: 'claude' as const,
  exitClass: 'ok',
  code: undefined,
  durationMs: 1200,
  outputBytes: 2048,
  truncated: false,
  inputTokens: 100,
  outputTokens: 50,
};

/** Counts spans and drops them. */
class DiscardExporter implements SpanExporter {
  spans = 0;
  export(spans: ReadableSpan[], done: (result: { code: number }) => void): void {
    this.spans += spans.length;
    done({ code: 0 });
  }
  async shutdown(): Promise<void> {}
}

const step = <T>(name: Parameters<typeof traceStep>[0], value: T, attributes = {}) =>
  traceStep(name, attributes, async () => value);

/** One roast as the engine runs it: the steps it marks (cache read twice: before and under the lock). */
async function oneCall(logger: Logger | undefined): Promise<void> {
  await runInRequest(
    'roast',
    () =>
      observeToolCall({ principal: 'local', domain: 'security' }, async () => {
        await step('validation', undefined);
        await step('cache', undefined);
        if (cacheLookupChannel.hasSubscribers) cacheLookupChannel.publish({ hit: false });
        await traceStep('lock', {}, async () => {
          await step('cache', undefined);
          await step('admission', undefined, { critic: 'claude', priority: 2 });
          await traceStep('critic', { critic: 'claude' }, async () => {
            currentTraceparent();
            if (criticRunChannel.hasSubscribers) criticRunChannel.publish(criticRun);
            return criticResult;
          });
          await step('store', undefined, { what: 'cache' });
        });
        await step('store', undefined, { what: 'result' });
        logger?.info({ event: 'bench' }, 'tool call done');
        return result;
      }),
    TRACEPARENT,
  );
}

/** CPU microseconds per call (user + system). */
async function perCall(logger: Logger | undefined, calls = CALLS): Promise<number> {
  const started = process.cpuUsage();
  for (let i = 0; i < calls; i++) await oneCall(logger);
  const used = process.cpuUsage(started);
  return (used.user + used.system) / calls;
}

const TRACING = {
  otlpEndpoint: '',
  traceExportTimeoutMs: 1_000,
  traceMaxQueueSpans: 2_048,
  traceExportDelayMs: 100,
};

/** Per-call CPU with metrics + logs + tracing (children at `childPct`; undefined: no tracing), setup excluded. */
async function instrumented(childPct: number | undefined, exporter: DiscardExporter): Promise<number> {
  const config = resolveConfig({ overrides: { sloFlushIntervalMs: 0 } });
  const obs = createObservability(config, { tools: TOOLS, processMetrics: false });
  const logger = createLogger({ level: 'info', env: {}, destination: { write: () => {} } });
  const tracing: Tracing | undefined =
    childPct === undefined
      ? undefined
      : startTracing({ ...TRACING, traceChildSamplePct: childPct }, { exporter });
  await perCall(logger, CALLS / 10); // warm this round's code paths
  const us = await perCall(logger);
  await tracing?.close();
  await obs.close();
  return us;
}

export async function run(): Promise<Record<string, number>> {
  const exporter = new DiscardExporter();
  await perCall(undefined); // warm-up
  const off: number[] = [];
  const untraced: number[] = [];
  const requestSpan: number[] = [];
  const allSpans: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    off.push(await perCall(undefined));
    untraced.push(await instrumented(undefined, exporter));
    requestSpan.push(await instrumented(0, exporter));
    allSpans.push(await instrumented(100, exporter));
  }
  const offUs = Math.min(...off);
  const untracedUs = Math.min(...untraced);
  const requestUs = Math.min(...requestSpan);
  const allUs = Math.min(...allSpans);
  const line = (label: string, us: number) =>
    console.log(
      `${label} ${us.toFixed(2)} µs CPU (+${(us - offUs).toFixed(2)} µs, ${(us / offUs).toFixed(2)}x off)`,
    );
  console.log(`tool call, instrumentation off:                 ${offUs.toFixed(2)} µs CPU`);
  line('metrics + log line, tracing off:                ', untracedUs);
  line('metrics + log line + request span (children out):', requestUs);
  line('metrics + log line + request span + 8 child spans:', allUs);
  console.log(`spans exported: ${exporter.spans} (${CALLS} calls x ${ROUNDS} rounds, warm-ups included)`);
  return { offUs, untracedUs, requestUs, allUs };
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
