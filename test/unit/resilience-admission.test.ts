// Bounded priority admission: capacity, queue bound, eviction by priority, deadlines, cancellation, fairness.
import { describe, expect, it } from 'vitest';
import { type BrutalistError, isBrutalistError } from '../../src/errors/index.js';
import { type Clock, ManualClock } from '../../src/infra/index.js';
import {
  type AdmissionLimits,
  type AdmissionPermit,
  AdmissionQueue,
  type AdmissionRequest,
} from '../../src/resilience/index.js';

const LIMITS: AdmissionLimits = {
  maxConcurrent: 2,
  maxConcurrentPerKey: 2,
  maxQueueSize: 4,
  queueTimeoutMs: 60_000,
  maxCallerSharePct: 100,
  priorityLevels: 4,
};

type Settled = { permit: AdmissionPermit } | { error: BrutalistError } | 'pending';

function setup(limits: Partial<AdmissionLimits> = {}) {
  const clock = new ManualClock();
  const queue = new AdmissionQueue({ ...LIMITS, ...limits }, clock);
  /** Acquires and records how the promise settles, without awaiting it. */
  const take = (request: Partial<AdmissionRequest> = {}) => {
    const result: { value: Settled } = { value: 'pending' };
    queue
      .acquire({
        key: 'claude',
        priority: 2,
        caller: 'alice',
        deadlineAt: clock.now() + 600_000,
        ...request,
      })
      .then(
        (permit) => {
          result.value = { permit };
        },
        (error: BrutalistError) => {
          result.value = { error };
        },
      );
    return result;
  };
  return { clock, queue, take };
}

/** Lets promise callbacks run. */
const flush = () => new Promise<void>((r) => setImmediate(r));
const permitOf = (s: { value: Settled }) =>
  typeof s.value === 'object' && 'permit' in s.value ? s.value.permit : undefined;
const errorOf = (s: { value: Settled }) =>
  typeof s.value === 'object' && 'error' in s.value ? s.value.error : undefined;

describe('admission capacity', () => {
  it('admits exactly C + Q of 20 simultaneous calls and rejects 14 with QUEUE_FULL {queued, limit, retryAfterMs}', async () => {
    const { take, queue } = setup();
    const calls = Array.from({ length: 20 }, () => take());
    await flush();
    expect(calls.filter((c) => permitOf(c))).toHaveLength(2);
    const rejected = calls.map(errorOf).filter((e) => e !== undefined);
    expect(rejected).toHaveLength(14);
    expect(rejected.every((e) => e.code === 'QUEUE_FULL')).toBe(true);
    expect(rejected[0]!.data).toMatchObject({ queued: 4, limit: 4, reason: 'full' });
    // No run has finished yet: the documented default suggestion.
    expect(rejected[0]!.data.retryAfterMs).toBe(1_000);
    // The queued four are admitted as slots free up.
    for (let i = 0; i < 4; i++) {
      const running = calls.map(permitOf).filter((p) => p !== undefined);
      running[i]!.release();
      await flush();
    }
    expect(calls.filter((c) => permitOf(c))).toHaveLength(6);
    expect(queue.snapshot()).toMatchObject({ running: 2, queued: 0 });
  });

  it('suggests retryAfterMs from recent hold times divided among the running slots', async () => {
    const { take, clock } = setup({ maxQueueSize: 0 });
    const first = take();
    await flush();
    clock.advance(8_000);
    permitOf(first)!.release();
    take();
    take();
    await flush();
    const full = take();
    await flush();
    // One run held its slot 8 s; two slots are running now: about 4 s until one frees.
    expect(errorOf(full)?.data).toMatchObject({ reason: 'full', retryAfterMs: 4_000 });
  });

  it('rejects within the same tick when the queue is full', async () => {
    const { take } = setup({ maxQueueSize: 0, maxConcurrent: 1 });
    take();
    const second = take();
    await Promise.resolve();
    await Promise.resolve();
    expect(errorOf(second)?.code).toBe('QUEUE_FULL');
  });

  it('applies the per-key limit while other keys still run', async () => {
    const { take } = setup({ maxConcurrent: 4, maxConcurrentPerKey: 1 });
    const a1 = take({ key: 'claude' });
    const a2 = take({ key: 'claude' });
    const b1 = take({ key: 'codex' });
    await flush();
    expect(permitOf(a1)).toBeDefined();
    expect(a2.value).toBe('pending');
    expect(permitOf(b1)).toBeDefined();
  });

  it('wakes waiters on release, with no timer other than their own deadline', async () => {
    const { take, clock } = setup({ maxConcurrent: 1 });
    const first = take();
    const waiters = [take(), take()];
    await flush();
    expect(clock.pendingTimers()).toBe(2); // one per waiter; nothing polls
    permitOf(first)!.release();
    await flush();
    expect(permitOf(waiters[0]!)).toBeDefined();
    expect(clock.pendingTimers()).toBe(1);
  });

  it('is FIFO within a level and serves higher levels first', async () => {
    const { take } = setup({ maxConcurrent: 1, maxQueueSize: 10 });
    const running = take();
    const order: string[] = [];
    const names = ['batch-1', 'default-1', 'batch-2', 'critical-1', 'default-2'];
    const priorities = [3, 2, 3, 0, 2];
    const waiters = names.map((n, i) => ({ n, s: take({ priority: priorities[i]! }) }));
    await flush();
    let current = permitOf(running)!;
    for (let i = 0; i < names.length; i++) {
      current.release();
      await flush();
      const next = waiters.find((w) => permitOf(w.s) && !order.includes(w.n))!;
      order.push(next.n);
      current = permitOf(next.s)!;
    }
    expect(order).toEqual(['critical-1', 'default-1', 'default-2', 'batch-1', 'batch-2']);
  });

  it('reports queue positions as they change', async () => {
    const { take } = setup({ maxConcurrent: 1 });
    const running = take();
    const seen: number[] = [];
    take();
    take({ onQueued: (position) => seen.push(position) });
    await flush();
    expect(seen).toEqual([2]);
    permitOf(running)!.release();
    await flush();
    expect(seen).toEqual([2, 1]);
  });
});

