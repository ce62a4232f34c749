// Queue execution against local execution, on one machine: a fake critic that sleeps 200 ms (bench/fixtures/
// sleepy-claude, no Node startup), so CPU is not the limit. Prints (1) the queueing overhead per run, p50 of
// sequential runs through a front + one worker of the built CLI minus p50 of the same runs with runCritic in
// process, and (2) throughput of 1, 2 and 4 workers (default workerConcurrency, a per-critic cap of 64 that is not
// the limit) with ratios to 1 worker, and CPU per run (front + workers, from process.cpuUsage and /proc).
// The machine is shared with other work: read the ratios, not the absolute numbers.
import { readFileSync } from 'node:fs';
import { CriticAvailability, runCritic } from '../../src/critics/index.js';
import { resolveConfig } from '../../src/engine/config.js';
import { systemClock } from '../../src/infra/index.js';
import { configureSpawner, spawnerPid } from '../../src/process/index.js';
import { runQueued } from '../../test/support/queue.js';
import { fmt, summary } from '../stats.js';
import { formatPerRun, perRun } from './commands.js';
import { queueRig, SLEEPY } from './rig.js';

const SEQUENTIAL_RUNS = Number(process.env.BENCH_QUEUE_SEQUENTIAL ?? 40);
const BURST_RUNS = Number(process.env.BENCH_QUEUE_BURST ?? 96);
const WORKER_COUNTS = [1, 2, 4];
/** How long the rig sits idle before the sequential runs, to measure its background command rate (heartbeats,
 * stalled checks, blocking fetches timing out every drainDelay, 5 s): long enough to hold several of each. */
const IDLE_MS = 10_000;

const ms = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e6;

/** CPU ms (user + system) a process has used so far, from /proc/PID/stat. */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks: 100 per second on Linux
}

/** CPU ms of the direct children of `pid` that are still running (a worker's spawner). */
function childrenCpuMs(pid: number): number {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    return children.reduce((sum, child) => sum + cpuMsOf(Number(child)), 0);
  } catch {
    return 0;
  }
}

const frontCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export async function run(): Promise<Record<string, number>> {
  const rig = await queueRig('queue');
  const { front, workers } = rig;
  try {
    // ---- (1) overhead per run: local runCritic vs the queue with one worker, sequential
    const localConfig = resolveConfig({ overrides: { claudeBin: SLEEPY, sandbox: 'off' } });
    // The same spawner a worker (and a local server) starts critics through.
    configureSpawner(localConfig.spawner);
    const availability = new CriticAvailability({ config: localConfig });
    const deps = { config: localConfig, availability, clock: systemClock, env: process.env };
    const runLocal = () =>
      runCritic(
        deps,
        'claude',
        { prompt: 'bench' },
        { fileAccess: 'none', signal: new AbortController().signal, onStdout: () => {} },
      );
    await rig.addWorker();
    // Interleaved, so the load of other work on this shared machine falls on both alike.
    const local: number[] = [];
    const queued: number[] = [];
    const worker = workers[0];
    // CPU of our processes, not of the critics: this one, its spawner, the worker and the worker's spawner.
    const localCpu = () => {
      const spawner = spawnerPid();
      return frontCpuMs() + (spawner ? cpuMsOf(spawner) : 0);
    };
    const queueCpu = () => frontCpuMs() + (worker ? cpuMsOf(worker.pid) + childrenCpuMs(worker.pid) : 0);
    let localCpuMs = 0;
    let queueCpuMs = 0;
    // The background rate (heartbeats, stalled checks), taken out of the per-run count below.
    const idleCounter = await rig.countCommands();
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const idle = await idleCounter?.stop();
    let counter: Awaited<ReturnType<typeof rig.countCommands>>;
    for (let i = 0; i < SEQUENTIAL_RUNS + 3; i++) {
      if (i === 3) counter = await rig.countCommands();
      let t = process.hrtime.bigint();
      let cpu = localCpu();
      await runLocal();
      if (i >= 3) {
        local.push(ms(t));
        localCpuMs += localCpu() - cpu;
      }
      t = process.hrtime.bigint();
      cpu = queueCpu();
      await runQueued(front, 'bench');
      if (i >= 3) {
        queued.push(ms(t));
        queueCpuMs += queueCpu() - cpu;
      }
    }
    const counts = await counter?.stop();
    if (counts)
      console.log(`Redis per sequential run: ${formatPerRun(perRun(counts, SEQUENTIAL_RUNS, idle))}`);
    console.log(
      `CPU per run (not the critic's): local ${(localCpuMs / SEQUENTIAL_RUNS).toFixed(2)} ms, ` +
        `queue ${(queueCpuMs / SEQUENTIAL_RUNS).toFixed(2)} ms (front + worker + its spawner)`,
    );
    const l = summary(local);
    const q = summary(queued);
    console.log(
      `sequential runs (n=${SEQUENTIAL_RUNS}): local p50 ${fmt(l.p50)} p95 ${fmt(l.p95)}; queue p50 ${fmt(q.p50)} p95 ${fmt(q.p95)}`,
    );
    console.log(`queueing overhead per run: p50 ${fmt(q.p50 - l.p50)} (target <= 5 ms)`);
    const out: Record<string, number> = {
      ...(counts ? { commandsPerRun: perRun(counts, SEQUENTIAL_RUNS, idle).total } : {}),
      localP50Ms: l.p50,
      queueP50Ms: q.p50,
      overheadP50Ms: q.p50 - l.p50,
    };

    // ---- (2) throughput with 1, 2, 4 workers
    let base = 0;
    // BENCH_QUEUE_BURST=0: the sequential part only.
    for (const count of BURST_RUNS > 0 ? WORKER_COUNTS : []) {
      while (workers.length < count) await rig.addWorker();
      const cpuBefore = frontCpuMs() + workers.reduce((sum, w) => sum + cpuMsOf(w.pid), 0);
      const t = process.hrtime.bigint();
      await Promise.all(Array.from({ length: BURST_RUNS }, () => runQueued(front, 'bench')));
      const wallMs = ms(t);
      const cpuMs = frontCpuMs() + workers.reduce((sum, w) => sum + cpuMsOf(w.pid), 0) - cpuBefore;
      const perSecond = (BURST_RUNS * 1000) / wallMs;
      if (count === 1) base = perSecond;
      console.log(
        `${count} worker(s): ${BURST_RUNS} runs in ${fmt(wallMs)} = ${perSecond.toFixed(1)} runs/s, ` +
          `${(perSecond / base).toFixed(2)}x of 1 worker; CPU (front + workers, not the critics) ${(cpuMs / BURST_RUNS).toFixed(2)} ms/run`,
      );
      out[`runsPerSecond${count}`] = perSecond;
    }
    return out;
  } finally {
    await rig.close();
  }
}

if (import.meta.filename === process.argv[1]) await run();
