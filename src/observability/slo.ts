/**
 * The SLO engine: classifies finished calls into three SLIs (availability, errors, latency), keeps their counts in
 * time buckets, and derives burn rates over 1m/5m/30m/1h/6h/3d, the 30-day error budget and multiwindow,
 * multi-burn-rate alerts (Google SRE workbook, ch. 5) with a low-traffic guard and deduplication.
 */
import { type Clock, systemClock } from '../infra/index.js';
import type { RequestOutcome } from './request-events.js';
import { BucketWindows, COUNTERS, SLI_NAMES, type SliName, totalIndex } from './slo-windows.js';

export interface SloConfig {
  /** Share of eligible calls not refused (0..1), e.g. 0.999. */
  readonly availabilityTarget: number;
  /** Share of eligible calls that must not fail (0..1), e.g. 0.999 for an error rate < 0.1 %. */
  readonly errorsTarget: number;
  /** Share of answered calls whose server-side latency is at most latencyThresholdMs (0.95 = p95). */
  readonly latencyTarget: number;
  readonly latencyThresholdMs: number;
  /** Least eligible calls each window of a pair must hold before the pair may alert (low-traffic guard). */
  readonly minRequests: number;
  /** The error budget's window in days (burn-rate thresholds assume 30). */
  readonly budgetDays: number;
}

export const WINDOWS = ['1m', '5m', '30m', '1h', '6h', '3d'] as const;
export type WindowName = (typeof WINDOWS)[number];
const MINUTE_MS = 60_000;
const WINDOW_MS: Record<WindowName, number> = {
  '1m': MINUTE_MS,
  '5m': 5 * MINUTE_MS,
  '30m': 30 * MINUTE_MS,
  '1h': 60 * MINUTE_MS,
  '6h': 360 * MINUTE_MS,
  '3d': 3 * 1440 * MINUTE_MS,
};
/** Fine buckets serve the windows up to 6 h; coarse ones the 3-day window and the budget. */
export const FINE_BUCKET_MS = 5_000;
export const COARSE_BUCKET_MS = 5 * MINUTE_MS;
const FINE: readonly Exclude<WindowName, '3d'>[] = ['1m', '5m', '30m', '1h', '6h'];
const FINE_INDEX: Record<Exclude<WindowName, '3d'>, number> = {
  '1m': 0,
  '5m': 1,
  '30m': 2,
  '1h': 3,
  '6h': 4,
};

export interface AlertRule {
  readonly name: 'page_fast' | 'page_slow' | 'ticket';
  readonly severity: 'page' | 'ticket';
  readonly long: WindowName;
  readonly short: WindowName;
  readonly burnRate: number;
}

/** Burn 2 % of a 30-day budget in 1 h, 5 % in 6 h, 10 % in 3 days (each also burning in its short window). */
export const ALERT_RULES: readonly AlertRule[] = [
  { name: 'page_fast', severity: 'page', long: '1h', short: '5m', burnRate: 14.4 },
  { name: 'page_slow', severity: 'page', long: '6h', short: '30m', burnRate: 6 },
  { name: 'ticket', severity: 'ticket', long: '3d', short: '6h', burnRate: 1 },
];

/** The runbook section each SLO's alerts link (docs/operations.md). */
export const RUNBOOKS: Record<SliName, string> = {
  availability: 'docs/operations.md#slo-availability',
  errors: 'docs/operations.md#slo-errors',
  latency: 'docs/operations.md#slo-latency',
};

export interface SloAlert {
  readonly state: 'firing' | 'resolved';
  readonly slo: SliName;
  readonly rule: AlertRule['name'];
  readonly severity: AlertRule['severity'];
  /** The pair's burn rates when the alert changed state. */
  readonly longBurnRate: number;
  readonly shortBurnRate: number;
  readonly at: number;
  readonly runbook: string;
}

export interface SloStatus {
  readonly slo: SliName;
  readonly target: number;
  readonly burnRates: Readonly<Record<WindowName, number>>;
  /** Eligible calls per window. */
  readonly events: Readonly<Record<WindowName, number>>;
  /** 1 - bad / allowed over the budget window; 1 untouched, 0 spent, negative overspent. */
  readonly budgetRemaining: number;
  readonly budgetEvents: number;
  readonly budgetBad: number;
  readonly activeAlerts: readonly AlertRule['name'][];
}

/** The counts one finished call adds (COUNTERS values), or undefined when it is the caller's doing. */
export function sliCounts(
  outcome: RequestOutcome,
  latencyMs: number,
  latencyThresholdMs: number,
): Float64Array | undefined {
  if (outcome === 'cancelled' || outcome === 'client_error') return undefined;
  const counts = new Float64Array(COUNTERS);
  const a = totalIndex('availability');
  const e = totalIndex('errors');
  counts[a] = 1;
  counts[a + 1] = outcome === 'unavailable' ? 1 : 0;
  counts[e] = 1;
  counts[e + 1] = outcome === 'unavailable' || outcome === 'error' ? 1 : 0;
  if (outcome === 'ok' || outcome === 'pending') {
    const l = totalIndex('latency');
    counts[l] = 1;
    counts[l + 1] = latencyMs > latencyThresholdMs ? 1 : 0;
  }
  return counts;
}

