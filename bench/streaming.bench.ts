// Streaming: server memory and CPU while a critic prints without end, notification rate and delivery latency under a
// 10,000 lines/s critic. The server is the built dist over stdio; its RSS and CPU come from /proc.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectStdio, makeSandbox, serverEnv } from '../test/support/harness.js';
import { fmt, percentile } from './stats.js';

const FIXTURES = join(import.meta.dirname, '..', 'test', 'fixtures', 'bin');
/** Preloaded into the server of the claude-deltas scenarios: its JS heap and ArrayBuffer peaks. */
const HEAP_PROBE = join(import.meta.dirname, 'fixtures', 'heap-probe.cjs');
const CLK_TCK = 100;

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

const MIB = 1024 * 1024;

/** The server's RSS sampled every 10 ms from now until stop(): the figure at start and the peak. */
function rssSampler(pid: number): { idle: number; stop(): number } {
  const idle = rssBytes(pid);
  let peak = idle;
  const timer = setInterval(() => {
    peak = Math.max(peak, rssBytes(pid));
  }, 10);
  return {
    idle,
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, rssBytes(pid));
    },
  };
}

/** One call first (everything loaded), then half a second for the heap to settle before measuring. */
async function settle(client: Awaited<ReturnType<typeof connectStdio>>['client']): Promise<void> {
  await client.callTool({ name: 'cli_agent_roster', arguments: {} });
  await new Promise((r) => setTimeout(r, 500));
}

export async function memoryAndCpu(cli?: string): Promise<Record<string, number>> {
  const sandbox = makeSandbox('brutalist-bench-stream-');
  const env = serverEnv(sandbox, {
    BRUTALIST_GEMINI_BIN: join(FIXTURES, 'spew-gemini'),
    BRUTALIST_EXTRA_ENV: 'SPEW_*',
    BRUTALIST_CACHE_TTL_MS: '0',
    SPEW_BYTES: String(1024 * MIB),
  });
  const { client, close, pid } = await connectStdio(env, sandbox.project, cli);
  try {
    await settle(client);
    const rss = rssSampler(pid);
    const idle = rss.idle;
    const cpuBefore = cpuMs(pid);
    const result = await client.callTool(
      { name: 'roast', arguments: { domain: 'idea', context: 'print forever', clis: ['gemini'] } },
      undefined,
      { onprogress: () => {}, timeout: 120_000 },
    );
    const peak = rss.stop();
    const cpu = cpuMs(pid) - cpuBefore;
    const critic = (
      result.structuredContent as { critics: Array<{ outputBytes: number; truncated: boolean }> }
    ).critics[0]!;
    const mb = critic.outputBytes / MIB;
    console.log(
      `memory: one critic printing 1 GiB of stream-json (server stops it at maxOutputBytes, default 8 MiB)`,
    );
    console.log(
      `  idle RSS ${(idle / MIB).toFixed(1)} MiB, peak ${(peak / MIB).toFixed(1)} MiB, growth ${((peak - idle) / MIB).toFixed(1)} MiB (target <= 64 MiB)`,
    );
    console.log(
      `  kept ${mb.toFixed(1)} MiB, truncated=${critic.truncated}; server CPU ${cpu.toFixed(0)} ms = ${(cpu / mb).toFixed(1)} ms per MiB`,
    );
    return { idleRssMiB: idle / MIB, peakGrowthMiB: (peak - idle) / MIB, cpuMsPerMiB: cpu / mb };
  } finally {
    await close();
    sandbox.cleanup();
  }
}

async function rateAndLatency(cli?: string): Promise<Record<string, number>> {
  const sandbox = makeSandbox('brutalist-bench-chatty-');
  const startedLog = join(sandbox.dir, 'started.log');
  const rate = 4;
  const env = serverEnv(sandbox, {
    BRUTALIST_GEMINI_BIN: join(FIXTURES, 'chatty-gemini'),
    BRUTALIST_EXTRA_ENV: 'CHATTY_*',
    BRUTALIST_CACHE_TTL_MS: '0',
    BRUTALIST_MAX_EVENT_RATE: String(rate),
    CHATTY_LINES_PER_S: '10000',
    CHATTY_SECONDS: '5',
    CHATTY_STARTED_LOG: startedLog,
  });
  const { client, close } = await connectStdio(env, sandbox.project, cli);
  try {
    // Rate: one 5 s run at 10,000 lines/s.
    const times: number[] = [];
    await client.callTool(
      { name: 'roast', arguments: { domain: 'idea', context: 'chatty run', clis: ['gemini'] } },
      undefined,
      { onprogress: () => times.push(Date.now()), timeout: 60_000 },
    );
    const spanS = (times.at(-1)! - times[0]!) / 1000;
    const perSecond = (times.length - 1) / Math.max(spanS, 0.001);
    console.log(
      `rate: 10,000 lines/s for 5 s -> ${times.length} progress notifications, ${perSecond.toFixed(2)}/s (configured ${rate}/s)`,
    );

    // Latency: from the critic's first write to the client's first progress notification, 20 short runs.
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      let first: number | undefined;
      await client.callTool(
        { name: 'roast', arguments: { domain: 'idea', context: `latency ${i}`, clis: ['gemini'] } },
        undefined,
        {
          onprogress: (p) => {
            // The first notice that reflects output; the one at spawn time precedes the critic's first write.
            if (/[1-9]\d*\.\d KB|0\.[1-9] KB/.test(String(p.message))) first ??= Date.now();
          },
          timeout: 60_000,
        },
      );
      const started = Number(readFileSync(startedLog, 'utf8').trim().split('\n').at(-1));
      if (first !== undefined) latencies.push(first - started);
    }
    console.log(
      `latency: critic's first write -> client's first progress: p50 ${fmt(percentile(latencies, 50))} p99 ${fmt(percentile(latencies, 99))} (target p99 < 200 ms)`,
    );
    return {
      notificationsPerS: perSecond,
      configuredRate: rate,
      latencyP50: percentile(latencies, 50),
      latencyP99: percentile(latencies, 99),
    };
  } finally {
    await close();
    sandbox.cleanup();
  }
}

