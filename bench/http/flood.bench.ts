// Issue 15's flood goal: while an unauthenticated flood hits the service, 20 authenticated clients keep their p95
// within 10% of a quiet run. One `serve --http` service in this process (API keys, default rate limits, memory
// state); 20 real MCP SDK clients over Streamable HTTP, each with its own key and its own loopback address
// (127.0.0.2-21), each calling brutalist_discover (answered in-process, no critic spawned) once per interval:
// paced, because a closed loop would spend the default per-key budget (600 a minute) in seconds and measure 429s.
// The flood is autocannon in a child process (flood-child.ts) from 127.0.0.1: no token or a wrong one, as fast as
// the service answers. Phases alternate quiet, flood, quiet, flood (the machine is shared, so its load drifts);
// each phase's percentiles are compared with both quiet phases of the same service pooled (the baseline).
// Twice: with the default IP budget (the flood's one IP is stopped after a few dozen failures and then costs a
// 429 at the top of the pipeline), and with rateLimitIpRequests 0 (every flood request reaches authentication).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { ConfigInput } from '../../src/engine/config.js';
import { newKey } from '../../src/http/index.js';
import { summary } from '../stats.js';
import { type BenchService, loopbackFetch, startBenchService } from './support.js';

const CLIENTS = 20;
const PHASE_MS = Number(process.env.BENCH_FLOOD_PHASE_MS ?? 10_000);
const INTERVAL_MS = Number(process.env.BENCH_FLOOD_INTERVAL_MS ?? 200);
const CONNECTIONS = Number(process.env.BENCH_FLOOD_CONNECTIONS ?? 32);
/** Requests a second the whole flood may send (0: as fast as the service answers). */
const FLOOD_RATE = Number(process.env.BENCH_FLOOD_RATE ?? 0);
const FLOOD_CPU = process.env.BENCH_FLOOD_CPU ?? '';
const WARM_UP_MS = 2_000;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = fileURLToPath(new URL('./flood-child.ts', import.meta.url));
const CALL = { name: 'brutalist_discover', arguments: { intent: 'a caching layer in front of our API' } };

interface FloodResult {
  readonly answered: number;
  readonly seconds: number;
  readonly statuses: Record<string, number>;
  readonly errors: number;
  readonly timeouts: number;
}

interface Phase {
  readonly name: string;
  readonly samples: number[];
  readonly failed: Map<string, number>;
  readonly flood: FloodResult | null;
  /** CPU milliseconds this process (service + clients) spent per wall second of the phase. */
  readonly cpuPerSecond: number;
  readonly load: number;
}

async function connectClients(bench: BenchService): Promise<Client[]> {
  const clients: Client[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    const transport = new StreamableHTTPClientTransport(new URL(`${bench.service.url}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${bench.tokens[i]}` } },
      fetch: loopbackFetch(`127.0.0.${i + 2}`),
    });
    const client = new Client({ name: `bench-${i}`, version: '1' });
    await client.connect(transport);
    clients.push(client);
  }
  return clients;
}

/** Each client calls once per INTERVAL_MS (starts staggered, no catch-up burst after a slow call) for `ms`. */
async function drive(clients: readonly Client[], ms: number): Promise<Pick<Phase, 'samples' | 'failed'>> {
  const samples: number[] = [];
  const failed = new Map<string, number>();
  const fail = (why: string) => failed.set(why, (failed.get(why) ?? 0) + 1);
  const deadline = performance.now() + ms;
  await Promise.all(
    clients.map(async (client, i) => {
      let next = performance.now() + (i * INTERVAL_MS) / clients.length;
      for (;;) {
        await sleep(Math.max(0, next - performance.now()));
        const started = performance.now();
        if (started >= deadline) return;
        try {
          const result = await client.callTool(CALL);
          if (result.isError) fail('tool error');
          else samples.push(performance.now() - started);
        } catch (err) {
          const code = (err as { code?: unknown }).code;
          fail(code === undefined ? (err as Error).name : `error ${String(code)}`);
        }
        next = Math.max(next + INTERVAL_MS, performance.now());
      }
    }),
  );
  return { samples, failed };
}