describe('admission eviction by priority', () => {
  it('lets a higher-priority arrival evict the newest lowest-priority waiter (reason "shed")', async () => {
    const { take } = setup({ maxConcurrent: 1, maxQueueSize: 2 });
    take();
    const oldBatch = take({ priority: 3 });
    const newBatch = take({ priority: 3 });
    const interactive = take({ priority: 1 });
    await flush();
    expect(errorOf(newBatch)?.code).toBe('QUEUE_FULL');
    expect(errorOf(newBatch)?.data.reason).toBe('shed');
    expect(oldBatch.value).toBe('pending');
    expect(interactive.value).toBe('pending');
  });

  it('never lets a lower-priority arrival evict a higher-priority waiter', async () => {
    const { take } = setup({ maxConcurrent: 1, maxQueueSize: 2 });
    take();
    const a = take({ priority: 1 });
    const b = take({ priority: 1 });
    const batch = take({ priority: 3 });
    const same = take({ priority: 1 });
    await flush();
    expect(errorOf(batch)?.data.reason).toBe('full');
    expect(errorOf(same)?.data.reason).toBe('full');
    expect([a.value, b.value]).toEqual(['pending', 'pending']);
  });
});

describe('admission deadlines and cancellation', () => {
  it('refuses work whose deadline already passed, without queueing it', async () => {
    const { take, clock, queue } = setup();
    const late = take({ deadlineAt: clock.now() });
    await flush();
    expect(errorOf(late)?.code).toBe('DEADLINE_EXCEEDED');
    expect(queue.snapshot()).toMatchObject({ running: 0, queued: 0 });
  });

  it('rejects a waiter with DEADLINE_EXCEEDED when its deadline passes in the queue', async () => {
    const { take, clock } = setup({ maxConcurrent: 1 });
    take();
    const waiter = take({ deadlineAt: clock.now() + 5_000 });
    clock.advance(5_000);
    await flush();
    expect(errorOf(waiter)?.code).toBe('DEADLINE_EXCEEDED');
    expect(errorOf(waiter)?.data.phase).toBe('queued');
  });

  it('checks the deadline again on dequeue and never grants an expired waiter', async () => {
    const { take, clock } = setup({ maxConcurrent: 1 });
    const first = take();
    await flush();
    // The slot frees at the very moment the waiter's deadline falls due, before the waiter's own timer fires
    // (timers due together fire in creation order, and this one is older).
    clock.setTimeout(() => permitOf(first)!.release(), 5_000);
    const waiter = take({ deadlineAt: clock.now() + 5_000 });
    const next = take();
    await flush();
    clock.advance(5_000);
    await flush();
    expect(errorOf(waiter)?.code).toBe('DEADLINE_EXCEEDED');
    expect(permitOf(next)).toBeDefined();
  });

  it('gives up after queueTimeoutMs with QUEUE_FULL reason "timeout"', async () => {
    const { take, clock } = setup({ maxConcurrent: 1, queueTimeoutMs: 1_000 });
    take();
    const waiter = take();
    clock.advance(1_000);
    await flush();
    expect(errorOf(waiter)?.data.reason).toBe('timeout');
  });

  it('ends a wait bounded by the deadline with DEADLINE_EXCEEDED even when its timer fires a little early', async () => {
    // libuv schedules timers from its cached loop time, so under load a timer can run before Date.now() reaches
    // the deadline it was armed for: such a clock fires 5 ms early here.
    const clock = new ManualClock();
    const early: Clock = {
      now: () => clock.now(),
      setTimeout: (fn, ms) => clock.setTimeout(fn, Math.max(0, ms - 5)),
      clearTimeout: (handle) => clock.clearTimeout(handle),
    };
    const queue = new AdmissionQueue({ ...LIMITS, maxConcurrent: 1 }, early);
    const request = { key: 'claude', priority: 2, caller: 'alice' };
    await queue.acquire({ ...request, deadlineAt: clock.now() + 600_000 });
    const waiting = queue
      .acquire({ ...request, deadlineAt: clock.now() + 150 })
      .catch((e: BrutalistError) => e);
    clock.advance(145);
    const error = await waiting;
    expect(isBrutalistError(error) && error.code).toBe('DEADLINE_EXCEEDED');
  });

  it('takes a cancelled waiter out at once and never grants it', async () => {
    const { take, queue } = setup({ maxConcurrent: 1 });
    const first = take();
    const controller = new AbortController();
    const waiter = take({ signal: controller.signal });
    await flush();
    controller.abort();
    expect(queue.snapshot().queued).toBe(0); // synchronously, within the abort
    await flush();
    expect(errorOf(waiter)?.code).toBe('CANCELLED');
    permitOf(first)!.release();
    expect(queue.snapshot().running).toBe(0);
  });
});

