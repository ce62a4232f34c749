/**
 * Liveness and readiness: the process phase (warming up, ready, draining) and dependency checks run at most once
 * per `healthCacheMs`, each bounded by `healthCheckTimeoutMs`, so `/readyz` stays cheap under any probe rate.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Clock } from '../infra/index.js';

/** `down`: this instance cannot serve; `degraded`: a shared dependency is out, serving continues. */
export type CheckStatus = 'ok' | 'degraded' | 'down';

export interface CheckResult {
  readonly status: CheckStatus;
  /** A short, safe reason (never a host path, URL or secret). */
  readonly detail?: string;
}

export interface HealthCheck {
  readonly name: string;
  run(): Promise<CheckResult>;
}

export type Phase = 'warming up' | 'ready' | 'draining';

export interface Readiness {
  /** `not ready` answers 503; `ready` and `degraded` answer 200. */
  readonly status: 'ready' | 'degraded' | 'not ready';
  readonly phase: Phase;
  readonly checks: Record<string, CheckResult>;
  /** Milliseconds since the checks ran (0: just now). */
  readonly checkedAgoMs: number;
}

export interface Liveness {
  readonly status: 'ok';
  readonly uptimeS: number;
  /** p99 event-loop delay since the last probe, in ms. */
  readonly eventLoopDelayMs: number;
}

export interface HealthOptions {
  readonly clock: Clock;
  readonly cacheMs: number;
  readonly checkTimeoutMs: number;
}

export class HealthMonitor {
  private phaseNow: Phase = 'warming up';
  private cached: { atMs: number; checks: Promise<Record<string, CheckResult>> } | undefined;
  private readonly startedAt: number;
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 20 });

  constructor(
    private readonly checks: readonly HealthCheck[],
    private readonly options: HealthOptions,
  ) {
    this.startedAt = options.clock.now();
    this.loopDelay.enable();
  }

  get phase(): Phase {
    return this.phaseNow;
  }

  /** Warmup finished: readiness may answer 200 (unless draining began first). */
  markReady(): void {
    if (this.phaseNow === 'warming up') this.phaseNow = 'ready';
  }

  /** Shutdown began: readiness answers 503 from now on, for good. */
  markDraining(): void {
    this.phaseNow = 'draining';
  }

  /** The process and its event loop only: answering at all is the proof; never a dependency. */
  liveness(): Liveness {
    const delayMs = this.loopDelay.percentile(99) / 1e6;
    this.loopDelay.reset();
    return {
      status: 'ok',
      uptimeS: Math.floor((this.options.clock.now() - this.startedAt) / 1000),
      eventLoopDelayMs: Math.round(delayMs * 10) / 10,
    };
  }

  async readiness(): Promise<Readiness> {
    const { checks, checkedAgoMs } = await this.dependencies();
    const statuses = Object.values(checks).map((c) => c.status);
    const status =
      this.phaseNow !== 'ready' || statuses.includes('down')
        ? 'not ready'
        : statuses.includes('degraded')
          ? 'degraded'
          : 'ready';
    return { status, phase: this.phaseNow, checks, checkedAgoMs };
  }

  /** Every check's latest result, run again only when older than cacheMs (concurrent probes share one run). */
  async dependencies(): Promise<{ checks: Record<string, CheckResult>; checkedAgoMs: number }> {
    const now = this.options.clock.now();
    if (!this.cached || now - this.cached.atMs >= this.options.cacheMs) {
      this.cached = { atMs: now, checks: this.runAll() };
    }
    const { atMs, checks } = this.cached;
    return { checks: await checks, checkedAgoMs: Math.max(0, this.options.clock.now() - atMs) };
  }

  close(): void {
    this.loopDelay.disable();
  }

  private async runAll(): Promise<Record<string, CheckResult>> {
    const results = await Promise.all(this.checks.map((check) => this.bounded(check)));
    return Object.fromEntries(this.checks.map((check, i) => [check.name, results[i] as CheckResult]));
  }

  /** A check that throws or outlives checkTimeoutMs reads `degraded`: a slow dependency must not stall probes. */
  private bounded(check: HealthCheck): Promise<CheckResult> {
    const { clock, checkTimeoutMs } = this.options;
    return new Promise((resolve) => {
      const timer = clock.setTimeout(
        () => resolve({ status: 'degraded', detail: 'check timed out' }),
        checkTimeoutMs,
      );
      check.run().then(
        (result) => {
          clock.clearTimeout(timer);
          resolve(result);
        },
        () => {
          clock.clearTimeout(timer);
          resolve({ status: 'degraded', detail: 'check failed' });
        },
      );
    });
  }
}
