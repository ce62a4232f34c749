/**
 * AdmissionQueue: bounded priority admission in front of the critic runs. Global and per-key concurrency, FIFO
 * within a priority level, eviction of the newest lowest-priority waiter, deadlines checked on arrival and on
 * dequeue, per-caller fairness, and no polling: waiters are woken by a release (or by their own timer).
 */
import { BrutalistError, type ErrorData } from '../errors/index.js';
import type { Clock, TimerHandle } from '../infra/index.js';
import { type AdmissionRejectEvent, admissionDepthChannel, admissionRejectChannel } from './events.js';

export interface AdmissionLimits {
  readonly maxConcurrent: number;
  readonly maxConcurrentPerKey: number;
  readonly maxQueueSize: number;
  readonly queueTimeoutMs: number;
  /** Share (1..100) of run+queue slots one caller may hold while another caller waits. */
  readonly maxCallerSharePct: number;
  readonly priorityLevels: number;
}

export interface AdmissionRequest {
  /** What the slot is for (the critic); per-key concurrency applies to it. */
  readonly key: string;
  /** 0 is the most urgent level. */
  readonly priority: number;
  readonly caller: string;
  /** Absolute clock time after which the work is pointless. */
  readonly deadlineAt: number;
  readonly signal?: AbortSignal;
  /**
   * Told when the request has to wait and again whenever its place in line changes: `position` is 1-based
   * among waiters for the same key (1 = next); `estimatedWaitMs` comes from recent run times (undefined before
   * any run of this key finished). Must not throw.
   */
  readonly onQueued?: (position: number, estimatedWaitMs: number | undefined) => void;
}

/** A held slot; release it exactly once when the work is over (extra calls are ignored). */
export interface AdmissionPermit {
  release(): void;
}

export interface AdmissionSnapshot {
  readonly running: number;
  readonly queued: number;
  readonly maxConcurrent: number;
  readonly maxQueueSize: number;
  readonly byKey: Readonly<Record<string, { running: number; queued: number }>>;
}

interface Waiter {
  readonly request: AdmissionRequest;
  readonly seq: number;
  readonly resolve: (permit: AdmissionPermit) => void;
  readonly reject: (err: BrutalistError) => void;
  timer: TimerHandle | undefined;
  onAbort: (() => void) | undefined;
  lastPosition: number;
}

/** Weight of the newest hold time in the running average used for wait estimates. */
const EWMA_ALPHA = 0.2;
/** retryAfterMs suggested before any run has finished. */
const DEFAULT_RETRY_AFTER_MS = 1_000;

export class AdmissionQueue {
  private readonly levels: Array<Set<Waiter>>;
  private running = 0;
  private queued = 0;
  private seq = 0;
  private readonly runningByKey = new Map<string, number>();
  private readonly runningByCaller = new Map<string, number>();
  private readonly queuedByCaller = new Map<string, number>();
  private readonly holdMsByKey = new Map<string, number>();

  constructor(
    private readonly limits: AdmissionLimits,
    private readonly clock: Clock,
  ) {
    if (!Number.isInteger(limits.priorityLevels) || limits.priorityLevels < 1) {
      throw new BrutalistError(
        'CONFIG_INVALID',
        `priorityLevels must be an integer >= 1, got ${limits.priorityLevels}`,
      );
    }
    this.levels = Array.from({ length: limits.priorityLevels }, () => new Set<Waiter>());
  }

