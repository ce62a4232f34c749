// What idle HTTP sessions cost: RSS and heap of the service with 1,000 initialized, idle sessions (each its own
// transport and MCP server) against the same service with none, same process. Goal: 1,000 sessions under 100 MB.
import { INITIALIZE, postMcp, startBenchService } from './support.js';

const SESSIONS = Number(process.env.BENCH_HTTP_SESSIONS ?? 1_000);
const MB = 1024 * 1024;

async function settle(): Promise<{ rss: number; heap: number }> {
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.();
    await new Promise((r) => setTimeout(r, 50));
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed };
}

export async function run(): Promise<Record<string, number>> {
  const bench = await startBenchService(1, {
    httpMaxSessions: SESSIONS,
    httpMaxSessionsPerPrincipal: SESSIONS,
    // 2,000 requests from one key and one address in seconds: the default budgets would answer 429.
    rateLimitPrincipalRequests: 0,
    rateLimitIpRequests: 0,
  });
  const headers = { authorization: `Bearer ${bench.token}` };
  try {
    // One session first so the code paths are loaded before the baseline.
    await postMcp(bench.service, INITIALIZE, headers);
    const before = await settle();
    for (let i = 1; i < SESSIONS; i++) {
      const res = await postMcp(bench.service, INITIALIZE, headers);
      if (res.status !== 200 || !res.session) throw new Error(`initialize ${res.status}`);
      await postMcp(
        bench.service,
        { jsonrpc: '2.0', method: 'notifications/initialized' },
        {
          ...headers,
          'mcp-session-id': res.session,
          'mcp-protocol-version': '2025-11-25',
        },
      );
    }
    const after = await settle();
    const rssMb = (after.rss - before.rss) / MB;
    const heapMb = (after.heap - before.heap) / MB;
    console.log(`service RSS with 1 session (baseline): ${(before.rss / MB).toFixed(1)} MB`);
    console.log(
      `+${SESSIONS - 1} idle sessions: RSS +${rssMb.toFixed(1)} MB (${((rssMb * 1024) / (SESSIONS - 1)).toFixed(1)} KB each), heap +${heapMb.toFixed(1)} MB; total RSS ${(after.rss / MB).toFixed(1)} MB (goal: sessions < 100 MB)`,
    );
    return {
      baselineRssMb: before.rss / MB,
      sessionsRssMb: rssMb,
      sessionsHeapMb: heapMb,
      sessions: bench.service.sessions.size,
    };
  } finally {
    await bench.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
