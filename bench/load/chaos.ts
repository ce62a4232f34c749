// Chaos: faults the built server must survive, each with a pass criterion and the measured figure. Critic hang,
// crash, SIGTERM-ignoring hang, output spew and a fork bomb (the fake critics), SIGTERM under load, Redis
// stop/blackhole/restart, SQLite disk full and a wall-clock jump. Writes reports/chaos.json; exits 1 when a case
// fails. A case that cannot run on this machine (no root, no tmpfs mount, no libfaketime) is skipped with its reason.
//
//   npm run test:chaos [-- <words>]   (only the cases whose name holds one of the words, e.g. `redis clock`)
import { isAlive, readLog, waitFor } from '../../test/support/harness.js';
import { clockJump } from './chaos-clock.js';
import { forkBomb } from './chaos-forkbomb.js';
import { redisOutage, sqliteFull } from './chaos-state.js';
import {
  type CaseResult,
  CLI_TIMEOUT_MS,
  codesOf,
  KILL_GRACE_MS,
  livingFakes,
  roast,
  type Server,
  SLACK_MS,
  start,
  verdict,
} from './chaos-support.js';
import { sampleProc, writeReport } from './support.js';

async function afterFault(
  server: Server,
  name: string,
  criterion: string,
  fault: { ms: number; code: string },
  limitMs: number,
): Promise<CaseResult> {
  const reaped = await waitFor(() => livingFakes(server).length === 0, 5_000);
  const next = await roast(server, '', `${name} recovery`);
  const measured = {
    answerMs: Math.round(fault.ms),
    code: fault.code,
    orphans: livingFakes(server).length,
    nextCall: next.code,
    nextMs: Math.round(next.ms),
  };
  const checks =
    fault.code !== 'ok' &&
    !fault.code.startsWith('transport:') &&
    fault.ms < limitMs &&
    reaped &&
    next.code === 'ok';
  return verdict(server, name, criterion, checks, measured);
}

/** One fault on a fresh server (an earlier fault must not open the breaker for the next case). */
async function faultCase(
  name: string,
  criterion: string,
  knobs: string,
  limitMs: number,
): Promise<CaseResult> {
  const server = await start();
  try {
    const rssBefore = sampleProc(server.pid).rssBytes;
    const fault = await roast(server, knobs, name);
    const grewMiB = (sampleProc(server.pid).rssBytes - rssBefore) / 2 ** 20;
    const result = await afterFault(server, name, criterion, fault, limitMs);
    return { ...result, measured: { ...result.measured, rssGrowthMiB: Math.round(grewMiB) } };
  } finally {
    await server.close();
  }
}

async function faultCases(): Promise<CaseResult[]> {
  const limit = CLI_TIMEOUT_MS + KILL_GRACE_MS + SLACK_MS;
  const onTime = `typed error within cliTimeoutMs + killGraceMs + ${SLACK_MS} ms slack, no orphan, next call ok`;
  return [
    await faultCase('critic hang', onTime, 'hang=1', limit),
    await faultCase(
      'critic hangs ignoring SIGTERM',
      `SIGKILLed after the grace: ${onTime}`,
      'hang=1 ignore_sigterm=1',
      limit,
    ),
    await faultCase(
      'critic crash mid-output',
      'typed error at once, no orphan, next call ok',
      'crash_after_bytes=40',
      limit,
    ),
    await faultCase(
      'critic output spew (200 MB)',
      'stopped at maxOutputBytes (truncated answer or typed error) on time, no orphan, next call ok',
      'spew_bytes=200000000',
      limit,
    ),
  ];
}

/** 20 slow critiques in flight, then SIGTERM: every call settles, the server exits, no critic outlives it. */
async function sigtermUnderLoad(): Promise<CaseResult> {
  const server = await start();
  const calls = Array.from({ length: 20 }, (_, i) => roast(server, 'delay_ms=3000', `term ${i}`));
  const running = await waitFor(() => readLog(server.sandbox.log).length >= 4, 10_000);
  const sent = performance.now();
  process.kill(server.pid, 'SIGTERM');
  const exited = await waitFor(() => !isAlive(server.pid), 20_000);
  const exitMs = performance.now() - sent;
  const settled = await Promise.race([
    Promise.all(calls).then(() => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), 10_000)),
  ]);
  const results = await Promise.all(
    calls.map((c) => Promise.race([c, Promise.resolve({ code: 'unsettled' })])),
  );
  const orphans = await waitFor(() => livingFakes(server).length === 0, 5_000);
  const spawned = readLog(server.sandbox.log).length;
  const left = livingFakes(server).length;
  const byCode = codesOf(results.map((r) => ({ ms: 0, result: undefined, ...r })));
  await server.close().catch(() => {});
  return {
    name: 'SIGTERM under load (20 in flight)',
    criterion:
      'server exits, every call settles (answered or the connection closes: none hangs), no critic outlives it',
    pass: running && exited && settled && orphans,
    measured: {
      exitMs: Math.round(exitMs),
      outcomes: byCode,
      spawned,
      orphans: left,
    },
  };
}

/** Every case, by name; each starts its own server (an earlier fault must not open the breaker for the next). */
const CASES: readonly (readonly [string, () => Promise<CaseResult | CaseResult[]>])[] = [
  ['critic faults (hang, SIGTERM-ignoring hang, crash, spew)', faultCases],
  ['fork bomb', forkBomb],
  ['SIGTERM under load', sigtermUnderLoad],
  ['redis stop blackhole restart', redisOutage],
  ['sqlite disk full', sqliteFull],
  ['clock jump', clockJump],
];

const words = process.argv.slice(2).map((w) => w.toLowerCase());
const results: CaseResult[] = [];
for (const [name, run] of CASES) {
  if (words.length > 0 && !words.some((w) => name.toLowerCase().includes(w))) continue;
  results.push(...[await run()].flat());
}
for (const r of results) {
  const verdict = r.skipped ? `SKIP (${r.skipped})` : r.pass ? 'PASS' : 'FAIL';
  console.log(`${verdict} ${r.name}: ${JSON.stringify(r.measured)}`);
}
console.log(`results: ${writeReport('chaos', { results })}`);
process.exit(results.every((r) => r.pass) ? 0 : 1);
