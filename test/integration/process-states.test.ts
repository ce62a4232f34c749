// The runner's phases, driven by a manual clock: each ends by SIGKILLing what ignored SIGTERM, and leaving a
// phase clears the timers it armed (the run leaves no timer behind, whichever phase it ended from).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/infra/index.js';
import { type RunResult, runProcess } from '../../src/process/index.js';
import { eventually, isGoneOrZombie, killQuietly, nodeSpec } from '../fixtures/proc/helpers.js';

let tmp: string;
const leftovers: number[] = [];
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'brutalist-states-'));
});
afterEach(() => {
  leftovers.splice(0).forEach(killQuietly);
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** Far beyond any advance below: only the timers under test can fire. */
const NEVER_MS = 1_000_000_000;
const GRACE_MS = 1_000;

/**
 * Advances the clock one grace period at a time until the run settles. An advance made before the runner saw
 * the event that arms the timer under test fires nothing (the watchdogs are NEVER_MS away), so this needs no
 * guess about when the event arrives.
 */
async function advanceUntilSettled(clock: ManualClock, run: Promise<RunResult>): Promise<RunResult> {
  let result: RunResult | undefined;
  void run.then((r) => {
    result = r;
  });
  for (let i = 0; i < 500 && result === undefined; i++) {
    clock.advance(GRACE_MS);
    await new Promise((r) => setTimeout(r, 10));
  }
  return run;
}

function readPid(file: string): number {
  const pid = Number(readFileSync(file, 'utf8'));
  leftovers.push(pid);
  return pid;
}

const spec = (script: string, args: string[], clock: ManualClock, signal?: AbortSignal) =>
  nodeSpec(script, args, {
    clock,
    signal,
    timeoutMs: NEVER_MS,
    stallTimeoutMs: NEVER_MS,
    killGraceMs: GRACE_MS,
  });

describe('runProcess phases', () => {
  it('stopping: a leader that ignores SIGTERM is SIGKILLed after the grace, and no timer is left', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const run = runProcess({
      ...spec('hang.mjs', ['ignore-term'], clock, controller.signal),
      onStdout: (chunk) => {
        if (chunk.toString().includes('ready')) controller.abort();
      },
    });
    const r = await advanceUntilSettled(clock, run);
    expect(r.exit).toEqual({ kind: 'cancelled' });
    expect(isGoneOrZombie(r.pid!)).toBe(true);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('draining: a SIGTERM-proof grandchild holding stdout is SIGKILLed, the output kept, no timer left', async () => {
    const clock = new ManualClock();
    const pidFile = join(tmp, 'drain.pid');
    const r = await advanceUntilSettled(
      clock,
      runProcess(spec('grandchild.mjs', [pidFile, 'exit', 'hold', 'ignore'], clock)),
    );
    expect(r.exit).toEqual({ kind: 'ok' });
    expect(r.stdout.toString()).toBe('ready\n');
    const gc = readPid(pidFile);
    expect(await eventually(() => isGoneOrZombie(gc))).toBe(true);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('awaiting-group: a cancelled run waits for its SIGTERM-proof grandchild, then leaves no timer', async () => {
    const clock = new ManualClock();
    const pidFile = join(tmp, 'await.pid');
    const controller = new AbortController();
    const run = runProcess({
      ...spec('grandchild.mjs', [pidFile, 'stay', 'none', 'ignore'], clock, controller.signal),
      onStdout: (chunk) => {
        if (chunk.toString().includes('ready')) controller.abort();
      },
    });
    const r = await advanceUntilSettled(clock, run);
    expect(r.exit).toEqual({ kind: 'cancelled' });
    const gc = readPid(pidFile);
    expect(await eventually(() => isGoneOrZombie(gc))).toBe(true);
    expect(clock.pendingTimers()).toBe(0);
  });
});
