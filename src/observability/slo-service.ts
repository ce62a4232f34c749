/**
 * The SLO engine at work in a server: fed by finished calls, evaluated on a timer (so alerts resolve with no
 * traffic), seeded from and flushed to the state store's history, alerts logged with their runbook.
 */
import type { Config } from '../config/index.js';
import { type Clock, systemClock, type TimerHandle } from '../infra/index.js';
import type { StateStore } from '../state/index.js';
import type { Logger } from './logger.js';
import type { RequestTracker } from './request-tracker.js';
import { type SloConfig, SloEngine, sliCounts } from './slo.js';
import { SloHistory } from './slo-history.js';

/** How often alerts are evaluated without traffic: one fine bucket. */
export const SLO_EVALUATE_INTERVAL_MS = 5_000;
const DAY_MS = 86_400_000;

/** The SLO objectives of a resolved Config (basis points to shares). */
export function sloConfig(config: Config): SloConfig {
  return {
    availabilityTarget: config.sloAvailabilityTargetBp / 10_000,
    errorsTarget: 1 - config.sloErrorRateMaxBp / 10_000,
    latencyTarget: config.sloLatencyTargetBp / 10_000,
    latencyThresholdMs: config.sloLatencyThresholdMs,
    minRequests: config.sloMinRequests,
    budgetDays: config.sloBudgetDays,
  };
}

export class SloService {
  readonly engine: SloEngine;
  private history: SloHistory | undefined;
  private readonly timers: { evaluate?: TimerHandle; flush?: TimerHandle } = {};
  private readonly unsubscribers: Array<() => void> = [];
  private closed = false;

  constructor(
    private readonly config: Config,
    tracker: RequestTracker,
    private readonly clock: Clock = systemClock,
    logger?: Logger,
  ) {
    this.engine = new SloEngine(sloConfig(config), clock);
    this.unsubscribers.push(
      tracker.onFinish((r) => {
        const counts = sliCounts(r.outcome, r.latencyMs, config.sloLatencyThresholdMs);
        if (!counts) return;
        const now = clock.now();
        this.engine.addCounts(now, counts);
        this.history?.note(now, counts);
        this.engine.evaluate();
      }),
    );
    if (logger) {
      this.unsubscribers.push(
        this.engine.onAlert((a) => {
          const fields = { event: 'slo_alert', ...a };
          if (a.state === 'firing' && a.severity === 'page') logger.error(fields, 'SLO page');
          else logger.warn(fields, a.state === 'firing' ? 'SLO ticket' : 'SLO alert resolved');
        }),
      );
    }
    this.scheduleEvaluate();
  }

  /**
   * Keeps history in `store`: what earlier processes stored is added to the windows, and this process's counts
   * are merged in every sloFlushIntervalMs. Does nothing when sloFlushIntervalMs is 0. Never rejects.
   */
  async persistTo(store: StateStore): Promise<void> {
    if (this.config.sloFlushIntervalMs === 0 || this.closed) return;
    const history = new SloHistory(store, {
      retentionDays: this.config.sloBudgetDays,
      lockTtlMs: this.config.lockTtlMs,
      clock: this.clock,
    });
    this.history = history;
    const earlier = await history.load(this.clock.now() - this.config.sloBudgetDays * DAY_MS).catch(() => []);
    for (const m of earlier) this.engine.addCounts(m.atMs, m.counts);
    const tick = () => {
      void history.flush().finally(() => {
        if (!this.closed) this.timers.flush = this.clock.setTimeout(tick, this.config.sloFlushIntervalMs);
      });
    };
    if (!this.closed) this.timers.flush = this.clock.setTimeout(tick, this.config.sloFlushIntervalMs);
  }

  /** Stops the timers and stores what is left (before the store closes). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const handle of Object.values(this.timers))
      if (handle !== undefined) this.clock.clearTimeout(handle);
    for (const unsubscribe of this.unsubscribers) unsubscribe();
    await this.history?.flush();
  }

  private scheduleEvaluate(): void {
    this.timers.evaluate = this.clock.setTimeout(() => {
      this.engine.evaluate();
      if (!this.closed) this.scheduleEvaluate();
    }, SLO_EVALUATE_INTERVAL_MS);
  }
}
