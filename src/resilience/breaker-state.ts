/** The circuit breaker as pure data: a serializable state union and the transition functions over it. */

/** One call recorded in the count-based window: its result and whether it was slow. */
export type Sample = 'ok' | 'slow' | 'fail' | 'slow_fail';

/**
 * Every field is plain JSON, so a state can be shown, logged, stored and restored as is. `epoch` grows by
 * one on every transition: a permit from an older epoch is stale and its outcome is not counted.
 */
export type BreakerState =
  | {
      readonly kind: 'closed';
      readonly epoch: number;
      /** Oldest first, at most `windowSize`. */
      readonly samples: readonly Sample[];
      /** Opens in a row so far (the open-duration multiplier); reset after `resetTimeoutMs` closed. */
      readonly consecutiveOpens: number;
      /** When the breaker last closed after a probe; null if it never opened. */
      readonly closedAt: number | null;
    }
  | {
      readonly kind: 'open';
      readonly epoch: number;
      readonly openedAt: number;
      /** When the next call may probe. */
      readonly reopenAt: number;
      readonly consecutiveOpens: number;
    }
  | {
      readonly kind: 'half_open';
      readonly epoch: number;
      /** Probes handed out in this half-open period (ignored outcomes give theirs back). */
      readonly issued: number;
      readonly successes: number;
      /** The latest deadline among the probes in flight: no probe outlives it. */
      readonly probeDeadlineAt: number;
      readonly consecutiveOpens: number;
    };

export type BreakerKind = BreakerState['kind'];

export interface BreakerPolicy {
  readonly windowSize: number;
  readonly minimumCalls: number;
  readonly failureRatePct: number;
  readonly slowCallRatePct: number;
  readonly slowCallMs: number;
  readonly recoveryTimeoutMs: number;
  readonly maxRecoveryTimeoutMs: number;
  readonly halfOpenMaxCalls: number;
  readonly resetTimeoutMs: number;
}

/** What a finished call did, as the breaker sees it. `ignored` leaves the window untouched. */
export type CallOutcome = 'success' | 'failure' | 'ignored';

/** Proof that a call was let through, tied to the epoch it was issued in. */
export interface PermitTicket {
  readonly epoch: number;
  readonly probe: boolean;
}

export const INITIAL_STATE: BreakerState = {
  kind: 'closed',
  epoch: 0,
  samples: [],
  consecutiveOpens: 0,
  closedAt: null,
};

/** Open duration for the n-th open in a row: base × n, capped. */
export function openDurationMs(policy: BreakerPolicy, consecutiveOpens: number): number {
  return Math.min(policy.recoveryTimeoutMs * Math.max(1, consecutiveOpens), policy.maxRecoveryTimeoutMs);
}

/** Failures and slow calls in a window, as counts. */
export function windowStats(samples: readonly Sample[]): { calls: number; failures: number; slow: number } {
  let failures = 0;
  let slow = 0;
  for (const s of samples) {
    if (s === 'fail' || s === 'slow_fail') failures++;
    if (s === 'slow' || s === 'slow_fail') slow++;
  }
  return { calls: samples.length, failures, slow };
}

/** True when the window holds enough calls and either rate reaches its threshold (integer maths: no rounding). */
export function shouldOpen(policy: BreakerPolicy, samples: readonly Sample[]): boolean {
  const { calls, failures, slow } = windowStats(samples);
  if (calls < policy.minimumCalls) return false;
  return failures * 100 >= policy.failureRatePct * calls || slow * 100 >= policy.slowCallRatePct * calls;
}

function open(policy: BreakerPolicy, from: BreakerState, now: number): BreakerState {
  const longClosed =
    from.kind === 'closed' && (from.closedAt === null || now - from.closedAt >= policy.resetTimeoutMs);
  const consecutiveOpens = longClosed ? 1 : from.consecutiveOpens + 1;
  return {
    kind: 'open',
    epoch: from.epoch + 1,
    openedAt: now,
    reopenAt: now + openDurationMs(policy, consecutiveOpens),
    consecutiveOpens,
  };
}

/**
 * Moves an open breaker whose open period is over to half-open; any other state is returned as is. A wall clock
 * stepped back past the moment the breaker opened (an NTP step, a VM resume) leaves the period unmeasurable: probe
 * now rather than stay open for as long as the step (found by the clock-jump chaos case, bench/load/chaos-clock.ts).
 */
