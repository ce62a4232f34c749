// The per-critic circuit breaker: window rules, half-open probes, open durations, ignored outcomes, events.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { isBrutalistError } from '../../src/errors/index.js';
import { ManualClock } from '../../src/infra/index.js';
import {
  BREAKER_STATE_CHANNEL,
  type BreakerPermit,
  type BreakerPolicy,
  type BreakerTransitionEvent,
  CircuitBreaker,
} from '../../src/resilience/index.js';

const POLICY: BreakerPolicy = {
  windowSize: 10,
  minimumCalls: 5,
  failureRatePct: 50,
  slowCallRatePct: 80,
  slowCallMs: 60_000,
  recoveryTimeoutMs: 30_000,
  maxRecoveryTimeoutMs: 300_000,
  halfOpenMaxCalls: 1,
  resetTimeoutMs: 600_000,
};

function setup(policy: Partial<BreakerPolicy> = {}) {
  const clock = new ManualClock();
  const transitions: BreakerTransitionEvent[] = [];
  const breaker = new CircuitBreaker({
    name: 'claude',
    policy: { ...POLICY, ...policy },
    clock,
    onTransition: (e) => transitions.push(e),
  });
  const deadline = () => clock.now() + 120_000;
  const call = (outcome: 'success' | 'failure' | 'ignored', durationMs = 10) =>
    breaker.acquire(deadline()).release(outcome, durationMs);
  return { clock, breaker, transitions, deadline, call };
}

function openIt(s: ReturnType<typeof setup>): void {
  for (let i = 0; i < 5; i++) s.call('failure');
  expect(s.breaker.state.kind).toBe('open');
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isBrutalistError(err) ? err.code : 'not a BrutalistError';
  }
  return undefined;
}

describe('circuit breaker window', () => {
  it('stays closed below the minimum number of calls, even at 100% failures', () => {
    const s = setup();
    for (let i = 0; i < 4; i++) s.call('failure');
    expect(s.breaker.state.kind).toBe('closed');
    s.call('failure');
    expect(s.breaker.state.kind).toBe('open');
  });

  it('opens at exactly 50% failures and not at 40%', () => {
    const below = setup();
    for (const o of ['success', 'success', 'success', 'failure', 'failure'] as const) below.call(o);
    expect(below.breaker.state.kind).toBe('closed'); // 2/5 = 40%
    const at = setup();
    for (const o of ['success', 'success', 'success', 'failure', 'failure', 'failure'] as const) at.call(o);
    expect(at.breaker.state.kind).toBe('open'); // 3/6 = 50%
  });

  it('judges only the last windowSize calls', () => {
    const s = setup();
    for (let i = 0; i < 10; i++) s.call('success');
    for (let i = 0; i < 4; i++) s.call('failure');
    s.call('success');
    expect(s.breaker.state).toMatchObject({ kind: 'closed' }); // 4 of the last 10
    expect(s.breaker.state.kind === 'closed' && s.breaker.state.samples).toHaveLength(10);
    s.call('failure');
    expect(s.breaker.state.kind).toBe('open'); // 5 of the last 10
  });

  it('opens on slow calls with 0% failures', () => {
    const below = setup();
    for (const ms of [60_000, 60_000, 60_000, 10, 10]) below.call('success', ms);
    expect(below.breaker.state.kind).toBe('closed'); // 3/5 = 60% slow
    const at = setup();
    for (const ms of [60_000, 60_000, 60_000, 60_000, 10]) at.call('success', ms);
    expect(at.breaker.state.kind).toBe('open'); // 4/5 = 80% slow, 0% failed
    expect(at.transitions.map((t) => `${t.from}->${t.to}`)).toEqual(['closed->open']);
  });

  it('leaves the window empty for ignored outcomes', () => {
    const s = setup();
    for (let i = 0; i < 50; i++) s.call('ignored');
    expect(s.breaker.state).toMatchObject({ kind: 'closed', samples: [] });
    expect(s.transitions).toEqual([]);
  });

  it('makes exactly one CLOSED→OPEN transition for 200 concurrent failures', () => {
    const s = setup();
    const permits: BreakerPermit[] = [];
    for (let i = 0; i < 200; i++) permits.push(s.breaker.acquire(s.deadline()));
    for (const p of permits) p.release('failure', 10);
    expect(s.transitions.map((t) => `${t.from}->${t.to}`)).toEqual(['closed->open']);
  });
});