describe('admission fairness', () => {
  it('keeps one caller from holding more than its share while another caller waits', async () => {
    const { take } = setup({ maxConcurrent: 2, maxQueueSize: 6, maxCallerSharePct: 50 });
    // bob waits first so "others are waiting" holds; alice then floods.
    const alice = Array.from({ length: 2 }, () => take({ caller: 'alice' }));
    const bob = take({ caller: 'bob' });
    const flood = Array.from({ length: 8 }, () => take({ caller: 'alice' }));
    await flush();
    // share = 50% of 8 slots = 4: alice holds 2 running + 2 queued, the rest are refused.
    expect(flood.filter((f) => errorOf(f)?.data.reason === 'caller_share')).toHaveLength(6);
    expect(bob.value).toBe('pending');
    // bob is served before alice's queued calls.
    permitOf(alice[0]!)!.release();
    await flush();
    expect(permitOf(bob)).toBeDefined();
  });

  it('lets a lone caller use every slot when nobody else waits', async () => {
    const { take } = setup({ maxConcurrent: 2, maxQueueSize: 4, maxCallerSharePct: 25 });
    const calls = Array.from({ length: 6 }, () => take({ caller: 'local' }));
    await flush();
    expect(calls.filter((c) => errorOf(c))).toHaveLength(0);
  });

  it('makes room for another caller by evicting the greediest caller newest waiter', async () => {
    const { take } = setup({ maxConcurrent: 1, maxQueueSize: 3, maxCallerSharePct: 50 });
    take({ caller: 'alice' });
    const queued = Array.from({ length: 3 }, () => take({ caller: 'alice' }));
    const bob = take({ caller: 'bob' });
    await flush();
    expect(errorOf(queued[2]!)?.data.reason).toBe('caller_share');
    expect(bob.value).toBe('pending');
  });
});

describe('admission errors', () => {
  it('are BrutalistErrors with stable codes', async () => {
    const { take } = setup({ maxConcurrent: 1, maxQueueSize: 0 });
    take();
    const r = take();
    await flush();
    expect(isBrutalistError(errorOf(r))).toBe(true);
  });
});