  /**
   * Resolves with a permit once a slot is free. Rejects, without waiting, with DEADLINE_EXCEEDED when the
   * deadline already passed, CANCELLED when the signal already aborted, and QUEUE_FULL {queued, limit,
   * retryAfterMs, reason} when the queue is full and nothing of lower priority can make room.
   */
  acquire(request: AdmissionRequest): Promise<AdmissionPermit> {
    const priority = this.clampPriority(request.priority);
    const req = priority === request.priority ? request : { ...request, priority };
    if (req.signal?.aborted) return Promise.reject(new BrutalistError('CANCELLED'));
    if (this.clock.now() >= req.deadlineAt) return Promise.reject(this.deadlineError(req));
    if (this.canRun(req.key)) return Promise.resolve(this.grant(req));

    if (this.overCallerShare(req.caller)) return Promise.reject(this.full(req, 'caller_share'));
    if (this.queued >= this.limits.maxQueueSize) {
      const victim = this.victimFor(req);
      if (!victim) return Promise.reject(this.full(req, 'full'));
      this.remove(victim.waiter);
      this.settleRejected(victim.waiter, this.full(victim.waiter.request, victim.reason));
    }
    return new Promise<AdmissionPermit>((resolve, reject) => {
      const waiter: Waiter = {
        request: req,
        seq: this.seq++,
        resolve,
        reject,
        timer: undefined,
        onAbort: undefined,
        lastPosition: 0,
      };
      this.levels[req.priority]!.add(waiter);
      this.queued++;
      bump(this.queuedByCaller, req.caller, 1);
      this.publishDepth(req.priority);
      const untilDeadline = req.deadlineAt - this.clock.now();
      // Which bound ends the wait is decided now: a timer can fire a little before the clock reaches the deadline
      // (libuv schedules from its cached loop time), and that must still be the deadline, not the queue timeout.
      const deadlineFirst = untilDeadline <= this.limits.queueTimeoutMs;
      waiter.timer = this.clock.setTimeout(
        () => {
          waiter.timer = undefined;
          if (!this.remove(waiter)) return;
          const expired = deadlineFirst || this.clock.now() >= req.deadlineAt;
          this.settleRejected(waiter, expired ? this.deadlineError(req) : this.full(req, 'timeout'));
        },
        deadlineFirst ? untilDeadline : this.limits.queueTimeoutMs,
      );
      if (req.signal) {
        const signal = req.signal;
        waiter.onAbort = () => {
          if (!this.remove(waiter)) return;
          this.publish(req, 'cancelled');
          this.settleRejected(waiter, new BrutalistError('CANCELLED'));
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      if (req.onQueued) this.notifyPositions(req.key);
    });
  }

  snapshot(): AdmissionSnapshot {
    const byKey: Record<string, { running: number; queued: number }> = {};
    for (const [key, n] of this.runningByKey) byKey[key] = { running: n, queued: 0 };
    for (const level of this.levels) {
      for (const w of level) {
        const entry = byKey[w.request.key] ?? { running: 0, queued: 0 };
        entry.queued++;
        byKey[w.request.key] = entry;
      }
    }
    return {
      running: this.running,
      queued: this.queued,
      maxConcurrent: this.limits.maxConcurrent,
      maxQueueSize: this.limits.maxQueueSize,
      byKey,
    };
  }

  /** Suggested wait before retrying `key`: about one run time divided among its running slots. */
  retryAfterMs(key: string): number {
    const hold = this.holdMsByKey.get(key);
    if (hold === undefined) return DEFAULT_RETRY_AFTER_MS;
    const running = Math.max(1, this.runningByKey.get(key) ?? 0);
    return Math.max(1, Math.round(hold / running));
  }

  // ---- internals

  private clampPriority(priority: number): number {
    if (!Number.isFinite(priority)) return this.limits.priorityLevels - 1;
    return Math.min(this.limits.priorityLevels - 1, Math.max(0, Math.trunc(priority)));
  }

  private canRun(key: string): boolean {
    return (
      this.running < this.limits.maxConcurrent &&
      (this.runningByKey.get(key) ?? 0) < this.limits.maxConcurrentPerKey
    );
  }

  private shareLimit(slots: number): number {
    return Math.max(1, Math.floor((slots * this.limits.maxCallerSharePct) / 100));
  }

  /** Whether `caller` already holds its share of run+queue slots while someone else is waiting. */
  private overCallerShare(caller: string): boolean {
    if (this.limits.maxCallerSharePct >= 100) return false;
    const held = (this.runningByCaller.get(caller) ?? 0) + (this.queuedByCaller.get(caller) ?? 0);
    if (held < this.shareLimit(this.limits.maxConcurrent + this.limits.maxQueueSize)) return false;
    return this.queued > (this.queuedByCaller.get(caller) ?? 0);
  }

  /**
   * Who makes room for `req` in a full queue: the newest waiter of the lowest level below it (reason "shed");
   * else, when `req`'s caller is under its share, the newest waiter (at `req`'s level or below) of the caller
   * holding the most slots beyond its share (reason "caller_share"); else nobody.
   */
  private victimFor(req: AdmissionRequest): { waiter: Waiter; reason: 'shed' | 'caller_share' } | undefined {
    for (let level = this.levels.length - 1; level > req.priority; level--) {
      const newest = last(this.levels[level]!);
      if (newest) return { waiter: newest, reason: 'shed' };
    }
    if (this.limits.maxCallerSharePct >= 100) return undefined;
    const limit = this.shareLimit(this.limits.maxConcurrent + this.limits.maxQueueSize);
    const held = (c: string) => (this.runningByCaller.get(c) ?? 0) + (this.queuedByCaller.get(c) ?? 0);
    if (held(req.caller) >= limit) return undefined;
    let greedy: string | undefined;
    for (const [caller] of this.queuedByCaller) {
      if (held(caller) > limit && (greedy === undefined || held(caller) > held(greedy))) greedy = caller;
    }
    if (greedy === undefined) return undefined;
    for (let level = this.levels.length - 1; level >= req.priority; level--) {
      let newest: Waiter | undefined;
      for (const w of this.levels[level]!) if (w.request.caller === greedy) newest = w;
      if (newest) return { waiter: newest, reason: 'caller_share' };
    }
    return undefined;
  }

  private grant(req: AdmissionRequest): AdmissionPermit {
    this.running++;
    bump(this.runningByKey, req.key, 1);
    bump(this.runningByCaller, req.caller, 1);
    this.publishDepth(req.priority);
    const startedAt = this.clock.now();
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.running--;
        bump(this.runningByKey, req.key, -1);
        bump(this.runningByCaller, req.caller, -1);
        this.publishDepth(req.priority);
        const held = this.clock.now() - startedAt;
        const avg = this.holdMsByKey.get(req.key);
        this.holdMsByKey.set(req.key, avg === undefined ? held : avg + EWMA_ALPHA * (held - avg));
        this.dispatch();
      },
    };
  }