describe('circuit breaker open and half-open', () => {
  it('refuses calls while open with CIRCUIT_OPEN and retryAfterMs', () => {
    const s = setup();
    openIt(s);
    s.clock.advance(10_000);
    try {
      s.breaker.acquire(s.deadline());
      expect.unreachable();
    } catch (err) {
      expect(isBrutalistError(err) && err.code).toBe('CIRCUIT_OPEN');
      expect(isBrutalistError(err) && err.data).toMatchObject({ critic: 'claude', retryAfterMs: 20_000 });
    }
  });

  it('announces half-open when the recovery period is over, with no call needed', () => {
    const s = setup();
    openIt(s);
    s.clock.advance(29_999);
    expect(s.transitions.map((t) => t.to)).toEqual(['open']);
    s.clock.advance(1);
    expect(s.transitions.map((t) => t.to)).toEqual(['open', 'half_open']);
  });

  it('lets exactly one probe through under 5 concurrent calls; the others are refused at once', () => {
    const s = setup();
    openIt(s);
    s.clock.advance(30_000);
    const results = Array.from({ length: 5 }, () => {
      try {
        return s.breaker.acquire(s.deadline());
      } catch (err) {
        return isBrutalistError(err) ? err.code : 'other';
      }
    });
    expect(results.filter((r) => typeof r === 'object')).toHaveLength(1);
    expect(results.filter((r) => r === 'CIRCUIT_OPEN')).toHaveLength(4);
  });

  it('closes with a fresh window after a successful probe', () => {
    const s = setup();
    openIt(s);
    s.clock.advance(30_000);
    s.call('success');
    expect(s.breaker.state).toMatchObject({ kind: 'closed', samples: [] });
  });

  it('returns a hung probe to OPEN at its deadline', () => {
    const s = setup();
    openIt(s);
    s.clock.advance(30_000);
    const probe = s.breaker.acquire(s.clock.now() + 5_000);
    expect(s.breaker.state.kind).toBe('half_open');
    s.clock.advance(4_999);
    expect(s.breaker.state.kind).toBe('half_open');
    s.clock.advance(1);
    expect(s.breaker.state.kind).toBe('open');
    probe.release('success'); // too late: counted as a failure already
    expect(s.breaker.state.kind).toBe('open');
  });

  it('gives an ignored probe its slot back', () => {
    const s = setup();
    openIt(s);
    s.clock.advance(30_000);
    s.breaker.acquire(s.deadline()).release('ignored');
    expect(s.breaker.state.kind).toBe('half_open');
    expect(codeOf(() => s.breaker.acquire(s.deadline()).release('success'))).toBeUndefined();
    expect(s.breaker.state.kind).toBe('closed');
  });

  it('multiplies the open duration by the consecutive opens, capped at the maximum', () => {
    const s = setup();
    openIt(s);
    const durations: number[] = [];
    for (let i = 0; i < 12; i++) {
      const state = s.breaker.state;
      if (state.kind !== 'open') throw new Error('expected open');
      durations.push(state.reopenAt - state.openedAt);
      s.clock.advance(state.reopenAt - s.clock.now());
      s.call('failure'); // the probe fails
    }
    expect(durations.slice(0, 4)).toEqual([30_000, 60_000, 90_000, 120_000]);
    expect(Math.max(...durations)).toBe(300_000);
  });

  it('starts the multiplier again after resetTimeoutMs closed', () => {
    const s = setup();
    openIt(s);
    s.clock.advance(30_000);
    s.call('success');
    openIt(s); // reopened soon after closing: second open in a row
    let state = s.breaker.state;
    expect(state.kind === 'open' && state.reopenAt - state.openedAt).toBe(60_000);
    s.clock.advance(60_000);
    s.call('success');
    s.clock.advance(600_000);
    openIt(s);
    state = s.breaker.state;
    expect(state.kind === 'open' && state.reopenAt - state.openedAt).toBe(30_000);
  });

  it('detects a recovered vendor within one recovery period', () => {
    const s = setup();
    openIt(s);
    s.clock.advance(30_000);
    expect(codeOf(() => s.call('success'))).toBeUndefined();
    expect(s.breaker.state.kind).toBe('closed');
  });
});

