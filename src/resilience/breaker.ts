/** CircuitBreaker: one critic's breaker over the pure state functions, with a clock, permits and transition events. */
import { BrutalistError } from '../errors/index.js';
import type { Clock, TimerHandle } from '../infra/index.js';
import {
  acquire,
  type BreakerKind,
  type BreakerPolicy,
  type BreakerState,
  type CallOutcome,
  INITIAL_STATE,
  isBreakerState,
  type PermitTicket,
  release,
  settle,
  windowStats,
  wouldReject,
} from './breaker-state.js';
import { type BreakerTransitionEvent, breakerStateChannel } from './events.js';

/** A call let through: report how it ended exactly once (later reports are ignored). */
export interface BreakerPermit {
  readonly probe: boolean;
  /** `durationMs` is what the slow-call rule judges (default: time since acquire, queue wait included). */
  release(outcome: CallOutcome, durationMs?: number): void;
}

/** What the roster and logs show about one breaker. */
export interface BreakerSnapshot {
  readonly state: BreakerKind;
  /** Milliseconds until a call may be let through again; 0 when closed. */
  readonly retryAfterMs: number;
  readonly calls: number;
  readonly failureRatePct: number;
  readonly slowCallRatePct: number;
  readonly consecutiveOpens: number;
}

export interface CircuitBreakerOptions {
  readonly name: string;
  readonly policy: BreakerPolicy;
  readonly clock: Clock;
  /** A state from `toJSON()` of an earlier breaker. */
  readonly initialState?: unknown;
  readonly onTransition?: (event: BreakerTransitionEvent) => void;
}

export class CircuitBreaker {
  readonly name: string;
  private readonly policy: BreakerPolicy;
  private readonly clock: Clock;
  private readonly onTransition: ((event: BreakerTransitionEvent) => void) | undefined;
  private current: BreakerState;
  private reopenTimer: TimerHandle | undefined;

  constructor(options: CircuitBreakerOptions) {
    this.name = options.name;
    this.policy = options.policy;
    this.clock = options.clock;
    this.onTransition = options.onTransition;
    this.current = restore(options.initialState);
    this.armReopen();
  }

  /** The current state (an open breaker whose period is over reads as half-open). */
  get state(): BreakerState {
    this.commit(settle(this.current, this.clock.now()));
    return this.current;
  }

  /** Whether a call right now would be refused (no side effects). */
  get rejecting(): boolean {
    return wouldReject(this.policy, this.current, this.clock.now());
  }

  /**
   * Lets one call through or throws CIRCUIT_OPEN {critic, retryAfterMs}. A half-open probe is bounded by
   * `deadlineAt` (and by the slow-call time, past which it would count as slow anyway): if it has not
   * reported by then it counts as a failure, so half-open can never wedge.
   */
  acquire(deadlineAt: number): BreakerPermit {
    const now = this.clock.now();
    const result = acquire(this.policy, this.current, now, deadlineAt);
    this.commit(result.state);
    if (result.ticket === null) {
      const seconds = Math.ceil(result.retryAfterMs / 1000);
      throw new BrutalistError(
        'CIRCUIT_OPEN',
        `${this.name} is failing repeatedly and is paused; retry in ${seconds} s.`,
        { data: { critic: this.name, state: this.current.kind, retryAfterMs: result.retryAfterMs } },
      );
    }
    return this.permit(result.ticket, now, deadlineAt);
  }

  snapshot(): BreakerSnapshot {
    const state = this.state;
    const now = this.clock.now();
    const stats = state.kind === 'closed' ? windowStats(state.samples) : { calls: 0, failures: 0, slow: 0 };
    const pct = (n: number) => (stats.calls === 0 ? 0 : Math.round((n * 100) / stats.calls));
    const retryAfterMs =
      state.kind === 'open'
        ? Math.max(0, state.reopenAt - now)
        : state.kind === 'half_open' && state.issued >= this.policy.halfOpenMaxCalls
          ? Math.max(0, state.probeDeadlineAt - now)
          : 0;
    return {
      state: state.kind,
      retryAfterMs,
      calls: stats.calls,
      failureRatePct: pct(stats.failures),
      slowCallRatePct: pct(stats.slow),
      consecutiveOpens: state.consecutiveOpens,
    };
  }

  /** The state as plain JSON; a half-open breaker is saved as due to probe (its probes die with this process). */
  toJSON(): BreakerState {
    const state = this.state;
    if (state.kind !== 'half_open') return state;
    const now = this.clock.now();
    return {
      kind: 'open',
      epoch: state.epoch,
      openedAt: now,
      reopenAt: now,
      consecutiveOpens: state.consecutiveOpens,
    };
  }

  /** Stops the timer that announces the end of an open period. */
  close(): void {
    if (this.reopenTimer !== undefined) this.clock.clearTimeout(this.reopenTimer);
    this.reopenTimer = undefined;
  }

  private permit(ticket: PermitTicket, startedAt: number, deadlineAt: number): BreakerPermit {
    let done = false;
    let guard: TimerHandle | undefined;
    const finish = (outcome: CallOutcome, durationMs?: number) => {
      if (done) return;
      done = true;
      if (guard !== undefined) this.clock.clearTimeout(guard);
      const now = this.clock.now();
      this.commit(release(this.policy, this.current, ticket, outcome, durationMs ?? now - startedAt, now));
    };
    if (ticket.probe) {
      const boundMs = Math.min(deadlineAt - startedAt, this.policy.slowCallMs);
      guard = this.clock.setTimeout(() => finish('failure', boundMs), Math.max(0, boundMs));
    }
    return { probe: ticket.probe, release: finish };
  }

  private commit(next: BreakerState): void {
    const previous = this.current;
    if (next === previous) return;
    this.current = next;
    if (next.kind === previous.kind) return;
    const event: BreakerTransitionEvent = {
      name: this.name,
      from: previous.kind,
      to: next.kind,
      at: this.clock.now(),
      state: next,
    };
    this.armReopen();
    this.onTransition?.(event);
    if (breakerStateChannel.hasSubscribers) breakerStateChannel.publish(event);
  }

  /** An open breaker announces its half-open transition on time, even when no call arrives to notice it. */
  private armReopen(): void {
    if (this.reopenTimer !== undefined) this.clock.clearTimeout(this.reopenTimer);
    this.reopenTimer = undefined;
    const state = this.current;
    if (state.kind !== 'open') return;
    this.reopenTimer = this.clock.setTimeout(
      () => {
        this.reopenTimer = undefined;
        this.commit(settle(this.current, this.clock.now()));
      },
      Math.max(0, state.reopenAt - this.clock.now()),
    );
  }
}

function restore(initial: unknown): BreakerState {
  if (initial === undefined) return INITIAL_STATE;
  if (!isBreakerState(initial)) {
    throw new BrutalistError('CONFIG_INVALID', 'The saved circuit breaker state is malformed.');
  }
  // Probes of a half-open state belonged to a process that is gone: let the next call probe.
  return initial.kind === 'half_open' ? { ...initial, issued: 0, successes: 0 } : initial;
}
