/**
 * LoadShedder: refuses low-priority work with OVERLOADED while the process is under pressure (event-loop delay,
 * heap use, live child processes). Level 1 sheds the lowest priority, level 2 the next one up too; the two
 * most urgent levels are never shed here, so interactive use keeps working (the queue still bounds them).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { BrutalistError } from '../errors/index.js';
import type { Clock, TimerHandle } from '../infra/index.js';
import { type ShedEvent, shedChannel } from './events.js';

/** One reading of the pressure signals. */
export interface PressureReading {
  /** Mean event-loop delay over the last sample interval, in ms (sustained lag; one long pause barely moves it). */
  readonly eventLoopDelayMs: number;
  /** V8 heap used as a percentage of its limit. */
  readonly heapUsedPct: number;
  readonly children: number;
}

export interface ShedThresholds {
  readonly eventLoopDelayMs: number;
  readonly heapUsedPct: number;
  readonly maxChildren: number;
  readonly priorityLevels: number;
}

export type PressureLevel = 0 | 1 | 2;

/** Pressure level of one reading and the signal that set it (the worst one). */
export function pressureOf(
  reading: PressureReading,
  t: ShedThresholds,
): { level: PressureLevel; reason: string | null } {
  const heapHard = t.heapUsedPct + (100 - t.heapUsedPct) / 2;
  const signals: Array<[string, PressureLevel]> = [
    [
      'event_loop_delay',
      reading.eventLoopDelayMs >= 2 * t.eventLoopDelayMs
        ? 2
        : reading.eventLoopDelayMs >= t.eventLoopDelayMs
          ? 1
          : 0,
    ],
    ['heap', reading.heapUsedPct >= heapHard ? 2 : reading.heapUsedPct >= t.heapUsedPct ? 1 : 0],
    ['children', reading.children >= 2 * t.maxChildren ? 2 : reading.children >= t.maxChildren ? 1 : 0],
  ];
  let worst: [string | null, PressureLevel] = [null, 0];
  for (const [reason, level] of signals) if (level > worst[1]) worst = [reason, level];
  return { level: worst[1], reason: worst[0] };
}

/** How many levels the shedder may refuse at most: never the two most urgent. */
function sheddable(priorityLevels: number): number {
  return Math.max(0, Math.min(2, priorityLevels - 2));
}

export class LoadShedder {
  private last: PressureReading = { eventLoopDelayMs: 0, heapUsedPct: 0, children: 0 };
  private timer: TimerHandle | undefined;

  constructor(
    private readonly thresholds: ShedThresholds,
    /** Takes a fresh reading (and resets any interval statistics it keeps). */
    private readonly probe: () => PressureReading,
    private readonly clock: Clock,
    private readonly intervalMs = 1_000,
  ) {}

  /** Samples every intervalMs (on the clock; the system clock's timers never hold the process open). */
  start(): void {
    if (this.timer !== undefined) return;
    const tick = () => {
      this.sample();
      this.timer = this.clock.setTimeout(tick, this.intervalMs);
    };
    this.timer = this.clock.setTimeout(tick, this.intervalMs);
  }

  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Takes a reading now. */
  sample(): PressureReading {
    this.last = this.probe();
    return this.last;
  }

  /** The last reading and its level. */
  status(): PressureReading & { level: PressureLevel; reason: string | null } {
    return { ...this.last, ...pressureOf(this.last, this.thresholds) };
  }

  /** Throws OVERLOADED when `priority` (0 = most urgent) is shed at the current pressure level. */
  check(priority: number): void {
    const { level, reason } = pressureOf(this.last, this.thresholds);
    const levels = this.thresholds.priorityLevels;
    const shedFrom = levels - Math.min(level, sheddable(levels));
    if (level === 0 || priority < shedFrom) return;
    if (shedChannel.hasSubscribers) {
      const event: ShedEvent = { priority, reason: reason ?? 'pressure', level };
      shedChannel.publish(event);
    }
    throw new BrutalistError('OVERLOADED', undefined, {
      data: { reason: reason ?? 'pressure', level, priority, retryAfterMs: this.intervalMs },
    });
  }
}

/** The real probe: event-loop delay histogram (reset per reading), V8 heap statistics, and a child count. */
export function processPressureProbe(children: () => number): {
  probe: () => PressureReading;
  stop: () => void;
} {
  const histogram = monitorEventLoopDelay({ resolution: 20 });
  histogram.enable();
  return {
    probe: () => {
      const delayMs = histogram.count > 0 ? histogram.mean / 1e6 : 0;
      histogram.reset();
      const heap = getHeapStatistics();
      return {
        eventLoopDelayMs: delayMs,
        heapUsedPct: (heap.used_heap_size * 100) / heap.heap_size_limit,
        children: children(),
      };
    },
    stop: () => histogram.disable(),
  };
}
