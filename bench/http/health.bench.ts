// /healthz and /readyz latency and server CPU per probe under concurrent load (autocannon-free: 16 keep-alive
// loops of fetch), against the 404 of an unknown path in the same run as the baseline. Run: npx tsx bench/http/health.bench.ts
import { performance } from 'node:perf_hooks';
import { resolveConfig } from '../../src/engine/config.js';
import { startHttpService } from '../../src/transport/index.js';
import { fmt, summary } from '../stats.js';

const CONCURRENCY = 16;
const PER_LOOP = 250;

async function load(url: string): Promise<{ latencies: number[]; cpuUsPerRequest: number }> {
  const latencies: number[] = [];
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = 0; i < PER_LOOP; i++) {
        const start = performance.now();
        const res = await fetch(url);
        await res.arrayBuffer();
        latencies.push(performance.now() - start);
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  return { latencies, cpuUsPerRequest: (used.user + used.system) / (CONCURRENCY * PER_LOOP) };
}

const config = resolveConfig({ overrides: { stateStore: 'memory', httpPort: 0, logLevel: 'error' } });
const service = await startHttpService(config, {});
await service.ops.warmedUp;
console.log(
  `${CONCURRENCY} concurrent loops × ${PER_LOOP} requests each; client and server share this process's CPU`,
);
const report = (path: string, r: { latencies: number[]; cpuUsPerRequest: number }, ratio: number) => {
  const s = summary(r.latencies);
  console.log(
    `${path.padEnd(9)} p50 ${fmt(s.p50)}  p99 ${fmt(s.p99)}  CPU ${r.cpuUsPerRequest.toFixed(0)} µs/request (${ratio.toFixed(2)}× the 404)`,
  );
};
await load(`${service.url}/nope`); // warm-up (JIT, connection pool), not reported
const baseline = await load(`${service.url}/nope`);
for (const path of ['/healthz', '/readyz']) {
  const { latencies, cpuUsPerRequest } = await load(`${service.url}${path}`);
  report(path, { latencies, cpuUsPerRequest }, cpuUsPerRequest / baseline.cpuUsPerRequest);
}
report('/nope', baseline, 1);
await service.close();
