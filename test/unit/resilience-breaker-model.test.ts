// Property-based model test: random call sequences drive the real breaker and a reference model written
// straight from the state table below; both must agree on every answer and every state, step by step.
//
// | state     | event                                   | condition                                   | next                 |
// |-----------|-----------------------------------------|---------------------------------------------|----------------------|
// | closed    | acquire                                 |                                             | closed, permit       |
// | closed    | success / failure of a current permit   | window ≥ min and (fail% ≥ F or slow% ≥ S)   | open                 |
// | closed    | ignored                                 |                                             | closed, window as is |
// | open      | acquire                                 | now < reopenAt                              | open, refused        |
// | open      | time reaches reopenAt                   |                                             | half_open            |
// | half_open | acquire                                 | probes issued < H                           | half_open, probe     |
// | half_open | acquire                                 | probes issued ≥ H                           | refused at once      |
// | half_open | probe failure, slow probe, or its bound passes |                                      | open (opens + 1)     |
// | half_open | probe success                           | H successes                                 | closed, empty window |
// | half_open | probe ignored                           |                                             | slot given back      |
// | any       | outcome of a permit from an earlier state |                                           | unchanged            |
// open duration = min(recovery × opens in a row, max); the count restarts at 1 after resetTimeout closed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBrutalistError } from '../../src/errors/index.js';
import { ManualClock } from '../../src/infra/index.js';
import { type BreakerPermit, type BreakerPolicy, CircuitBreaker } from '../../src/resilience/index.js';

type Outcome = 'success' | 'failure' | 'ignored';
type Action =
  | { t: 'acquire'; deadlineMs: number }
  | { t: 'release'; pick: number; outcome: Outcome; slow: boolean }
  | { t: 'advance'; ms: number };

interface ModelPermit {
  gen: number;
  probe: boolean;
  expiresAt: number;
  done: boolean;
}

/** The reference: plain fields, the table above, nothing shared with the implementation. */
class Model {
  kind: 'closed' | 'open' | 'half_open' = 'closed';
  gen = 0;
  window: Array<{ fail: boolean; slow: boolean }> = [];
  opens = 0;
  closedAt: number | null = null;
  reopenAt = 0;
  issued = 0;
  successes = 0;
  now = 0;
  permits: ModelPermit[] = [];

  constructor(private readonly p: BreakerPolicy) {}

  private open(): void {
    const fresh =
      this.kind === 'closed' && (this.closedAt === null || this.now - this.closedAt >= this.p.resetTimeoutMs);
    this.opens = fresh ? 1 : this.opens + 1;
    this.kind = 'open';
    this.gen++;
    this.reopenAt = this.now + Math.min(this.p.recoveryTimeoutMs * this.opens, this.p.maxRecoveryTimeoutMs);
  }

  acquire(deadlineMs: number): 'permit' | 'probe' | 'refused' {
    if (this.kind === 'closed') {
      this.permits.push({ gen: this.gen, probe: false, expiresAt: Number.POSITIVE_INFINITY, done: false });
      return 'permit';
    }
    if (this.kind === 'open') return 'refused';
    if (this.issued >= this.p.halfOpenMaxCalls) return 'refused';
    this.issued++;
    const bound = Math.min(deadlineMs, this.p.slowCallMs);
    this.permits.push({ gen: this.gen, probe: true, expiresAt: this.now + bound, done: false });
    return 'probe';
  }

  release(permit: ModelPermit, outcome: Outcome, slow: boolean): void {
    if (permit.done) return;
    permit.done = true;
    if (permit.gen !== this.gen) return;
    if (this.kind === 'closed') {
      if (outcome === 'ignored') return;
      this.window.push({ fail: outcome === 'failure', slow });
      if (this.window.length > this.p.windowSize) this.window.shift();
      const n = this.window.length;
      const fails = this.window.filter((s) => s.fail).length;
      const slows = this.window.filter((s) => s.slow).length;
      if (
        n >= this.p.minimumCalls &&
        (fails * 100 >= this.p.failureRatePct * n || slows * 100 >= this.p.slowCallRatePct * n)
      ) {
        this.open();
      }
      return;
    }
    if (this.kind === 'half_open' && permit.probe) {
      if (outcome === 'ignored') {
        this.issued--;
        return;
      }
      if (outcome === 'failure' || slow) {
        this.open();
        return;
      }
      this.successes++;
      if (this.successes >= this.p.halfOpenMaxCalls) {
        this.kind = 'closed';
        this.gen++;
        this.window = [];
        this.closedAt = this.now;
      }
    }
  }

