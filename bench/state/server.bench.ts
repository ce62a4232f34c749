// State through the MCP server (built, over stdio, SQLite state in a temp dir): page 2 of a stored result by
// cursor, the cache-hit path, and the cache hit ratio of a replayed workload with 80% repeats. The baseline is
// a stateless tool call (brutalist_discover) over the same connection.
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { connectStdio, FAKE_BIN, makeSandbox, serverEnv } from '../../test/support/harness.js';
import { fmt, summary } from '../stats.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 300);
const REPLAY = Number(process.env.BENCH_REPLAY ?? 600);
const INSTANT_CLAUDE = join(import.meta.dirname, '..', 'fixtures', 'instant-claude');

async function timed(
  client: Client,
  name: string,
  args: Record<string, unknown>,
): Promise<[number, CallToolResult]> {
  const t = process.hrtime.bigint();
  const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.isError) throw new Error(`${name} failed: ${JSON.stringify(r.content)}`);
  return [ms, r];
}

export async function run(): Promise<Record<string, number>> {
  const sandbox = makeSandbox('brutalist-bench-state-');
  const env = serverEnv(sandbox, {
    BRUTALIST_CRITIC_PREFERENCE: 'claude',
    BRUTALIST_CLAUDE_BIN: INSTANT_CLAUDE,
    BRUTALIST_CODEX_BIN: join(FAKE_BIN, 'codex'),
    BRUTALIST_PAGE_CHARS: '20000',
  });
  delete (env as Record<string, string | undefined>).FAKE_CLI_LOG;
  const { client, close } = await connectStdio(env, sandbox.project);
  try {
    const base: number[] = [];
    const page2: number[] = [];
    const hit: number[] = [];
    const miss: number[] = [];
    const [, long] = await timed(client, 'roast', {
      domain: 'idea',
      context: 'Long\n@@fake spew_bytes=200000',
      clis: ['codex'],
    });
    const cursor = (long.structuredContent as { page: { nextCursor: string } }).page.nextCursor;
    await timed(client, 'roast', { domain: 'idea', context: 'cached one' });
    for (let i = 0; i < 20; i++) {
      await timed(client, 'brutalist_discover', { intent: 'is my auth secure' });
      await timed(client, 'roast', { domain: 'idea', cursor });
    }
    for (let i = 0; i < CALLS; i++) {
      base.push((await timed(client, 'brutalist_discover', { intent: `is my auth secure ${i % 7}` }))[0]);
      page2.push((await timed(client, 'roast', { domain: 'idea', cursor }))[0]);
      hit.push((await timed(client, 'roast', { domain: 'idea', context: 'cached one' }))[0]);
      if (i < CALLS / 3)
        miss.push((await timed(client, 'roast', { domain: 'idea', context: `fresh ${i}` }))[0]);
    }
    // Replay: each request repeats an earlier one with probability 0.8, else asks something new.
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const seen: string[] = [];
    let cachedAnswers = 0;
    let repeats = 0;
    for (let i = 0; i < REPLAY; i++) {
      const repeat = seen.length > 0 && random() < 0.8;
      const context = repeat ? seen[Math.floor(random() * seen.length)]! : `replay idea ${i}`;
      if (!repeat) seen.push(context);
      else repeats++;
      const [, r] = await timed(client, 'roast', { domain: 'idea', context });
      if ((r.structuredContent as { cached: boolean }).cached) cachedAnswers++;
    }
    const [, roster] = await timed(client, 'cli_agent_roster', {});
    const state = (roster.structuredContent as { state: { backend: string; cacheHitRatio: number } }).state;

    const b = summary(base);
    const p = summary(page2);
    const h = summary(hit);
    const m = summary(miss);
    const replayRatio = cachedAnswers / REPLAY;
    console.log(`state through the server (${state.backend} store, stdio, ${CALLS} calls each)`);
    console.log(`  stateless call (baseline) p50 ${fmt(b.p50)}  p99 ${fmt(b.p99)}`);
    console.log(
      `  page 2 by cursor          p50 ${fmt(p.p50)}  p99 ${fmt(p.p99)}  (${(p.p99 / b.p99).toFixed(2)}x baseline p99)`,
    );
    console.log(
      `  cache hit (roast)         p50 ${fmt(h.p50)}  p99 ${fmt(h.p99)}  (${(h.p99 / b.p99).toFixed(2)}x baseline p99)`,
    );
    console.log(
      `  cache miss (instant critic) p50 ${fmt(m.p50)}  p99 ${fmt(m.p99)}  (hit is ${(m.p50 / h.p50).toFixed(1)}x faster at p50)`,
    );
    console.log(
      `  replay ${REPLAY} requests (${repeats} repeats): ${(replayRatio * 100).toFixed(1)}% of requests answered from cache, ${((cachedAnswers / repeats) * 100).toFixed(1)}% of repeats (goal > 80%); store-wide hit ratio ${(state.cacheHitRatio * 100).toFixed(1)}%`,
    );
    return {
      baselineP99: b.p99,
      page2P50: p.p50,
      page2P99: p.p99,
      cacheHitP50: h.p50,
      cacheHitP99: h.p99,
      cacheMissP50: m.p50,
      replayHitRatio: replayRatio,
      replayRepeatHitRatio: cachedAnswers / repeats,
    };
  } finally {
    await close();
    sandbox.cleanup();
  }
}

if (import.meta.filename === process.argv[1]) await run();
