// Sustained queue load: `--minutes N` (default 5) of critic runs offered at `--rate` per minute (default 1,000) by
// one front to 4 workers of the built CLI (default workerConcurrency; a per-critic cap of 64, not the limit), with
// the fake critic that sleeps 200 ms (bench/fixtures/sleepy-claude, no Node startup). Prints every run accounted
// for (answered ok, failed by code, lost = no answer), the waiting depth sampled each second (max, p95), latency
// p50/p99 and the load average, since the machine is shared. Lost must be 0 and the depth must stay bounded.
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { toBrutalistError } from '../../src/errors/index.js';
import { runQueued } from '../../test/support/queue.js';
import { fmt, summary } from '../stats.js';
import { queueRig } from './rig.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    rate: { type: 'string', default: '1000' },
    workers: { type: 'string', default: '4' },
  },
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export async function run(): Promise<Record<string, number>> {
  const minutes = Number(values.minutes);
  const perMinute = Number(values.rate);
  const workerCount = Number(values.workers);
  const rig = await queueRig('sustained', { queueMaxDepth: 10_000 });
  const { front } = rig;
  const load = [loadavg()[0] ?? 0];
  try {
    await Promise.all(Array.from({ length: workerCount }, () => rig.addWorker()));
    const total = Math.round(minutes * perMinute);
    const gapMs = 60_000 / perMinute;
    const latencies: number[] = [];
    const failures = new Map<string, number>();
    const depths: number[] = [];
    let answered = 0;
    const sampler = setInterval(() => {
      void front.depth().then(
        (d) => depths.push(d),
        () => {},
      );
      load.push(loadavg()[0] ?? 0);
    }, 1_000);
    const started = performance.now();
    const runs: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      await sleep(started + i * gapMs - performance.now());
      const t = performance.now();
      runs.push(
        runQueued(front, 'bench').then(
          () => {
            answered++;
            latencies.push(performance.now() - t);
          },
          (err: unknown) => {
            answered++;
            const code = toBrutalistError(err).code;
            failures.set(code, (failures.get(code) ?? 0) + 1);
          },
        ),
      );
      if (i > 0 && i % perMinute === 0) {
        console.log(
          `  ${i / perMinute} min: ${i} offered, ${answered} answered, depth now ${depths.at(-1) ?? 0}`,
        );
      }
    }
    const offeredMs = performance.now() - started;
    // Every run gets its answer (or its deadline, cliTimeoutMs): nothing is left waiting forever.
    await Promise.all(runs);
    clearInterval(sampler);
    const ok = latencies.length;
    const failed = [...failures.values()].reduce((a, b) => a + b, 0);
    const lost = total - answered;
    const d = summary(depths.length > 0 ? depths : [0]);
    const l = summary(latencies.length > 0 ? latencies : [0]);
    const avgLoad = load.reduce((a, b) => a + b, 0) / load.length;
    console.log(
      `sustained ${minutes} min at ${perMinute}/min offered (${((total / offeredMs) * 60_000).toFixed(0)}/min achieved) with ${workerCount} workers:`,
    );
    console.log(
      `  ${total} offered, ${ok} ok, ${failed} failed ${JSON.stringify(Object.fromEntries(failures))}, ${lost} lost`,
    );
    console.log(
      `  waiting depth sampled each second: p50 ${d.p50}, p95 ${d.p95}, max ${Math.max(...depths, 0)}`,
    );
    console.log(`  latency (offer → answer) p50 ${fmt(l.p50)} p99 ${fmt(l.p99)}`);
    console.log(
      `  load average (1 min) during the run: mean ${avgLoad.toFixed(1)}, max ${Math.max(...load).toFixed(1)} (2 cores, shared)`,
    );
    return { offered: total, ok, failed, lost, maxDepth: Math.max(...depths, 0), p50Ms: l.p50, p99Ms: l.p99 };
  } finally {
    await rig.close();
  }
}

if (import.meta.filename === process.argv[1]) await run();