export function settle(state: BreakerState, now: number): BreakerState {
  if (state.kind !== 'open' || (now < state.reopenAt && now >= state.openedAt)) return state;
  return {
    kind: 'half_open',
    epoch: state.epoch + 1,
    issued: 0,
    successes: 0,
    probeDeadlineAt: now,
    consecutiveOpens: state.consecutiveOpens,
  };
}

export type AcquireResult =
  | { readonly state: BreakerState; readonly ticket: PermitTicket }
  | { readonly state: BreakerState; readonly ticket: null; readonly retryAfterMs: number };

/**
 * Asks to let one call through at `now`. Closed: yes. Open: no, until `reopenAt`. Half-open: yes for up to
 * `halfOpenMaxCalls` probes, each bounded by `deadlineAt`; extra calls are refused at once, never queued.
 */
export function acquire(
  policy: BreakerPolicy,
  current: BreakerState,
  now: number,
  deadlineAt: number,
): AcquireResult {
  const state = settle(current, now);
  switch (state.kind) {
    case 'closed':
      return { state, ticket: { epoch: state.epoch, probe: false } };
    case 'open':
      return { state, ticket: null, retryAfterMs: Math.max(1, state.reopenAt - now) };
    case 'half_open': {
      if (state.issued >= policy.halfOpenMaxCalls) {
        return { state, ticket: null, retryAfterMs: Math.max(1, state.probeDeadlineAt - now) };
      }
      const next: BreakerState = {
        ...state,
        issued: state.issued + 1,
        probeDeadlineAt: Math.max(state.probeDeadlineAt, deadlineAt),
      };
      return { state: next, ticket: { epoch: state.epoch, probe: true } };
    }
  }
}

/** Whether `acquire` would refuse a call at `now` (no side effects). */
export function wouldReject(policy: BreakerPolicy, current: BreakerState, now: number): boolean {
  const state = settle(current, now);
  return state.kind === 'open' || (state.kind === 'half_open' && state.issued >= policy.halfOpenMaxCalls);
}

/**
 * Records the outcome of a call let through by `ticket`. Stale tickets (issued before the last transition)
 * and ignored outcomes change nothing, except that an ignored probe gives its slot back.
 */
export function release(
  policy: BreakerPolicy,
  current: BreakerState,
  ticket: PermitTicket,
  outcome: CallOutcome,
  durationMs: number,
  now: number,
): BreakerState {
  const state = settle(current, now);
  if (ticket.epoch !== state.epoch) return state;
  const slow = durationMs >= policy.slowCallMs;
  if (state.kind === 'closed') {
    if (outcome === 'ignored') return state;
    const sample: Sample =
      outcome === 'failure' ? (slow ? 'slow_fail' : 'fail') : slow ? 'slow' : ('ok' as Sample);
    const samples = [...state.samples, sample].slice(-policy.windowSize);
    return shouldOpen(policy, samples) ? open(policy, state, now) : { ...state, samples };
  }
  if (state.kind === 'half_open' && ticket.probe) {
    if (outcome === 'ignored') return { ...state, issued: Math.max(0, state.issued - 1) };
    // A failed or slow probe: the vendor has not recovered.
    if (outcome === 'failure' || slow) return open(policy, state, now);
    const successes = state.successes + 1;
    if (successes < policy.halfOpenMaxCalls) return { ...state, successes };
    return {
      kind: 'closed',
      epoch: state.epoch + 1,
      samples: [],
      consecutiveOpens: state.consecutiveOpens,
      closedAt: now,
    };
  }
  return state;
}

/** Checks that `value` is a well-formed state (for restoring one from storage). */
export function isBreakerState(value: unknown): value is BreakerState {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  const int = (x: unknown) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  if (!int(v.epoch) || !int(v.consecutiveOpens)) return false;
  switch (v.kind) {
    case 'closed':
      return (
        Array.isArray(v.samples) &&
        v.samples.every((s) => s === 'ok' || s === 'slow' || s === 'fail' || s === 'slow_fail') &&
        (v.closedAt === null || int(v.closedAt))
      );
    case 'open':
      return int(v.openedAt) && int(v.reopenAt);
    case 'half_open':
      return int(v.issued) && int(v.successes) && int(v.probeDeadlineAt);
    default:
      return false;
  }
}