describe('circuit breaker state', () => {
  it('is a serializable value that restores the same behaviour', () => {
    const s = setup();
    openIt(s);
    const saved = JSON.parse(JSON.stringify(s.breaker));
    const restored = new CircuitBreaker({
      name: 'claude',
      policy: POLICY,
      clock: s.clock,
      initialState: saved,
    });
    expect(restored.state).toEqual(s.breaker.state);
    expect(codeOf(() => restored.acquire(s.deadline()))).toBe('CIRCUIT_OPEN');
    s.clock.advance(30_000);
    expect(codeOf(() => restored.acquire(s.deadline()).release('success'))).toBeUndefined();
    expect(restored.state.kind).toBe('closed');
  });

  it('saves a half-open breaker as due to probe (its probes do not survive the process)', () => {
    const s = setup();
    openIt(s);
    s.clock.advance(30_000);
    s.breaker.acquire(s.deadline());
    const saved = JSON.parse(JSON.stringify(s.breaker));
    expect(saved.kind).toBe('open');
    const restored = new CircuitBreaker({
      name: 'claude',
      policy: POLICY,
      clock: s.clock,
      initialState: saved,
    });
    expect(codeOf(() => restored.acquire(s.deadline()))).toBeUndefined();
  });

  it('refuses a malformed saved state with CONFIG_INVALID', () => {
    const clock = new ManualClock();
    expect(
      codeOf(() => new CircuitBreaker({ name: 'x', policy: POLICY, clock, initialState: { kind: 'open' } })),
    ).toBe('CONFIG_INVALID');
  });

  it('publishes transitions on the brutalist:breaker:state channel', () => {
    const seen: BreakerTransitionEvent[] = [];
    const onMessage = (message: unknown) => seen.push(message as BreakerTransitionEvent);
    subscribe(BREAKER_STATE_CHANNEL, onMessage);
    try {
      const s = setup();
      openIt(s);
    } finally {
      unsubscribe(BREAKER_STATE_CHANNEL, onMessage);
    }
    expect(seen.filter((e) => e.name === 'claude').map((e) => `${e.from}->${e.to}`)).toContain(
      'closed->open',
    );
    expect(seen[0]?.state.kind).toBe('open');
  });

  it('shows a snapshot with rates and the time left', () => {
    const s = setup();
    s.call('success');
    s.call('failure');
    expect(s.breaker.snapshot()).toMatchObject({
      state: 'closed',
      calls: 2,
      failureRatePct: 50,
      retryAfterMs: 0,
    });
    for (let i = 0; i < 3; i++) s.call('failure');
    s.clock.advance(1_000);
    expect(s.breaker.snapshot()).toMatchObject({ state: 'open', retryAfterMs: 29_000, consecutiveOpens: 1 });
  });

  it('shows a half-open snapshot waiting on its probe until the probe deadline, and with no wait before one is out', () => {
    const s = setup();
    openIt(s);
    s.clock.advance(30_000);
    expect(s.breaker.snapshot()).toMatchObject({ state: 'half_open', retryAfterMs: 0 });
    s.breaker.acquire(s.deadline());
    s.clock.advance(4_000);
    // The probe's deadline was 120 s out when it was let through.
    expect(s.breaker.snapshot()).toMatchObject({ state: 'half_open', retryAfterMs: 116_000 });
  });

  it('restores a saved half-open state with its probes given back, so the next call probes', () => {
    const s = setup();
    openIt(s);
    s.clock.advance(30_000);
    s.breaker.acquire(s.deadline());
    const halfOpen = s.breaker.state;
    expect(halfOpen).toMatchObject({ kind: 'half_open', issued: 1 });
    const restored = new CircuitBreaker({
      name: 'claude',
      policy: POLICY,
      clock: s.clock,
      initialState: halfOpen,
    });
    expect(restored.state).toMatchObject({ kind: 'half_open', issued: 0, successes: 0 });
    expect(restored.acquire(s.deadline()).probe).toBe(true);
  });

  it('stops announcing the end of an open period once closed', () => {
    const s = setup();
    openIt(s);
    expect(s.clock.pendingTimers()).toBe(1);
    s.breaker.close();
    s.breaker.close();
    expect(s.clock.pendingTimers()).toBe(0);
    s.clock.advance(60_000);
    expect(s.transitions.map((e) => e.to)).toEqual(['open']);
  });
});
