// Chaos of time: the server's wall clock stepped forward and back (as an NTP step or a VM resume does) with
// libfaketime preloaded into the server alone (FAKETIME_TIMESTAMP_FILE, re-read on every call; the monotonic clock
// is left alone, so timers keep their real pace). Skipped with the reason when libfaketime is not installed
// (Debian: `apt-get install faketime`).
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeSandbox } from '../../test/support/harness.js';
import { type Call, type CaseResult, roast, skipped, start, verdict } from './chaos-support.js';

const LIBFAKETIME = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/faketime/libfaketime.so.1',
];
const RECOVERY_TIMEOUT_MS = 2_000;
/** How long after its open period an open breaker may take to let a probe through. */
const RECOVERY_SLACK_MS = 5_000;
const JUMP = '2h';

/** Roasts pinned to claude every 250 ms until one is ok or `limitMs` passes; the time to the first ok. */
async function untilOk(
  server: Awaited<ReturnType<typeof start>>,
  limitMs: number,
): Promise<number | undefined> {
  const started = performance.now();
  while (performance.now() - started < limitMs) {
    if ((await roast(server, '', `clock probe ${performance.now()}`, { clis: ['claude'] })).code === 'ok') {
      return Math.round(performance.now() - started);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return undefined;
}

export async function clockJump(): Promise<CaseResult> {
  const name = 'wall-clock jump (+2 h, then back)';
  const criterion = `critiques keep being answered ok after the wall clock steps ${JUMP} forward and back; an open breaker whose clock stepped back still probes within its recovery time (${RECOVERY_TIMEOUT_MS} ms) + ${RECOVERY_SLACK_MS} ms`;
  const lib = LIBFAKETIME.find((p) => existsSync(p));
  if (!lib) return skipped(name, criterion, 'libfaketime is not installed (Debian package faketime)');
  const sandbox = makeSandbox('brutalist-chaos-clock-');
  const offsetFile = join(sandbox.dir, 'faketime-offset');
  // The server reads the file on each clock read: it must exist before the server starts. No offset at first.
  writeFileSync(offsetFile, '+0\n');
  const server = await start(
    {
      LD_PRELOAD: lib,
      FAKETIME_NO_CACHE: '1',
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
      FAKETIME_TIMESTAMP_FILE: offsetFile,
      BRUTALIST_BREAKER_MINIMUM_CALLS: '2',
      BRUTALIST_BREAKER_WINDOW_SIZE: '2',
      BRUTALIST_BREAKER_RECOVERY_TIMEOUT_MS: String(RECOVERY_TIMEOUT_MS),
    },
    sandbox,
  ).catch((err: Error) => err);
  if (server instanceof Error) {
    sandbox.cleanup();
    return { name, criterion, pass: false, measured: { start: server.message } };
  }
  try {
    const step = (offset: string) => writeFileSync(offsetFile, `${offset}\n`);
    const baseline = await roast(server, '', 'clock baseline', { clis: ['claude'] });
    step(`+${JUMP}`);
    const forward = await roast(server, '', 'clock forward', { clis: ['claude'] });
    step('+0');
    const back = await roast(server, '', 'clock back', { clis: ['claude'] });
    const failures: Call[] = [];
    for (let i = 0; i < 4 && failures.at(-1)?.code !== 'CIRCUIT_OPEN'; i++) {
      failures.push(await roast(server, 'exit_code=1', `clock fail ${i}`, { clis: ['claude'] }));
    }
    const opened = failures.at(-1)?.code === 'CIRCUIT_OPEN';
    step(`-${JUMP}`);
    const recoveredMs = await untilOk(server, RECOVERY_TIMEOUT_MS + RECOVERY_SLACK_MS);
    const checks =
      [baseline, forward, back].every((c) => c.code === 'ok') && opened && recoveredMs !== undefined;
    return verdict(server, name, criterion, checks, {
      baseline: baseline.code,
      afterForwardJump: forward.code,
      afterBackJump: back.code,
      toOpenBreaker: failures.map((f) => f.code),
      breakerProbeAfterBackJumpMs: recoveredMs ?? `> ${RECOVERY_TIMEOUT_MS + RECOVERY_SLACK_MS}`,
    });
  } finally {
    await server.close();
  }
}
