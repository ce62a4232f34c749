// Where a burst's time goes: 96 runs at once through a front and N workers (sleepy fake critic), then each job's
// stored timestamps (added, taken by a worker, finished) and the front's answer time, as phase percentiles and the
// number of jobs running in each 100 ms, so a gap (slots idle while jobs wait) or a fixed cost shows.
// Usage: node --import tsx bench/queue/timeline.ts [workers...]   (default: 1 2 4)
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QueueExecution } from '../../src/queue/index.js';
import { makeSandbox } from '../../test/support/harness.js';
import {
  frontConfig,
  runQueued,
  startWorker,
  stopWorker,
  type WorkerProcess,
} from '../../test/support/queue.js';
import { deletePrefix, SHARED_REDIS_URL, uniquePrefix } from '../../test/support/redis.js';
import { summary } from '../stats.js';

const SLEEPY = join(import.meta.dirname, '..', 'fixtures', 'sleepy-claude');
const BURST_RUNS = Number(process.env.BENCH_QUEUE_BURST ?? 96);
const counts = process.argv.slice(2).map(Number);
const WORKER_COUNTS = counts.length > 0 ? counts : [1, 2, 4];
const CAP = '64';

const p = (xs: number[]) => {
  const s = summary(xs);
  return `p50 ${s.p50.toFixed(0)} p95 ${s.p95.toFixed(0)} max ${Math.max(...xs).toFixed(0)}`;
};

async function commands(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  return [...info.matchAll(/calls=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
}

const sandbox = makeSandbox('brutalist-bench-timeline-');
const prefix = uniquePrefix('bench-timeline').replace(/:$/, '');
const workerEnv = {
  BRUTALIST_CLAUDE_BIN: SLEEPY,
  BRUTALIST_MAX_CONCURRENT: CAP,
  BRUTALIST_MAX_CONCURRENT_PER_CRITIC: CAP,
  ...(process.env.WORKER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.WORKER_NODE_OPTIONS } : {}),
};
const config = frontConfig(sandbox, SHARED_REDIS_URL, prefix, { claudeBin: SLEEPY });
const front = new QueueExecution(config);
const queue = new Queue('critic-claude', { connection: new Redis(SHARED_REDIS_URL), prefix });
const stats = new Redis(SHARED_REDIS_URL);
const workers: WorkerProcess[] = [];
try {
  for (const count of WORKER_COUNTS) {
    while (workers.length < count)
      workers.push(await startWorker(sandbox, SHARED_REDIS_URL, prefix, workerEnv));
    // One run first, so the new workers' first spawn is not in the burst.
    await Promise.all(workers.map(() => runQueued(front, 'warm')));
    await queue.clean(0, 10_000, 'completed');
    const before = await commands(stats);
    const t0 = Date.now();
    const answered: number[] = [];
    await Promise.all(
      Array.from({ length: BURST_RUNS }, () =>
        runQueued(front, 'bench').then(() => answered.push(Date.now())),
      ),
    );
    const wall = Date.now() - t0;
    const cmds = (await commands(stats)) - before - 1;
    const jobs = (await queue.getJobs(['completed'], 0, -1)).filter((j) => j.timestamp >= t0);
    const added = jobs.map((j) => j.timestamp - t0);
    const taken = jobs.map((j) => (j.processedOn ?? 0) - t0);
    const finished = jobs.map((j) => (j.finishedOn ?? 0) - t0);
    const inWorker = jobs.map((j) => (j.finishedOn ?? 0) - (j.processedOn ?? 0));
    const waited = jobs.map((j) => (j.processedOn ?? 0) - j.timestamp);
    const lastFinished = Math.max(...finished);
    console.log(`\n${count} worker(s): ${BURST_RUNS} runs in ${wall} ms (${jobs.length} jobs read back)`);
    console.log(`  added (since burst start)   first ${Math.min(...added)} last ${Math.max(...added)} ms`);
    console.log(`  taken                       first ${Math.min(...taken)} last ${Math.max(...taken)} ms`);
    console.log(`  finished                    first ${Math.min(...finished)} last ${lastFinished} ms`);
    console.log(
      `  answered at front           first ${Math.min(...answered) - t0} last ${Math.max(...answered) - t0} ms`,
    );
    console.log(`  in worker (taken→finished)  ${p(inWorker)} ms`);
    console.log(`  waiting (added→taken)       ${p(waited)} ms`);
    console.log(`  redis commands per run      ${(cmds / BURST_RUNS).toFixed(1)}`);
    const running: number[] = [];
    for (let t = 0; t < lastFinished; t += 100) {
      running.push(jobs.filter((j) => (j.processedOn ?? 0) - t0 <= t && (j.finishedOn ?? 0) - t0 > t).length);
    }
    console.log(`  running each 100 ms (of ${count * 4} slots): ${running.join(' ')}`);
  }
} finally {
  await Promise.all(workers.map((w) => stopWorker(w, 'SIGTERM')));
  await queue.close();
  await front.close();
  stats.disconnect();
  await deletePrefix(SHARED_REDIS_URL, prefix);
  sandbox.cleanup();
}
