// The guarded critic runner with real fake-critic subprocesses: breakers, admission, deadlines, retries, shedding.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CriticAvailability, runCritic } from '../../src/critics/index.js';
import type { ConfigInput, CriticName } from '../../src/engine/config.js';
import { CriticGuard, type GuardedCall } from '../../src/engine/guarded-runner.js';
import { type BrutalistError, isBrutalistError } from '../../src/errors/index.js';
import { systemClock } from '../../src/infra/index.js';
import { type RetryEvent, retryChannel } from '../../src/resilience/events.js';
import type { PressureReading } from '../../src/resilience/index.js';
import { fakeConfig, makeSandbox, readLog, waitUntil } from '../support/harness.js';

const CALM: PressureReading = { eventLoopDelayMs: 0, heapUsedPct: 10, children: 0 };

let box: ReturnType<typeof makeSandbox>;
let guards: CriticGuard[] = [];

beforeEach(() => {
  box = makeSandbox('brutalist-critics-');
});

afterEach(() => {
  for (const g of guards) g.close();
  guards = [];
  box.cleanup();
});

function setup(overrides: ConfigInput = {}, pressure: () => PressureReading = () => CALM) {
  const config = fakeConfig({ killGraceMs: 200, cliTimeoutMs: 20_000, ...overrides });
  const env = { PATH: process.env.PATH, HOME: box.home, FAKE_CLI_LOG: box.log };
  const availability = new CriticAvailability({ config, env });
  const guard = new CriticGuard({
    config,
    clock: systemClock,
    pressure,
    random: () => 0.5,
    runner: (critic, request, options) => runCritic({ config, availability, env }, critic, request, options),
  });
  guards.push(guard);
  const call = (extra: Partial<GuardedCall> = {}): GuardedCall => ({
    ...guard.callFor(undefined, 'tester', undefined),
    ...extra,
  });
  const run = (critic: CriticName, prompt: string, c: GuardedCall = call(), signal?: AbortSignal) =>
    guard.runner(c)(
      critic,
      { prompt },
      { cwd: box.target, signal: signal ?? new AbortController().signal, onStdout: () => {} },
    );
  const spawns = () => readLog(box.log).filter((l) => !l.argv.includes('--version')).length;
  return { config, guard, call, run, spawns };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return isBrutalistError(err) ? err.code : `non-brutalist: ${String(err)}`;
  }
}

async function errorOf(p: Promise<unknown>): Promise<BrutalistError> {
  try {
    await p;
  } catch (err) {
    if (isBrutalistError(err)) return err;
  }
  throw new Error('expected a BrutalistError');
}

const FAIL = 'critique\n@@fake error=server\n';

describe('circuit breaker with real critics', () => {
  it('spawns nothing while the breaker is open', async () => {
    const { run, spawns, guard } = setup();
    for (let i = 0; i < 5; i++) expect(await codeOf(run('claude', FAIL))).toBe('CLI_FAILED');
    expect(guard.breakers.claude.state.kind).toBe('open');
    const before = spawns();
    const codes = await Promise.all(Array.from({ length: 10 }, () => codeOf(run('claude', 'fine'))));
    expect(codes).toEqual(Array(10).fill('CIRCUIT_OPEN'));
    expect(spawns()).toBe(before);
  });

  it('lets exactly one half-open probe spawn under 5 concurrent calls, then closes', async () => {
    const { run, spawns, guard } = setup({ breakerRecoveryTimeoutMs: 100 });
    for (let i = 0; i < 5; i++) await codeOf(run('claude', FAIL));
    await waitUntil(() => guard.breakers.claude.state.kind === 'half_open', 5_000);
    const before = spawns();
    const codes = await Promise.all(
      Array.from({ length: 5 }, () => codeOf(run('claude', 'probe\n@@fake delay_ms=200\n'))),
    );
    expect(codes.filter((c) => c === 'ok')).toHaveLength(1);
    expect(codes.filter((c) => c === 'CIRCUIT_OPEN')).toHaveLength(4);
    expect(spawns() - before).toBe(1);
    expect(guard.breakers.claude.state.kind).toBe('closed');
  });

  it('returns a hung probe to OPEN at the request deadline', async () => {
    const { run, guard, call } = setup({ breakerRecoveryTimeoutMs: 100 });
    for (let i = 0; i < 5; i++) await codeOf(run('claude', FAIL));
    await waitUntil(() => guard.breakers.claude.state.kind === 'half_open', 5_000);
    const deadline = call({ deadlineAt: systemClock.now() + 400 });
    const err = await errorOf(run('claude', 'probe\n@@fake hang=1\n', deadline));
    expect(err.code).toBe('DEADLINE_EXCEEDED');
    expect(err.data.phase).toBe('running');
    expect(guard.breakers.claude.state.kind).toBe('open');
    expect(guard.breakers.claude.state.consecutiveOpens).toBe(2);
  });

  it('isolates critics: claude hanging, codex 20 of 20 ok', async () => {
    const { run, spawns } = setup({ maxConcurrent: 4, maxConcurrentPerCritic: 2 });
    const controller = new AbortController();
    const hung = Array.from({ length: 6 }, () =>
      codeOf(run('claude', 'x\n@@fake hang=1\n', undefined, controller.signal)),
    );
    await waitUntil(() => spawns() >= 2, 5_000);
    const codex = await Promise.all(Array.from({ length: 20 }, (_, i) => codeOf(run('codex', `idea ${i}`))));
    expect(codex).toEqual(Array(20).fill('ok'));
    controller.abort();
    expect(await Promise.all(hung)).toEqual(Array(6).fill('CANCELLED'));
  });

  it('does not count ignored outcomes: auth failures leave the window empty', async () => {
    const { run, guard } = setup();
    for (let i = 0; i < 6; i++)
      expect(await codeOf(run('claude', 'x\n@@fake error=auth\n'))).toBe('AUTH_REQUIRED');
    expect(guard.breakers.claude.state).toMatchObject({ kind: 'closed', samples: [] });
  });
});