/** Starts the flood child; resolves once autocannon has started, with how to stop it and read its counts. */
async function startFlood(url: string): Promise<() => Promise<FloodResult>> {
  const wrongToken = newKey('intruder', ['roast']).token;
  const argv = [
    process.execPath,
    '--import',
    'tsx',
    CHILD,
    url,
    String(CONNECTIONS),
    wrongToken,
    String(FLOOD_RATE),
  ];
  // BENCH_FLOOD_CPU=1 (with the bench itself under `taskset -c 0`): the flooder gets a core of its own.
  const pinned = FLOOD_CPU === '' ? argv : ['taskset', '-c', FLOOD_CPU, ...argv];
  const child = spawn(pinned[0]!, pinned.slice(1), { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.value !== 'started') throw new Error(`flood child: ${String(first.value)}`);
  return async () => {
    child.stdin.end();
    const line = await lines.next();
    await exited;
    if (line.done) throw new Error(`flood child exited with ${child.exitCode}`);
    return JSON.parse(line.value) as FloodResult;
  };
}

async function phases(label: string, overrides: ConfigInput): Promise<Phase[]> {
  const bench = await startBenchService(CLIENTS, overrides);
  const clients = await connectClients(bench);
  try {
    await drive(clients, WARM_UP_MS);
    const out: Phase[] = [];
    for (const [n, flooded] of [
      [1, false],
      [1, true],
      [2, false],
      [2, true],
    ] as const) {
      const stop = flooded ? await startFlood(`${bench.service.url}/mcp`) : null;
      const cpu = process.cpuUsage();
      const wall = performance.now();
      const { samples, failed } = await drive(clients, PHASE_MS);
      const spent = process.cpuUsage(cpu);
      const cpuPerSecond = (spent.user + spent.system) / (performance.now() - wall);
      const flood = stop ? await stop() : null;
      const name = `${flooded ? 'flood' : 'quiet'} ${n}`;
      out.push({ name, samples, failed, flood, cpuPerSecond, load: loadavg()[0]! });
    }
    report(label, out);
    return out;
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await bench.close();
  }
}

function report(label: string, out: readonly Phase[]): void {
  const quiet = summary(out.filter((p) => !p.flood).flatMap((p) => p.samples));
  const ms = (v: number) => v.toFixed(2).padStart(7);
  const x = (v: number, base: number) => `${(v / base).toFixed(2)}x`;
  console.log(`\n${label}`);
  console.log(
    'phase     calls   p50 ms  p95 ms  p99 ms   p50/p95/p99 vs quiet  failed  flood req/s   401s    429s  other  cpu%  load1',
  );
  for (const p of out) {
    const s = summary(p.samples);
    const failed = [...p.failed].map(([why, n]) => `${why}: ${n}`).join(', ') || '0';
    const f = p.flood;
    const other = f
      ? Object.entries(f.statuses)
          .filter(([status]) => status !== '401' && status !== '429')
          .reduce((sum, [, n]) => sum + n, 0) + f.errors
      : 0;
    console.log(
      [
        p.name.padEnd(8),
        String(p.samples.length).padStart(6),
        ms(s.p50),
        ms(s.p95),
        ms(s.p99),
        `  ${x(s.p50, quiet.p50)} / ${x(s.p95, quiet.p95)} / ${x(s.p99, quiet.p99)}`.padEnd(22),
        failed.padStart(6),
        (f ? (f.answered / f.seconds).toFixed(0) : '-').padStart(12),
        String(f ? (f.statuses['401'] ?? 0) : '-').padStart(7),
        String(f ? (f.statuses['429'] ?? 0) : '-').padStart(7),
        String(f ? other : '-').padStart(6),
        (p.cpuPerSecond / 10).toFixed(0).padStart(5),
        p.load.toFixed(2).padStart(6),
      ].join(' '),
    );
  }
  const quietCpu = mean(out.filter((p) => !p.flood).map((p) => p.cpuPerSecond));
  for (const p of out.filter((q) => q.flood && q.flood.answered > 0)) {
    // The flood's share of this process's CPU, per request it got answered.
    const f = p.flood!;
    const extraUs = ((p.cpuPerSecond - quietCpu) * f.seconds * 1e3) / f.answered;
    console.log(
      extraUs > 0
        ? `${p.name}: service CPU per flood request ≈ ${extraUs.toFixed(0)} µs (CPU above the quiet phases)`
        : `${p.name}: service CPU per flood request not measurable (the quiet phases cost more: the machine's load drifted)`,
    );
  }
  console.log(
    `quiet pooled (baseline): p50 ${quiet.p50.toFixed(2)} ms, p95 ${quiet.p95.toFixed(2)} ms, p99 ${quiet.p99.toFixed(2)} ms; goal: flood p95 ≤ 1.10x`,
  );
}

/**
 * The floor under the same flood, as a baseline: a bare node:http server answering every request 401 with a
 * JSON-RPC error of the service's size, nothing else; its CPU per request is what Node's HTTP alone costs.
 */
async function bareFloor(): Promise<{ rate: number; cpuUs: number }> {
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id: null,
    error: { code: -32001, message: 'Authentication required.', data: { code: 'UNAUTHENTICATED' } },
  });
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="mcp"' });
    res.end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const stop = await startFlood(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
    const cpu = process.cpuUsage();
    const wall = performance.now();
    await sleep(PHASE_MS);
    const spent = process.cpuUsage(cpu);
    const cpuPerSecond = (spent.user + spent.system) / (performance.now() - wall);
    const f = await stop();
    const cpuUs = (cpuPerSecond * f.seconds * 1e3) / f.answered;
    console.log(
      `\nbaseline, bare node:http 401 server under the same flood: ${(f.answered / f.seconds).toFixed(0)} req/s, CPU per request ≈ ${cpuUs.toFixed(0)} µs (cpu ${(cpuPerSecond / 10).toFixed(0)}%, load1 ${loadavg()[0]!.toFixed(2)})`,
    );
    return { rate: f.answered / f.seconds, cpuUs };
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}

