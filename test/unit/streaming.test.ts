import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/infra/index.js';
import {
  type LogEntry,
  type ProgressNotice,
  RingBuffer,
  StreamHub,
  type StreamingConfig,
  TokenBucket,
} from '../../src/streaming/index.js';

const settle = () => new Promise((r) => setImmediate(r));

const CONFIG: StreamingConfig = {
  maxEventRate: 2,
  maxGlobalEventRate: 20,
  bufferSize: 4,
  coalescingWindowMs: 250,
  dropPolicy: 'drop-oldest',
  heartbeatMs: 5_000,
};

describe('RingBuffer', () => {
  it('keeps FIFO order below capacity', () => {
    const r = new RingBuffer<number>(3, 'drop-oldest');
    r.push(1);
    r.push(2);
    expect(r.drain()).toEqual([1, 2]);
    expect(r.size).toBe(0);
  });

  it.each([
    ['drop-oldest', [3, 4, 5], 2],
    ['drop-newest', [1, 2, 3], 2],
    ['latest-wins', [4, 5], 3],
  ] as const)('%s keeps %j and counts %i dropped', (policy, kept, dropped) => {
    const r = new RingBuffer<number>(3, policy);
    for (const n of [1, 2, 3, 4, 5]) r.push(n);
    expect(r.drain()).toEqual(kept);
    expect(r.takeDropped()).toBe(dropped);
    expect(r.takeDropped()).toBe(0);
  });

  it('rejects a capacity below 1', () => {
    expect(() => new RingBuffer(0, 'drop-oldest')).toThrow(/capacity must be an integer >= 1, got 0/);
  });
});

describe('TokenBucket', () => {
  it('allows a burst of its rate, then refills continuously', () => {
    const clock = new ManualClock();
    const b = new TokenBucket(2, clock);
    expect([b.tryTake(), b.tryTake(), b.tryTake()]).toEqual([true, true, false]);
    expect(b.msUntilToken()).toBe(500);
    clock.advance(500);
    expect(b.tryTake()).toBe(true);
  });

  it('rejects a non-positive rate', () => {
    expect(() => new TokenBucket(0, new ManualClock())).toThrow(/ratePerSecond must be > 0/);
  });
});

function harness(config: StreamingConfig = CONFIG, options: { blockSends?: boolean } = {}) {
  const clock = new ManualClock();
  const hub = new StreamHub(config, clock);
  const progress: Array<ProgressNotice & { at: number }> = [];
  const logs: Array<LogEntry & { dropped: number }> = [];
  let release: (() => void) | undefined;
  const gate = () =>
    options.blockSends
      ? new Promise<void>((r) => {
          release = r;
        })
      : Promise.resolve();
  const stream = hub.open({
    progress: async (n) => {
      progress.push({ ...n, at: clock.now() });
      await gate();
    },
    log: async (e, dropped) => {
      logs.push({ ...e, dropped });
      await gate();
    },
  });
  return { clock, hub, stream, progress, logs, release: () => release?.() };
}

