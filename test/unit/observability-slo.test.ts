// The SLO engine driven by synthetic call streams on a manual clock: when pages fire and clear, and when they must not.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/infra/index.js';
import type { RequestOutcome } from '../../src/observability/index.js';
import { type SloAlert, type SloConfig, SloEngine, sliCounts } from '../../src/observability/slo.js';
import { BucketWindows, COUNTERS } from '../../src/observability/slo-windows.js';

const CONFIG: SloConfig = {
  availabilityTarget: 0.999,
  errorsTarget: 0.999,
  latencyTarget: 0.95,
  latencyThresholdMs: 2000,
  minRequests: 10,
  budgetDays: 30,
};
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

function setup(config: SloConfig = CONFIG) {
  const clock = new ManualClock(1_800_000_000_000);
  const slo = new SloEngine(config, clock);
  const alerts: Array<SloAlert & { elapsedMs: number }> = [];
  let phaseStart = clock.now();
  slo.onAlert((a) => alerts.push({ ...a, elapsedMs: a.at - phaseStart }));
  /** `perSecond` calls a second for `ms`; call i (counted from this phase's start) ends as `outcome(i)`. */
  const drive = (ms: number, perSecond: number, outcome: (i: number) => RequestOutcome, latencyMs = 100) => {
    phaseStart = clock.now();
    const step = SECOND / perSecond;
    for (let i = 0; i * step < ms; i++) {
      clock.advance(step);
      slo.record(outcome(i), latencyMs);
    }
  };
  /** Time passes with no calls; alerts are evaluated every 5 s (as the server's timer does). */
  const idle = (ms: number) => {
    phaseStart = clock.now();
    for (let t = 0; t < ms; t += 5 * SECOND) {
      clock.advance(5 * SECOND);
      slo.evaluate();
    }
  };
  return { clock, slo, alerts, drive, idle };
}

const ok = () => 'ok' as const;
const pages = <A extends SloAlert>(alerts: A[]) => alerts.filter((a) => a.severity === 'page');

