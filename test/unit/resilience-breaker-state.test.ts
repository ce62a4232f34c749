/** Breaker state restored from storage is checked field by field; half-open probes are bounded and give slots back. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  acquire,
  type BreakerPolicy,
  type BreakerState,
  INITIAL_STATE,
  isBreakerState,
  release,
  settle,
  wouldReject,
} from '../../src/resilience/breaker-state.js';

const POLICY: BreakerPolicy = {
  windowSize: 4,
  minimumCalls: 2,
  failureRatePct: 50,
  slowCallRatePct: 100,
  slowCallMs: 1_000,
  recoveryTimeoutMs: 100,
  maxRecoveryTimeoutMs: 400,
  halfOpenMaxCalls: 2,
  resetTimeoutMs: 10_000,
};

const VALID: readonly BreakerState[] = [
  INITIAL_STATE,
  {
    kind: 'closed',
    epoch: 3,
    samples: ['ok', 'slow', 'fail', 'slow_fail'],
    consecutiveOpens: 1,
    closedAt: 50,
  },
  { kind: 'open', epoch: 1, openedAt: 10, reopenAt: 110, consecutiveOpens: 1 },
  { kind: 'half_open', epoch: 2, issued: 1, successes: 0, probeDeadlineAt: 500, consecutiveOpens: 1 },
];

describe('isBreakerState', () => {
  it('accepts every well-formed state, also after a JSON round trip', () => {
    for (const state of VALID) {
      expect(isBreakerState(state)).toBe(true);
      expect(isBreakerState(JSON.parse(JSON.stringify(state)))).toBe(true);
    }
  });

  it.each([
    ['null', null],
    ['a string', 'closed'],
    ['an unknown kind', { ...INITIAL_STATE, kind: 'ajar' }],
    ['a negative epoch', { ...INITIAL_STATE, epoch: -1 }],
    ['a fractional consecutiveOpens', { ...INITIAL_STATE, consecutiveOpens: 0.5 }],
    ['samples that are not a list', { ...INITIAL_STATE, samples: 'ok' }],
    ['an unknown sample', { ...INITIAL_STATE, samples: ['ok', 'meh'] }],
    ['a closedAt that is a string', { ...INITIAL_STATE, closedAt: '5' }],
    ['an open state without reopenAt', { kind: 'open', epoch: 1, openedAt: 1, consecutiveOpens: 1 }],
    [
      'an open state with a NaN openedAt',
      { kind: 'open', epoch: 1, openedAt: Number.NaN, reopenAt: 2, consecutiveOpens: 1 },
    ],
    [
      'a half-open state without successes',
      { kind: 'half_open', epoch: 1, issued: 0, probeDeadlineAt: 0, consecutiveOpens: 1 },
    ],
    [
      'a half-open state with negative issued',
      { kind: 'half_open', epoch: 1, issued: -1, successes: 0, probeDeadlineAt: 0, consecutiveOpens: 1 },
    ],
  ])('refuses %s', (_, value) => {
    expect(isBreakerState(value)).toBe(false);
  });

  it('refuses any well-formed state with one field replaced by a value of another type', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...VALID),
        fc.nat(10),
        fc.constantFrom(null, 'x', -3, 1.5, [], {}),
        (state, at, bad) => {
          const key = Object.keys(state)[at % Object.keys(state).length]!;
          // Still well formed: a closedAt of null (never opened) and an empty sample window.
          fc.pre(!(key === 'closedAt' && bad === null) && !(key === 'samples' && Array.isArray(bad)));
          expect(isBreakerState({ ...state, [key]: bad })).toBe(false);
        },
      ),
    );
  });
});

describe('half-open probes', () => {
  const halfOpen: BreakerState = {
    kind: 'half_open',
    epoch: 2,
    issued: 0,
    successes: 0,
    probeDeadlineAt: 0,
    consecutiveOpens: 1,
  };

  it('hands out halfOpenMaxCalls probes, refuses the next until the latest probe deadline, and says so in wouldReject', () => {
    const first = acquire(POLICY, halfOpen, 200, 700);
    const second = acquire(POLICY, first.state, 210, 900);
    expect(first.ticket).toEqual({ epoch: 2, probe: true });
    expect(second.ticket).toEqual({ epoch: 2, probe: true });
    expect(wouldReject(POLICY, first.state, 205)).toBe(false);
    expect(wouldReject(POLICY, second.state, 220)).toBe(true);
    expect(acquire(POLICY, second.state, 220, 1_000)).toEqual({
      state: second.state,
      ticket: null,
      retryAfterMs: 680,
    });
  });

  it('gives an ignored probe its slot back, closes after enough successes, and ignores stale tickets', () => {
    const { state, ticket } = acquire(POLICY, halfOpen, 200, 700);
    const back = release(POLICY, state, ticket!, 'ignored', 5, 210);
    expect(back).toMatchObject({ kind: 'half_open', issued: 0 });
    const one = release(POLICY, state, ticket!, 'success', 5, 210);
    expect(one).toMatchObject({ kind: 'half_open', successes: 1 });
    const closed = release(POLICY, one, ticket!, 'success', 5, 220);
    expect(closed).toMatchObject({ kind: 'closed', epoch: 3, samples: [], closedAt: 220 });
    expect(release(POLICY, closed, ticket!, 'failure', 5, 230)).toBe(closed);
  });

  it('reopens on a slow probe even when it succeeded, for longer the more opens in a row', () => {
    const { state, ticket } = acquire(POLICY, halfOpen, 200, 700);
    const reopened = release(POLICY, state, ticket!, 'success', 1_500, 210);
    expect(reopened).toMatchObject({ kind: 'open', consecutiveOpens: 2, openedAt: 210, reopenAt: 410 });
  });
});

describe('settle under a wall clock that steps', () => {
  const open: BreakerState = {
    kind: 'open',
    epoch: 1,
    openedAt: 10_000,
    reopenAt: 10_100,
    consecutiveOpens: 1,
  };

  it('stays open until reopenAt while the clock runs forward from the open', () => {
    expect(settle(open, 10_000)).toBe(open);
    expect(settle(open, 10_099)).toBe(open);
    expect(settle(open, 10_100)).toMatchObject({
      kind: 'half_open',
      epoch: 2,
      issued: 0,
      probeDeadlineAt: 10_100,
    });
  });

  it('probes at once when the clock stepped back before the moment it opened', () => {
    expect(settle(open, 9_999)).toMatchObject({
      kind: 'half_open',
      epoch: 2,
      issued: 0,
      probeDeadlineAt: 9_999,
    });
    expect(settle(open, 10_000 - 2 * 3_600_000).kind).toBe('half_open');
    expect(wouldReject(POLICY, open, 9_999)).toBe(false);
    expect(acquire(POLICY, open, 9_999, 20_000).ticket).toEqual({ epoch: 2, probe: true });
  });
});