export class SloEngine {
  private readonly fine: BucketWindows;
  private readonly coarse: BucketWindows;
  private readonly active = new Map<string, SloAlert>();
  private readonly listeners: Array<(alert: SloAlert) => void> = [];
  private readonly keys = SLI_NAMES.map((slo) => ALERT_RULES.map((rule) => `${slo}:${rule.name}`));

  constructor(
    readonly config: SloConfig,
    private readonly clock: Clock = systemClock,
  ) {
    for (const t of [config.availabilityTarget, config.errorsTarget, config.latencyTarget]) {
      if (!(t > 0 && t < 1))
        throw new RangeError(`an SLO target must be between 0 and 1 (exclusive), got ${t}`);
    }
    this.fine = new BucketWindows(
      FINE_BUCKET_MS,
      FINE.map((w) => WINDOW_MS[w] / FINE_BUCKET_MS),
    );
    const budgetMs = config.budgetDays * 1440 * MINUTE_MS;
    this.coarse = new BucketWindows(COARSE_BUCKET_MS, [
      WINDOW_MS['3d'] / COARSE_BUCKET_MS,
      Math.ceil(budgetMs / COARSE_BUCKET_MS),
    ]);
  }

  /** Calls `listener` on every alert that starts firing or resolves (each once per episode). */
  onAlert(listener: (alert: SloAlert) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const at = this.listeners.indexOf(listener);
      if (at >= 0) this.listeners.splice(at, 1);
    };
  }

  /** Counts one finished call now and re-evaluates the alerts. */
  record(outcome: RequestOutcome, latencyMs: number): void {
    const counts = sliCounts(outcome, latencyMs, this.config.latencyThresholdMs);
    if (counts) this.addCounts(this.clock.now(), counts);
    this.evaluate();
  }

  /** Adds counts (COUNTERS values) at `atMs` (history read from the store, or a call just finished). */
  addCounts(atMs: number, counts: ArrayLike<number>): void {
    this.fine.add(atMs, counts);
    this.coarse.add(atMs, counts);
  }

  /** Moves the windows to now and fires or resolves alerts; cheap (a few comparisons, no allocation). */
  evaluate(): void {
    this.advance();
    for (let s = 0; s < SLI_NAMES.length; s++) {
      const slo = SLI_NAMES[s]!;
      for (let r = 0; r < ALERT_RULES.length; r++) {
        const rule = ALERT_RULES[r]!;
        const long = this.sumOf(rule.long);
        const short = this.sumOf(rule.short);
        const i = totalIndex(slo);
        const min = this.config.minRequests;
        const allowed = 1 - this.target(slo);
        const burning =
          long[i]! >= min &&
          short[i]! >= min &&
          long[i + 1]! / long[i]! / allowed > rule.burnRate &&
          short[i + 1]! / short[i]! / allowed > rule.burnRate;
        const key = this.keys[s]![r]!;
        if (burning === this.active.has(key)) continue;
        this.transition(key, slo, rule, burning);
      }
    }
  }

  private transition(key: string, slo: SliName, rule: AlertRule, burning: boolean): void {
    const alert: SloAlert = {
      state: burning ? 'firing' : 'resolved',
      slo,
      rule: rule.name,
      severity: rule.severity,
      longBurnRate: this.burn(slo, rule.long).rate,
      shortBurnRate: this.burn(slo, rule.short).rate,
      at: this.clock.now(),
      runbook: RUNBOOKS[slo],
    };
    if (burning) this.active.set(key, alert);
    else this.active.delete(key);
    for (const listener of this.listeners) listener(alert);
  }

  /** Alerts firing now. */
  activeAlerts(): SloAlert[] {
    return [...this.active.values()];
  }

  status(): SloStatus[] {
    this.advance();
    return SLI_NAMES.map((slo) => {
      const burnRates = {} as Record<WindowName, number>;
      const events = {} as Record<WindowName, number>;
      for (const w of WINDOWS) {
        const b = this.burn(slo, w);
        burnRates[w] = b.rate;
        events[w] = b.events;
      }
      const budget = this.coarse.sum(1);
      const i = totalIndex(slo);
      const total = budget[i]!;
      const bad = budget[i + 1]!;
      const allowed = total * (1 - this.target(slo));
      return {
        slo,
        target: this.target(slo),
        burnRates,
        events,
        budgetRemaining: total === 0 ? 1 : 1 - bad / allowed,
        budgetEvents: total,
        budgetBad: bad,
        activeAlerts: ALERT_RULES.filter((r) => this.active.has(`${slo}:${r.name}`)).map((r) => r.name),
      };
    });
  }

  target(slo: SliName): number {
    const c = this.config;
    return slo === 'availability'
      ? c.availabilityTarget
      : slo === 'errors'
        ? c.errorsTarget
        : c.latencyTarget;
  }

  /** Bad share over the window divided by the allowed share: 1 spends the budget exactly over its window. */
  burn(slo: SliName, window: WindowName): { rate: number; events: number } {
    const sum = this.sumOf(window);
    const i = totalIndex(slo);
    const events = sum[i]!;
    if (events <= 0) return { rate: 0, events: 0 };
    return { rate: sum[i + 1]! / events / (1 - this.target(slo)), events };
  }

  private sumOf(window: WindowName): Float64Array {
    return window === '3d' ? this.coarse.sum(0) : this.fine.sum(FINE_INDEX[window]);
  }

  private advance(): void {
    const now = this.clock.now();
    this.fine.advance(now);
    this.coarse.advance(now);
  }
}