describe('SLO engine', () => {
  it('pages on the 1h/5m pair after about 52 s of total failure and clears within about 5 minutes', () => {
    const { alerts, drive } = setup();
    drive(HOUR, 10, ok);
    expect(alerts).toEqual([]);

    drive(2 * MINUTE, 10, () => 'unavailable');
    const fired = alerts.filter((a) => a.rule === 'page_fast' && a.slo === 'availability');
    expect(fired).toHaveLength(1);
    expect(fired[0]!.state).toBe('firing');
    // 1h burn > 14.4 needs bad/total > 1.44 %: 51.84 s of 3,600 s; buckets are 5 s wide.
    expect(fired[0]!.elapsedMs).toBeGreaterThan(50 * SECOND);
    expect(fired[0]!.elapsedMs).toBeLessThan(56 * SECOND);
    expect(fired[0]!.runbook).toBe('docs/operations.md#slo-availability');

    alerts.length = 0;
    drive(10 * MINUTE, 10, ok);
    const cleared = alerts.filter((a) => a.rule === 'page_fast' && a.slo === 'availability');
    expect(cleared.map((a) => a.state)).toEqual(['resolved']);
    // The 5m window must lose all but 4.3 s of the failure: just under 5 minutes.
    expect(cleared[0]!.elapsedMs).toBeGreaterThan(4 * MINUTE);
    expect(cleared[0]!.elapsedMs).toBeLessThanOrEqual(5 * MINUTE + 5 * SECOND);
  });

  it('pages on the 6h/30m pair after about 4.5 h of 0.8 % errors, never on the fast pair', () => {
    const { alerts, drive, slo } = setup();
    drive(6 * HOUR, 1, ok);
    drive(5 * HOUR, 1, (i) => (i % 125 === 124 ? 'error' : 'ok'));
    const paged = pages(alerts);
    expect(paged.map((a) => `${a.slo}:${a.rule}:${a.state}`)).toEqual(['errors:page_slow:firing']);
    // 6h burn = 0.008 t / 21,600 s / 0.001 > 6 when t > 16,200 s = 4.5 h.
    expect(paged[0]!.elapsedMs).toBeGreaterThan(4.4 * HOUR);
    expect(paged[0]!.elapsedMs).toBeLessThan(4.6 * HOUR);
    const errors = slo.status().find((s) => s.slo === 'errors')!;
    expect(errors.burnRates['30m']).toBeCloseTo(8, 0);
    expect(errors.activeAlerts).toContain('page_slow');
    // Errors that were served are not unavailability.
    expect(slo.status().find((s) => s.slo === 'availability')!.budgetBad).toBe(0);
  });

  it('does not page for a 30 s blip in steady traffic', () => {
    const { alerts, drive } = setup();
    drive(6 * HOUR, 2, ok);
    drive(30 * SECOND, 2, () => 'unavailable');
    drive(2 * HOUR, 2, ok);
    expect(pages(alerts)).toEqual([]);
  });

  it('does not alert on a few calls (low-traffic guard), and does once enough calls fail', () => {
    const quiet = setup();
    quiet.drive(HOUR, 1 / 600, ok); // 6 calls an hour
    quiet.drive(10 * MINUTE, 1 / 200, () => 'error'); // 3 failures in a row
    expect(quiet.alerts).toEqual([]);

    const loud = setup({ ...CONFIG, minRequests: 1 });
    loud.drive(HOUR, 1 / 600, ok);
    loud.drive(10 * MINUTE, 1 / 200, () => 'error');
    expect(pages(loud.alerts).map((a) => a.rule)).toContain('page_fast');
  });

  it('fires each alert once per episode however many failing calls follow', () => {
    const { alerts, drive } = setup();
    drive(HOUR, 10, ok);
    drive(20 * MINUTE, 10, () => 'unavailable');
    const fast = alerts.filter((a) => a.slo === 'availability' && a.rule === 'page_fast');
    expect(fast.map((a) => a.state)).toEqual(['firing']);
  });

  it('resolves with no traffic at all once the windows empty', () => {
    const { alerts, drive, idle } = setup();
    drive(HOUR, 10, ok);
    drive(2 * MINUTE, 10, () => 'unavailable');
    alerts.length = 0;
    idle(6 * MINUTE);
    // With no calls the short window holds nothing: below the guard, so the page resolves.
    expect(alerts.filter((a) => a.rule === 'page_fast').map((a) => a.state)).toContain('resolved');
  });

  it('leaves cancellations and client errors out of every SLI', () => {
    const { slo, drive } = setup();
    drive(10 * MINUTE, 1, (i) => (i % 2 === 0 ? 'cancelled' : 'client_error'));
    for (const s of slo.status()) expect(s.events['1h']).toBe(0);
    expect(sliCounts('cancelled', 0, 2000)).toBeUndefined();
    expect(sliCounts('client_error', 0, 2000)).toBeUndefined();
  });

  it('counts a slow answer against latency only, and a pending answer as answered', () => {
    const { slo, drive } = setup();
    drive(10 * MINUTE, 1, (i) => (i % 10 === 0 ? 'pending' : 'ok'), 100);
    drive(10 * MINUTE, 1, ok, 2500);
    const [availability, errors, latency] = slo.status();
    expect(availability!.burnRates['1h']).toBe(0);
    expect(errors!.burnRates['1h']).toBe(0);
    // Half the answered calls were slow: 0.5 / 0.05 allowed = burn 10.
    expect(latency!.burnRates['1h']).toBeCloseTo(10, 5);
    expect(latency!.events['1h']).toBe(1200);
  });

  it('spends the 30-day budget: 1 bad call in 1,000 at 99.9 % leaves nothing', () => {
    const { slo, drive } = setup();
    drive(1000 * SECOND, 1, (i) => (i === 500 ? 'unavailable' : 'ok'));
    const availability = slo.status().find((s) => s.slo === 'availability')!;
    expect(availability.budgetEvents).toBe(1000);
    expect(availability.budgetRemaining).toBeCloseTo(0, 9);
    expect(slo.status().find((s) => s.slo === 'latency')!.budgetRemaining).toBe(1);
  });

  it('refuses a target outside (0, 1)', () => {
    expect(() => new SloEngine({ ...CONFIG, availabilityTarget: 1 })).toThrow(/between 0 and 1/);
  });
});

describe('BucketWindows', () => {
  const one = (c = 0) => {
    const counts = new Float64Array(COUNTERS);
    counts[c] = 1;
    return counts;
  };

  it('keeps a window of n buckets: the current one and n - 1 before it', () => {
    const w = new BucketWindows(10, [3]);
    w.add(0, one());
    w.add(15, one());
    w.add(25, one());
    expect(w.sum(0)[0]).toBe(3);
    w.advance(30);
    expect(w.sum(0)[0]).toBe(2);
    w.advance(59);
    expect(w.sum(0)[0]).toBe(0);
  });

  it('adds a late count to its own bucket and only to the windows covering it', () => {
    const w = new BucketWindows(10, [2, 5]);
    w.advance(100);
    w.add(75, one(1));
    expect(w.sum(0)[1]).toBe(0);
    expect(w.sum(1)[1]).toBe(1);
    w.add(10, one(1)); // older than the ring: dropped
    expect(w.sum(1)[1]).toBe(1);
    w.advance(130);
    expect(w.sum(1)[1]).toBe(0);
  });

  it('starts over after a gap longer than the ring', () => {
    const w = new BucketWindows(10, [4]);
    w.add(0, one());
    w.add(1000, one());
    expect(w.sum(0)[0]).toBe(1);
  });

  it('refuses a bucket width or window that is not a positive integer', () => {
    expect(() => new BucketWindows(0, [1])).toThrow(RangeError);
    expect(() => new BucketWindows(10, [0])).toThrow(RangeError);
  });
});
