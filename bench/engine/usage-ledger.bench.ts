// What booking one critic run costs: UsageLedger.add (lock, read, merge, write) on a SQLite state file, against a
// bare putResult of the same record in the same process (the baseline). Prints µs per run and the ratio.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../../src/engine/config.js';
import { NO_USAGE, UsageLedger } from '../../src/engine/index.js';
import { systemClock } from '../../src/infra/index.js';
import { createStateStore } from '../../src/state/index.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 300);
const dir = mkdtempSync(join(tmpdir(), 'bench-usage-'));
const config = resolveConfig({ overrides: { stateStore: 'sqlite', stateDir: dir } });
const store = createStateStore(config, { env: {}, clock: systemClock, log: () => {} });
const ledger = new UsageLedger(store, {
  retentionDays: 90,
  maxCallersPerDay: 10_000,
  lockTtlMs: 5000,
  lockPollMs: 10,
  clock: systemClock,
});
const run = { ...NO_USAGE, runs: 1, inputTokens: 10, outputTokens: 40, countedTokens: 40 };
const record = JSON.stringify({ v: 1, callers: { alice: run, bob: run } });

async function time(fn: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 20; i++) await fn(i); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < RUNS; i++) await fn(i);
  return Number(process.hrtime.bigint() - start) / 1e3 / RUNS;
}

const baseline = await time((i) =>
  store.putResult(
    { contextId: `bench:${i % 10}`, owner: '<bench>', text: record, meta: {}, createdAt: 0 },
    60_000,
  ),
);
const booked = await time((i) => ledger.add(i % 2 ? 'alice' : 'bob', run));
console.log(
  `putResult (baseline): ${baseline.toFixed(0)} µs; ledger.add: ${booked.toFixed(0)} µs per run; ratio ${(booked / baseline).toFixed(2)}x`,
);
await store.close();
rmSync(dir, { recursive: true, force: true });