function floodFigures(prefix: string, out: readonly Phase[]): Record<string, number> {
  const quiet = summary(out.filter((p) => !p.flood).flatMap((p) => p.samples));
  const flood = out.filter((p) => p.flood);
  const all = summary(flood.flatMap((p) => p.samples));
  const count = (status: string) => flood.reduce((n, p) => n + (p.flood?.statuses[status] ?? 0), 0);
  const answered = flood.reduce((n, p) => n + (p.flood?.answered ?? 0), 0);
  const seconds = flood.reduce((n, p) => n + (p.flood?.seconds ?? 0), 0);
  return {
    [`${prefix}QuietP95Ms`]: quiet.p95,
    [`${prefix}FloodP95Ms`]: all.p95,
    [`${prefix}FloodP95Ratio`]: all.p95 / quiet.p95,
    [`${prefix}FloodRate`]: answered / seconds,
    [`${prefix}Flood401`]: count('401'),
    [`${prefix}Flood429`]: count('429'),
  };
}

export async function run(): Promise<Record<string, number>> {
  console.log(
    `${CLIENTS} clients (own key, own 127.0.0.x), brutalist_discover every ${INTERVAL_MS} ms each (${((CLIENTS * 1000) / INTERVAL_MS).toFixed(0)} calls/s offered); ${PHASE_MS / 1000} s phases; flood: autocannon, ${CONNECTIONS} connections from 127.0.0.1, no token / wrong token, ${FLOOD_RATE > 0 ? `capped at ${FLOOD_RATE}/s` : 'uncapped'}${FLOOD_CPU === '' ? '' : `, flooder pinned to CPU ${FLOOD_CPU}`}`,
  );
  console.log(
    `load average at start (1/5/15 min): ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ')}`,
  );
  const limited = await phases(
    'default limits: the flood IP has 1,200 points a minute and a failure costs 20, so ~60 401s then 429s',
    {},
  );
  const open = await phases('rateLimitIpRequests 0: every flood request is authenticated (401)', {
    rateLimitIpRequests: 0,
  });
  const floor = await bareFloor();
  return {
    ...floodFigures('limited', limited),
    ...floodFigures('ipOff', open),
    bareFloodRate: floor.rate,
    bareCpuPerRequestUs: floor.cpuUs,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
