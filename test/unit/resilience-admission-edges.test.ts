// Admission edge cases: bad limits, clamped priorities, pre-aborted signals, double release, snapshots, share rules.
import { describe, expect, it } from 'vitest';
import { type BrutalistError, isBrutalistError } from '../../src/errors/index.js';
import { ManualClock } from '../../src/infra/index.js';
import {
  type AdmissionLimits,
  type AdmissionPermit,
  AdmissionQueue,
  type AdmissionRequest,
  admissionDepthChannel,
  admissionRejectChannel,
} from '../../src/resilience/index.js';

const LIMITS: AdmissionLimits = {
  maxConcurrent: 1,
  maxConcurrentPerKey: 1,
  maxQueueSize: 2,
  queueTimeoutMs: 60_000,
  maxCallerSharePct: 100,
  priorityLevels: 3,
};

type Settled = { permit: AdmissionPermit } | { error: BrutalistError } | 'pending';

function setup(limits: Partial<AdmissionLimits> = {}) {
  const clock = new ManualClock();
  const queue = new AdmissionQueue({ ...LIMITS, ...limits }, clock);
  const take = (request: Partial<AdmissionRequest> = {}) => {
    const result: { value: Settled } = { value: 'pending' };
    queue
      .acquire({ key: 'claude', priority: 1, caller: 'alice', deadlineAt: clock.now() + 600_000, ...request })
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

const flush = () => new Promise<void>((r) => setImmediate(r));
const permitOf = (s: { value: Settled }) =>
  typeof s.value === 'object' && 'permit' in s.value ? s.value.permit : undefined;
const errorOf = (s: { value: Settled }) =>
  typeof s.value === 'object' && 'error' in s.value ? s.value.error : undefined;

describe('admission limits and arguments', () => {
  it.each([0, 1.5])('refuses priorityLevels %s with CONFIG_INVALID', (priorityLevels) => {
    let error: unknown;
    try {
      new AdmissionQueue({ ...LIMITS, priorityLevels }, new ManualClock());
    } catch (err) {
      error = err;
    }
    expect(isBrutalistError(error) && error.code).toBe('CONFIG_INVALID');
    expect((error as Error).message).toBe(`priorityLevels must be an integer >= 1, got ${priorityLevels}`);
  });

  it('rejects at once with CANCELLED when the signal is already aborted, holding no slot', async () => {
    const { take, queue } = setup();
    const call = take({ signal: AbortSignal.abort() });
    await flush();
    expect(errorOf(call)?.code).toBe('CANCELLED');
    expect(queue.snapshot()).toMatchObject({ running: 0, queued: 0 });
  });

  it.each([
    [99, 'above the lowest level'],
    [Number.NaN, 'not a number'],
  ])('treats priority %s (%s) as the lowest level, so a level-0 arrival sheds it', async (priority) => {
    const { take } = setup({ maxQueueSize: 1 });
    take();
    const low = take({ priority });
    const urgent = take({ priority: 0 });
    await flush();
    expect(errorOf(low)?.data.reason).toBe('shed');
    expect(urgent.value).toBe('pending');
  });

  it('clamps a negative priority to level 0, which nothing can shed', async () => {
    const { take } = setup({ maxQueueSize: 1 });
    take();
    const first = take({ priority: -5 });
    const second = take({ priority: 0 });
    await flush();
    expect(first.value).toBe('pending');
    expect(errorOf(second)?.data.reason).toBe('full');
  });
});

describe('admission permits and snapshots', () => {
  it('ignores a second release of the same permit', async () => {
    const { take, queue } = setup({ maxConcurrent: 2, maxConcurrentPerKey: 2 });
    const a = take();
    take();
    await flush();
    permitOf(a)!.release();
    permitOf(a)!.release();
    expect(queue.snapshot().running).toBe(1);
  });

  it('lists a key that only has waiters in the snapshot with running 0', async () => {
    const { take, queue } = setup({ maxConcurrentPerKey: 1, maxConcurrent: 1 });
    take({ key: 'claude' });
    take({ key: 'codex' });
    await flush();
    expect(queue.snapshot().byKey).toEqual({
      claude: { running: 1, queued: 0 },
      codex: { running: 0, queued: 1 },
    });
  });

  it('suggests retryAfterMs from the last hold time once nothing of that key runs', async () => {
    const { take, queue, clock } = setup();
    const a = take();
    await flush();
    clock.advance(3_000);
    permitOf(a)!.release();
    expect(queue.retryAfterMs('claude')).toBe(3_000);
    expect(queue.retryAfterMs('never-ran')).toBe(1_000);
  });

  it('passes over a waiter whose key is at its limit and serves the next key behind it', async () => {
    const { take } = setup({ maxConcurrent: 2, maxConcurrentPerKey: 1, maxQueueSize: 4 });
    take({ key: 'claude' });
    const codex = take({ key: 'codex' });
    const claudeWaiter = take({ key: 'claude' });
    const codexWaiter = take({ key: 'codex' });
    await flush();
    permitOf(codex)!.release();
    await flush();
    expect(claudeWaiter.value).toBe('pending');
    expect(permitOf(codexWaiter)).toBeDefined();
  });

  it('tells waiters only about their own key', async () => {
    const { take, queue } = setup({ maxConcurrent: 1, maxQueueSize: 4 });
    const positions: string[] = [];
    const first = take({ key: 'claude' });
    take({ key: 'codex', onQueued: (p) => positions.push(`codex@${p}`) });
    take({ key: 'claude', onQueued: (p) => positions.push(`claude@${p}`) });
    await flush();
    expect(positions).toEqual(['codex@1', 'claude@1']);
    permitOf(first)!.release();
    await flush();
    expect(queue.snapshot().byKey.codex).toEqual({ running: 1, queued: 0 });
    expect(positions).toEqual(['codex@1', 'claude@1']);
  });
});

describe('admission caller share', () => {
  it('serves a waiter over its running share when no one else waits at that level', async () => {
    const { take } = setup({
      maxConcurrent: 2,
      maxConcurrentPerKey: 2,
      maxQueueSize: 4,
      maxCallerSharePct: 50,
    });
    const running = take({ caller: 'alice' });
    take({ caller: 'alice' });
    const waiter = take({ caller: 'alice' });
    await flush();
    permitOf(running)!.release();
    await flush();
    expect(permitOf(waiter)).toBeDefined();
  });

  it('refuses a lone caller over its share with "full" once the queue is full, never evicting its own waiters', async () => {
    const { take } = setup({ maxConcurrent: 1, maxQueueSize: 2, maxCallerSharePct: 50 });
    const mine = [take(), take(), take()];
    const late = take();
    await flush();
    expect(errorOf(late)?.data.reason).toBe('full');
    expect(mine.map((m) => (permitOf(m) ? 'running' : m.value))).toEqual(['running', 'pending', 'pending']);
  });

  it('refuses with "full" when nobody in a full queue holds more than its share', async () => {
    const { take } = setup({ maxConcurrent: 1, maxQueueSize: 2, maxCallerSharePct: 50 });
    take({ caller: 'a' });
    take({ caller: 'b' });
    take({ caller: 'c' });
    const d = take({ caller: 'd' });
    await flush();
    expect(errorOf(d)?.data.reason).toBe('full');
  });
});

describe('admission events', () => {
  it('publishes each refusal with its reason and each depth change while someone listens', async () => {
    const rejects: unknown[] = [];
    const depths: unknown[] = [];
    const offReject = admissionRejectChannel.subscribe((e) => rejects.push(e));
    const offDepth = admissionDepthChannel.subscribe((e) => depths.push(e));
    try {
      const { take } = setup({ maxQueueSize: 1 });
      take();
      take();
      take();
      await flush();
      expect(rejects).toEqual([{ key: 'claude', reason: 'full', priority: 1, queued: 1 }]);
      expect(depths).toEqual([
        { priority: 1, queuedAtPriority: 0, running: 1, maxConcurrent: 1 },
        { priority: 1, queuedAtPriority: 1, running: 1, maxConcurrent: 1 },
      ]);
    } finally {
      offReject();
      offDepth();
    }
  });
});