  advance(ms: number): void {
    const target = this.now + ms;
    for (;;) {
      // The next timed event: the end of the open period, or the earliest bound of a probe in flight.
      let next = Number.POSITIVE_INFINITY;
      let probe: ModelPermit | undefined;
      if (this.kind === 'open') next = this.reopenAt;
      for (const permit of this.permits) {
        if (!permit.done && permit.probe && permit.expiresAt < next) {
          next = permit.expiresAt;
          probe = permit;
        }
      }
      if (next > target) break;
      this.now = Math.max(this.now, next);
      if (probe) this.release(probe, 'failure', true);
      else {
        this.kind = 'half_open';
        this.gen++;
        this.issued = 0;
        this.successes = 0;
      }
    }
    this.now = target;
  }
}

const policyArb = fc
  .record({
    windowSize: fc.integer({ min: 1, max: 6 }),
    minimumCalls: fc.integer({ min: 1, max: 6 }),
    failureRatePct: fc.oneof(fc.constantFrom(50, 80, 100), fc.integer({ min: 1, max: 100 })),
    slowCallRatePct: fc.oneof(fc.constantFrom(50, 80, 100), fc.integer({ min: 1, max: 100 })),
    halfOpenMaxCalls: fc.integer({ min: 1, max: 3 }),
  })
  .map(
    (r): BreakerPolicy => ({
      ...r,
      minimumCalls: Math.min(r.minimumCalls, r.windowSize),
      slowCallMs: 3_000,
      recoveryTimeoutMs: 10_000,
      maxRecoveryTimeoutMs: 35_000,
      resetTimeoutMs: 25_000,
    }),
  );

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('acquire' as const),
      deadlineMs: fc.integer({ min: 1, max: 5_000 }),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      t: fc.constant('release' as const),
      pick: fc.nat(),
      outcome: fc.constantFrom<Outcome>('success', 'failure', 'ignored'),
      slow: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('advance' as const),
      // Exact boundaries (slow-call time, recovery, reset) as often as arbitrary steps.
      ms: fc.oneof(fc.constantFrom(1, 2_999, 3_000, 10_000, 25_000), fc.integer({ min: 0, max: 40_000 })),
    }),
  },
);

describe('circuit breaker against its state table', () => {
  it('agrees with the reference model on every step of random call sequences', () => {
    fc.assert(
      fc.property(policyArb, fc.array(actionArb, { minLength: 20, maxLength: 150 }), (policy, actions) => {
        const clock = new ManualClock(0);
        const breaker = new CircuitBreaker({ name: 'model', policy, clock });
        const model = new Model(policy);
        const real: Array<{ permit: BreakerPermit }> = [];
        for (const action of actions) {
          if (action.t === 'acquire') {
            let got: 'permit' | 'probe' | 'refused';
            try {
              const permit = breaker.acquire(clock.now() + action.deadlineMs);
              real.push({ permit });
              got = permit.probe ? 'probe' : 'permit';
            } catch (err) {
              if (!isBrutalistError(err) || err.code !== 'CIRCUIT_OPEN') throw err;
              got = 'refused';
            }
            expect(got).toBe(model.acquire(action.deadlineMs));
          } else if (action.t === 'release') {
            if (real.length === 0) continue;
            const i = action.pick % real.length;
            const durationMs = action.slow ? policy.slowCallMs : policy.slowCallMs - 1;
            real[i]!.permit.release(action.outcome, durationMs);
            model.release(model.permits[i]!, action.outcome, action.slow);
          } else {
            clock.advance(action.ms);
            model.advance(action.ms);
          }
          const state = breaker.state;
          expect(state.kind).toBe(model.kind);
          expect(state.consecutiveOpens).toBe(model.opens);
          if (state.kind === 'closed') expect(state.samples.length).toBe(model.window.length);
          if (state.kind === 'open') expect(state.reopenAt).toBe(model.reopenAt);
        }
      }),
      { numRuns: 1_000 },
    );
  });
});
