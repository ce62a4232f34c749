// Drain with a manual clock: admission counting, refusal while draining, the grace period, untilIdle.
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { isBrutalistError } from '../../src/errors/index.js';
import { ManualClock } from '../../src/infra/index.js';
import { Drain, untilIdle } from '../../src/transport/index.js';

/** A response that only needs to close and take headers. */
type FakeResponse = ServerResponse & { headers: Record<string, string> };

function response(): FakeResponse {
  const headers: Record<string, string> = {};
  const emitter = new EventEmitter();
  // The Drain uses only once('close') and setHeader: a real ServerResponse needs a socket.
  return Object.assign(emitter, {
    headers,
    setHeader(name: string, value: string) {
      headers[name] = value;
      return emitter;
    },
  }) as unknown as FakeResponse;
}

describe('Drain', () => {
  it('resolves drained once the last admitted response closes', async () => {
    const drain = new Drain(new ManualClock(), 5_000);
    const a = response();
    const b = response();
    drain.enter(a);
    drain.enter(b);
    let outcome: unknown;
    const done = drain.start(30_000).then((o) => {
      outcome = o;
    });
    a.emit('close');
    await Promise.resolve();
    expect(outcome).toBeUndefined();
    b.emit('close');
    await done;
    expect(outcome).toEqual({ drained: true, remaining: 0 });
  });

  it('refuses new requests with SHUTTING_DOWN, retryAfterMs and Connection: close once draining', () => {
    const drain = new Drain(new ManualClock(), 7_000);
    void drain.start(1_000);
    const res = response();
    let error: unknown;
    try {
      drain.enter(res);
    } catch (err) {
      error = err;
    }
    expect(isBrutalistError(error) && error.code).toBe('SHUTTING_DOWN');
    expect(isBrutalistError(error) && error.data.retryAfterMs).toBe(7_000);
    expect(res.headers.Connection).toBe('close');
    expect(drain.inflight).toBe(0);
  });

  it('gives up after the grace period, reporting what is still open', async () => {
    const clock = new ManualClock();
    const drain = new Drain(clock, 5_000);
    drain.enter(response());
    const outcome = drain.start(2_000);
    clock.advance(2_000);
    expect(await outcome).toEqual({ drained: false, remaining: 1 });
  });
});

describe('untilIdle', () => {
  it('waits for the last call to finish, or the grace period', async () => {
    const clock = new ManualClock();
    const listeners: Array<() => void> = [];
    const tracker = {
      inflight: 1,
      onFinish: (l: () => void) => {
        listeners.push(l);
        return () => listeners.splice(listeners.indexOf(l), 1);
      },
    };
    const idle = untilIdle(tracker, clock, 1_000);
    tracker.inflight = 0;
    for (const l of [...listeners]) l();
    expect(await idle).toBe(true);
    tracker.inflight = 2;
    const late = untilIdle(tracker, clock, 1_000);
    clock.advance(1_000);
    expect(await late).toBe(false);
    expect(listeners).toHaveLength(0);
  });

  it('answers idle at once with nothing in flight, and keeps waiting while a finish leaves calls open', async () => {
    const clock = new ManualClock();
    let finish: () => void = () => {};
    const tracker = {
      inflight: 0,
      onFinish: (l: () => void) => {
        finish = l;
        return () => {};
      },
    };
    expect(await untilIdle(tracker, clock, 1_000)).toBe(true);
    expect(clock.pendingTimers()).toBe(0);
    tracker.inflight = 2;
    const idle = untilIdle(tracker, clock, 1_000);
    tracker.inflight = 1;
    finish();
    clock.advance(999);
    tracker.inflight = 0;
    finish();
    expect(await idle).toBe(true);
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('Drain with nothing in flight', () => {
  it('drains at once and refuses from then on', async () => {
    const clock = new ManualClock();
    const drain = new Drain(clock, 5_000);
    expect(await drain.start(2_000)).toEqual({ drained: true, remaining: 0 });
    expect(drain.draining).toBe(true);
    const res = response();
    let code: string | undefined;
    try {
      drain.enter(res);
    } catch (err) {
      code = isBrutalistError(err) ? err.code : undefined;
    }
    expect(code).toBe('SHUTTING_DOWN');
    expect(drain.inflight).toBe(0);
  });
});