describe('admission with real critics', () => {
  it('never spawns a waiter cancelled while queued', async () => {
    const { run, spawns } = setup({ maxConcurrent: 1 });
    const first = run('claude', 'slow\n@@fake delay_ms=400\n');
    const controller = new AbortController();
    const queued = run('claude', 'queued', undefined, controller.signal);
    controller.abort();
    expect(await codeOf(queued)).toBe('CANCELLED');
    expect(await codeOf(first)).toBe('ok');
    expect(spawns()).toBe(1);
  });

  it('never spawns work whose deadline passed while it waited', async () => {
    const { run, spawns, call } = setup({ maxConcurrent: 1 });
    // The first run holds the only slot until the second one's deadline has passed, however slow the machine.
    const release = join(box.dir, 'release');
    const first = run('claude', `slow\n@@fake wait_file=${release}\n`);
    await waitUntil(() => spawns() === 1);
    const late = run('claude', 'queued', call({ deadlineAt: systemClock.now() + 150 }));
    expect(await codeOf(late)).toBe('DEADLINE_EXCEEDED');
    writeFileSync(release, '');
    expect(await codeOf(first)).toBe('ok');
    expect(spawns()).toBe(1);
  });

  it('sheds batch work with OVERLOADED under pressure while interactive work runs', async () => {
    const { run, spawns, guard } = setup({}, () => ({ ...CALM, children: 1_000 }));
    const batch = guard.callFor('batch', 'tester', undefined);
    const interactive = guard.callFor('interactive', 'tester', undefined);
    expect(await codeOf(run('claude', 'x', batch))).toBe('OVERLOADED');
    expect(spawns()).toBe(0);
    expect(await codeOf(run('claude', 'x', interactive))).toBe('ok');
  });
});

describe('retries with real critics', () => {
  it('retries a crash before any output, at most 3 attempts, each retry published for metrics', async () => {
    const { run, spawns } = setup({ retryBaseDelayMs: 1, retryMaxDelayMs: 5 });
    const retries: RetryEvent[] = [];
    const unsubscribe = retryChannel.subscribe((e) => retries.push(e));
    try {
      expect(await codeOf(run('codex', 'x\n@@fake crash_after_bytes=0\n'))).toBe('CLI_KILLED');
    } finally {
      unsubscribe();
    }
    expect(spawns()).toBe(3);
    expect(retries.map((r) => [r.key, r.code, r.attempt])).toEqual([
      ['codex', 'CLI_KILLED', 2],
      ['codex', 'CLI_KILLED', 3],
    ]);
  });

  it('never retries a failure after output began', async () => {
    const { run, spawns } = setup({ retryBaseDelayMs: 1, retryMaxDelayMs: 5 });
    expect(await codeOf(run('codex', 'x\n@@fake crash_after_bytes=50\n'))).toBe('CLI_KILLED');
    expect(spawns()).toBe(1);
  });

  it('keeps a 100%-failing critic within the retry budget: at most 110 spawns for 100 requests', async () => {
    // A window the breaker never fills, so only the budget bounds the retries.
    const { run, spawns } = setup({
      // 25 fakes starting at once can be slow to flush: give their pipes the default drain time.
      killGraceMs: 5_000,
      retryBaseDelayMs: 1,
      retryMaxDelayMs: 5,
      breakerWindowSize: 1_000,
      breakerMinimumCalls: 1_000,
      maxConcurrent: 25,
      maxConcurrentPerCritic: 25,
      maxQueueSize: 100,
    });
    const codes = await Promise.all(
      Array.from({ length: 100 }, (_, i) => codeOf(run('claude', `x ${i}\n@@fake error=rate_limit\n`))),
    );
    expect(codes).toEqual(Array(100).fill('RATE_LIMITED'));
    expect(spawns()).toBeGreaterThan(100);
    expect(spawns()).toBeLessThanOrEqual(110);
  });
});
