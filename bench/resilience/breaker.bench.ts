// Breaker-open fallbacks through the MCP server in this process, claude's circuit open: fail fast (CIRCUIT_OPEN),
// a stale cached critique, and another critic answering; against a fresh cache hit (the cheapest answer there is)
// and a direct run of the other critic as baselines.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { connectInProcess, fakeCritics, makeSandbox } from '../../test/support/harness.js';
import { fmt, percentile } from '../stats.js';

const N = Number(process.env.BENCH_CALLS ?? 200);
const ALTERNATE_CALLS = 40;

const codeOf = (r: CallToolResult) =>
  (r.structuredContent as { error?: { code: string } } | undefined)?.error?.code;

async function timed(
  client: Client,
  args: Record<string, unknown>,
): Promise<{ ms: number; result: CallToolResult }> {
  const started = process.hrtime.bigint();
  const result = (await client.callTool({ name: 'roast', arguments: args })) as CallToolResult;
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, result };
}

async function series(
  label: string,
  count: number,
  make: (i: number) => Record<string, unknown>,
  client: Client,
  check: (r: CallToolResult) => boolean,
): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const { ms, result } = await timed(client, make(i));
    if (!check(result))
      throw new Error(`${label}: unexpected result ${JSON.stringify(result.structuredContent)}`);
    out.push(ms);
  }
  return out;
}

export async function run(): Promise<Record<string, number>> {
  const sandbox = makeSandbox('brutalist-bench-breaker-');
  const { client, close } = await connectInProcess(
    fakeCritics(sandbox, {
      criticPreference: ['claude', 'codex', 'gemini'],
      stateStore: 'memory',
      breakerRecoveryTimeoutMs: 10 * 60_000,
    }),
    { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: sandbox.home } },
  );
  try {
    const cached = { domain: 'idea', context: 'a rocket of cardboard', clis: ['claude'] };
    if ((await timed(client, cached)).result.isError) throw new Error('the first run failed');
    for (let i = 0; i < 10; i++) {
      const r = await timed(client, {
        domain: 'idea',
        context: `broken ${i}\n@@fake error=server`,
        clis: ['claude'],
      });
      if (codeOf(r.result) === 'CIRCUIT_OPEN') break;
    }
    const ok = (r: CallToolResult) => !r.isError;
    // Warm up every path once.
    await timed(client, cached);
    await timed(client, { ...cached, force_refresh: true });
    await timed(client, { domain: 'idea', context: 'warm up pinned', clis: ['claude'] });
    await timed(client, { domain: 'idea', context: 'warm up codex', clis: ['codex'] });

    const hit = await series('cache hit', N, () => cached, client, ok);
    const failFast = await series(
      'CIRCUIT_OPEN',
      N,
      (i) => ({ domain: 'idea', context: `new idea ${i}`, clis: ['claude'] }),
      client,
      (r) => codeOf(r) === 'CIRCUIT_OPEN',
    );
    const stale = await series(
      'stale',
      N,
      () => ({ ...cached, force_refresh: true }),
      client,
      (r) => ok(r) && (r.structuredContent as { stale?: boolean }).stale === true,
    );
    const direct: number[] = [];
    const alternate: number[] = [];
    for (let i = 0; i < ALTERNATE_CALLS; i++) {
      direct.push(
        ...(await series(
          'codex',
          1,
          () => ({ domain: 'idea', context: `direct ${i}`, clis: ['codex'] }),
          client,
          ok,
        )),
      );
      alternate.push(
        ...(await series('alternate', 1, () => ({ domain: 'idea', context: `alt ${i}` }), client, ok)),
      );
    }
    const p = (xs: number[], q: number) => percentile(xs, q);
    console.log(
      `breaker-open fallbacks: claude's circuit open, ${N} calls each, through the MCP server in this process`,
    );
    console.log(`  fresh cache hit (baseline)  p50 ${fmt(p(hit, 50))}  p99 ${fmt(p(hit, 99))}`);
    console.log(
      `  CIRCUIT_OPEN (pinned)       p50 ${fmt(p(failFast, 50))}  p99 ${fmt(p(failFast, 99))} (target <= 100 ms)  ${(p(failFast, 99) / p(hit, 99)).toFixed(2)}x the cache hit`,
    );
    console.log(
      `  stale cached critique       p50 ${fmt(p(stale, 50))}  p99 ${fmt(p(stale, 99))} (target <= 100 ms)  ${(p(stale, 99) / p(hit, 99)).toFixed(2)}x the cache hit`,
    );
    console.log(
      `  codex instead (unpinned)    p50 ${fmt(p(alternate, 50))}  p99 ${fmt(p(alternate, 99))} vs codex pinned p50 ${fmt(p(direct, 50))}  p99 ${fmt(p(direct, 99))}: fallback adds ${fmt(p(alternate, 50) - p(direct, 50))} at p50 (${ALTERNATE_CALLS} calls each, interleaved)`,
    );
    return {
      cacheHitP99: p(hit, 99),
      circuitOpenP50: p(failFast, 50),
      circuitOpenP99: p(failFast, 99),
      staleP50: p(stale, 50),
      staleP99: p(stale, 99),
      alternateP50: p(alternate, 50),
      directP50: p(direct, 50),
    };
  } finally {
    await close();
    sandbox.cleanup();
  }
}

if (import.meta.filename === process.argv[1]) await run();