  /** Hands free slots to waiters: highest level first, FIFO, preferring callers under their running share. */
  private dispatch(): void {
    for (;;) {
      if (this.running >= this.limits.maxConcurrent) return;
      const next = this.pickNext();
      if (!next) return;
      this.remove(next);
      if (this.clock.now() >= next.request.deadlineAt) {
        this.settleRejected(next, this.deadlineError(next.request));
        continue;
      }
      this.detach(next);
      next.resolve(this.grant(next.request));
    }
  }

  private pickNext(): Waiter | undefined {
    const runShare =
      this.limits.maxCallerSharePct >= 100
        ? Number.POSITIVE_INFINITY
        : this.shareLimit(this.limits.maxConcurrent);
    for (const level of this.levels) {
      let fallback: Waiter | undefined;
      for (const w of level) {
        // An expired waiter is taken out (and rejected) whatever its key's capacity.
        if (this.clock.now() >= w.request.deadlineAt) return w;
        if (!this.canRun(w.request.key)) continue;
        if ((this.runningByCaller.get(w.request.caller) ?? 0) < runShare) return w;
        fallback ??= w;
      }
      if (fallback) return fallback;
    }
    return undefined;
  }

  /** Takes a waiter out of the queue; false when it was no longer there. Waiters behind it hear their new place. */
  private remove(waiter: Waiter): boolean {
    if (!this.levels[waiter.request.priority]!.delete(waiter)) return false;
    this.queued--;
    bump(this.queuedByCaller, waiter.request.caller, -1);
    this.publishDepth(waiter.request.priority);
    this.notifyPositions(waiter.request.key);
    return true;
  }

  /** One pass over the queue: each waiter for `key` that listens and whose place changed is told. */
  private notifyPositions(key: string): void {
    let position = 0;
    for (const level of this.levels) {
      for (const w of level) {
        if (w.request.key !== key) continue;
        position++;
        if (!w.request.onQueued || w.lastPosition === position) continue;
        w.lastPosition = position;
        w.request.onQueued(position, this.estimateWait(position, key));
      }
    }
  }

  private detach(waiter: Waiter): void {
    if (waiter.timer !== undefined) this.clock.clearTimeout(waiter.timer);
    waiter.timer = undefined;
    if (waiter.onAbort) waiter.request.signal?.removeEventListener('abort', waiter.onAbort);
    waiter.onAbort = undefined;
  }

  private settleRejected(waiter: Waiter, err: BrutalistError): void {
    this.detach(waiter);
    waiter.reject(err);
  }

  /** About ceil(position / slots) run times of this key. */
  private estimateWait(position: number, key: string): number | undefined {
    const hold = this.holdMsByKey.get(key);
    if (hold === undefined) return undefined;
    const slots = Math.min(this.limits.maxConcurrent, this.limits.maxConcurrentPerKey);
    return Math.round(Math.ceil(position / slots) * hold);
  }

  private deadlineError(req: AdmissionRequest): BrutalistError {
    this.publish(req, 'deadline');
    return new BrutalistError(
      'DEADLINE_EXCEEDED',
      'The request deadline passed before a critic slot was free.',
      {
        data: { critic: req.key, phase: 'queued' },
      },
    );
  }

  private full(req: AdmissionRequest, reason: 'full' | 'shed' | 'caller_share' | 'timeout'): BrutalistError {
    this.publish(req, reason);
    const data: ErrorData = {
      critic: req.key,
      reason,
      queued: this.queued,
      limit: this.limits.maxQueueSize,
      retryAfterMs: this.retryAfterMs(req.key),
    };
    const message =
      reason === 'shed'
        ? 'A higher-priority request took this place in the queue; retry later.'
        : reason === 'caller_share'
          ? 'This caller holds its share of the queue while others wait; retry later.'
          : reason === 'timeout'
            ? 'No critic slot became free within the queue timeout; retry later.'
            : undefined;
    return new BrutalistError('QUEUE_FULL', message, { data });
  }

  private publishDepth(priority: number): void {
    if (!admissionDepthChannel.hasSubscribers) return;
    const { running, limits } = this;
    const queuedAtPriority = this.levels[priority]?.size ?? 0;
    admissionDepthChannel.publish({
      priority,
      queuedAtPriority,
      running,
      maxConcurrent: limits.maxConcurrent,
    });
  }

  private publish(req: AdmissionRequest, reason: AdmissionRejectEvent['reason']): void {
    if (!admissionRejectChannel.hasSubscribers) return;
    const event: AdmissionRejectEvent = { key: req.key, reason, priority: req.priority, queued: this.queued };
    admissionRejectChannel.publish(event);
  }
}

function bump(map: Map<string, number>, key: string, by: number): void {
  const next = (map.get(key) ?? 0) + by;
  if (next <= 0) map.delete(key);
  else map.set(key, next);
}

function last<T>(set: Set<T>): T | undefined {
  let out: T | undefined;
  for (const item of set) out = item;
  return out;
}