describe('RequestStream', () => {
  it('sends at most maxEventRate notifications per second however many events arrive', async () => {
    const { clock, stream, progress } = harness();
    for (let ms = 0; ms < 10_000; ms += 10) {
      for (let i = 0; i < 100; i++) stream.push({ kind: 'output', critic: 'claude', bytes: 10 });
      clock.advance(10);
      await settle();
    }
    // 10 s at 2/s plus the initial burst of 2.
    expect(progress.length).toBeLessThanOrEqual(22);
    expect(progress.length).toBeGreaterThanOrEqual(18);
    for (let i = 1; i < progress.length; i++) {
      expect(progress[i]!.progress).toBe(progress[i - 1]!.progress + 1);
      expect(progress[i]!.at - progress[i - 1]!.at).toBeGreaterThanOrEqual(CONFIG.coalescingWindowMs);
    }
    expect(progress.at(-1)!.message).toMatch(/^claude running: 97\d\.\d KB \(10s elapsed\)$/);
    stream.close();
  });

  it('coalesces a burst into one notification and reports the queue position while queued', async () => {
    const { clock, stream, progress } = harness();
    stream.push({ kind: 'queued', position: 3, estimatedWaitMs: 4_000 });
    await settle();
    expect(progress[0]!.message).toBe('queued at position 3, ~4s estimated wait (0s elapsed)');
    stream.push({ kind: 'started', critic: 'codex' });
    stream.push({ kind: 'output', critic: 'codex', bytes: 2048 });
    stream.push({ kind: 'tool', critic: 'codex', name: 'Read' });
    clock.advance(1_000);
    await settle();
    expect(progress).toHaveLength(2);
    expect(progress[1]!.message).toBe('codex running: 2.0 KB, 1 tool use (1s elapsed)');
    stream.close();
  });

  it('holds one send in flight while the client is not reading, stays bounded, and recovers', async () => {
    const { clock, stream, progress, logs, release } = harness(CONFIG, { blockSends: true });
    stream.push({ kind: 'started', critic: 'gemini' });
    stream.push({ kind: 'output', critic: 'gemini', bytes: 1 });
    await settle();
    expect(progress).toHaveLength(1);
    for (let i = 0; i < 1_000; i++) {
      stream.push({ kind: 'output', critic: 'gemini', bytes: 1 });
      stream.log({ level: 'info', text: `line ${i}` });
      clock.advance(30);
      await settle();
    }
    // 30 s of a stalled client: nothing else was sent, the ring held at most bufferSize lines.
    expect(progress).toHaveLength(1);
    expect(logs).toHaveLength(0);
    release();
    await settle();
    clock.advance(1_000);
    await settle();
    expect(logs).toHaveLength(1);
    expect(logs[0]!.text.split('\n')).toEqual(['line 996', 'line 997', 'line 998', 'line 999']);
    expect(logs[0]!.dropped).toBe(996);
    expect(stream.close().droppedEvents).toBe(996);
  });

  it('tells the client how many lines were dropped in the next notification and in the final count', async () => {
    const { clock, stream, progress, logs, release } = harness(
      { ...CONFIG, bufferSize: 1, dropPolicy: 'drop-newest' },
      { blockSends: true },
    );
    stream.push({ kind: 'output', critic: 'claude', bytes: 1 });
    await settle();
    for (const text of ['a', 'b', 'c']) stream.log({ level: 'warning', text });
    release();
    await settle();
    clock.advance(1_000);
    await settle();
    expect(logs).toEqual([{ level: 'warning', text: 'a', dropped: 2 }]);
    release();
    await settle();
    expect(progress).toHaveLength(1);
    expect(stream.close().droppedEvents).toBe(2);
  });

  it('does not spend a notification on a start or an end alone', async () => {
    const { clock, stream, progress } = harness();
    stream.push({ kind: 'started', critic: 'codex' });
    stream.push({ kind: 'done', critic: 'codex', ok: true });
    clock.advance(1_000);
    await settle();
    expect(progress).toEqual([]);
    stream.push({ kind: 'output', critic: 'codex', bytes: 10 });
    await settle();
    expect(progress.map((p) => p.message)).toEqual(['codex done: 0.0 KB (1s elapsed)']);
    stream.close();
  });

  it('sends a heartbeat at least every heartbeatMs while nothing moves, and stops when closed', async () => {
    const { clock, stream, progress, hub } = harness();
    clock.advance(5_000);
    await settle();
    clock.advance(5_000);
    await settle();
    expect(progress.map((p) => p.progress)).toEqual([1, 2]);
    expect(progress[1]!.message).toBe('starting (10s elapsed)');
    stream.close();
    expect(hub.openStreams).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
    clock.advance(60_000);
    await settle();
    expect(progress).toHaveLength(2);
  });

  it('shares the global rate between requests', async () => {
    const config = { ...CONFIG, maxEventRate: 100, maxGlobalEventRate: 4, coalescingWindowMs: 0 };
    const clock = new ManualClock();
    const hub = new StreamHub(config, clock);
    let sent = 0;
    const streams = [1, 2, 3].map(() => hub.open({ progress: async () => void sent++ }));
    for (let t = 0; t < 5_000; t += 10) {
      for (const s of streams) s.push({ kind: 'output', critic: 'claude', bytes: 1 });
      clock.advance(10);
      await settle();
    }
    // 5 s at 4/s plus the burst of 4.
    expect(sent).toBeLessThanOrEqual(24);
    for (const s of streams) s.close();
  });

  it('keeps going when the sink throws (the client went away)', async () => {
    const clock = new ManualClock();
    const hub = new StreamHub(CONFIG, clock);
    let calls = 0;
    const stream = hub.open({
      progress: async () => {
        calls++;
        throw new Error('closed');
      },
    });
    stream.push({ kind: 'output', critic: 'claude', bytes: 1 });
    await settle();
    clock.advance(1_000);
    stream.push({ kind: 'output', critic: 'claude', bytes: 1 });
    stream.push({ kind: 'done', critic: 'claude', ok: true });
    await settle();
    expect(calls).toBe(2);
    expect(stream.describe()).toBe('claude done: 0.0 KB (1s elapsed)');
    stream.close();
  });
});