/**
 * claude with --include-partial-messages frames an answer three times (64 KiB text deltas, the whole message, the
 * result). The server keeps the answer once: `bytes` of answer cost the server at most the answer, never the raw
 * stream; past maxOutputBytes of answer (8 MiB) the critic is stopped.
 */
export async function claudeDeltas(
  bytes: number,
  cli?: string,
): Promise<{
  growthMiB: number;
  heapGrowthMiB: number;
  buffersGrowthMiB: number;
  totalChars: number;
  truncated: boolean;
}> {
  const sandbox = makeSandbox('brutalist-bench-deltas-');
  const heapFile = join(sandbox.dir, 'heap.json');
  const env = serverEnv(sandbox, {
    HEAP_PROBE_FILE: heapFile,
    BRUTALIST_CLAUDE_BIN: join(import.meta.dirname, 'fixtures', 'delta-claude'),
    BRUTALIST_EXTRA_ENV: 'DELTA_*',
    BRUTALIST_CACHE_TTL_MS: '0',
    BRUTALIST_CLI_TIMEOUT_MS: '300000',
    DELTA_BYTES: String(bytes),
    NODE_OPTIONS: [`--require ${HEAP_PROBE}`, process.env.BENCH_NODE_OPTIONS ?? ''].join(' ').trim(),
  });
  const { client, close, pid } = await connectStdio(env, sandbox.project, cli);
  try {
    await settle(client);
    writeFileSync(`${heapFile}.reset`, '');
    // The probe takes the reset within 5 ms; a second at most, so a server without it does not hang the bench.
    for (let i = 0; i < 100 && existsSync(`${heapFile}.reset`); i++)
      await new Promise((r) => setTimeout(r, 10));
    const rss = rssSampler(pid);
    const idle = rss.idle;
    const result = await client.callTool(
      { name: 'roast', arguments: { domain: 'idea', context: `answer of ${bytes} bytes`, clis: ['claude'] } },
      undefined,
      { onprogress: () => {}, timeout: 300_000 },
    );
    const peak = rss.stop();
    const content = result.structuredContent as {
      critics: Array<{ truncated: boolean }>;
      page: { totalChars: number };
    };
    const heap = JSON.parse(readFileSync(heapFile, 'utf8')) as Record<
      'idle' | 'peak',
      Record<string, number>
    >;
    return {
      growthMiB: (peak - idle) / MIB,
      heapGrowthMiB: (heap.peak.heapUsed! - heap.idle.heapUsed!) / MIB,
      buffersGrowthMiB: (heap.peak.arrayBuffers! - heap.idle.arrayBuffers!) / MIB,
      totalChars: content.page.totalChars,
      truncated: content.critics[0]!.truncated,
    };
  } finally {
    await close();
    sandbox.cleanup();
  }
}

export async function answerNotFraming(cli?: string): Promise<Record<string, number>> {
  const huge = await claudeDeltas(1024 * MIB, cli);
  console.log('memory: claude printing a 1 GiB answer as 64 KiB stream-json deltas (+ message + result)');
  console.log(
    `  server RSS growth ${huge.growthMiB.toFixed(1)} MiB (target <= 32 MiB; JS heap +${huge.heapGrowthMiB.toFixed(1)} MiB, ArrayBuffers +${huge.buffersGrowthMiB.toFixed(1)} MiB at their peaks between event-loop turns); result ${(huge.totalChars / MIB).toFixed(1)} Mi chars, truncated=${huge.truncated}`,
  );
  const five = await claudeDeltas(5 * 1000 * 1000, cli);
  console.log('answer: claude printing a 5 MB answer framed three times (15 MB of stream-json)');
  console.log(
    `  result ${five.totalChars} chars for 5,000,000 answer bytes (header included), truncated=${five.truncated} (target: whole); RSS growth ${five.growthMiB.toFixed(1)} MiB (JS heap +${five.heapGrowthMiB.toFixed(1)} MiB, ArrayBuffers +${five.buffersGrowthMiB.toFixed(1)} MiB between turns)`,
  );
  return {
    deltas1GiBGrowthMiB: huge.growthMiB,
    deltas1GiBHeapGrowthMiB: huge.heapGrowthMiB,
    answer5MBTotalChars: five.totalChars,
    answer5MBTruncated: five.truncated ? 1 : 0,
  };
}

/** BENCH_BASELINE_CLI=<other build's dist/cli.js>: each scenario runs against that build too, right after this one. */
const BASELINE_CLI = process.env.BENCH_BASELINE_CLI;

export async function run(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [label, cli] of [
    ['', undefined],
    ...(BASELINE_CLI ? [['baseline ', BASELINE_CLI]] : []),
  ] as const) {
    if (label) console.log(`--- baseline build (${cli})`);
    const numbers = {
      ...(await memoryAndCpu(cli)),
      ...(await answerNotFraming(cli)),
      ...(await rateAndLatency(cli)),
    };
    for (const [k, v] of Object.entries(numbers)) out[label ? `baseline_${k}` : k] = v;
  }
  return out;
}

if (import.meta.filename === process.argv[1]) await run();
