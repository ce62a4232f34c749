// Load shedding: pressure levels from event-loop delay, heap and child count; lowest priorities go first.
import { describe, expect, it } from 'vitest';
import { isBrutalistError } from '../../src/errors/index.js';
import { ManualClock } from '../../src/infra/index.js';
import {
  LoadShedder,
  type PressureReading,
  pressureOf,
  processPressureProbe,
  type ShedEvent,
  shedChannel,
} from '../../src/resilience/index.js';

const THRESHOLDS = { eventLoopDelayMs: 250, heapUsedPct: 80, maxChildren: 32, priorityLevels: 4 };
const CALM: PressureReading = { eventLoopDelayMs: 5, heapUsedPct: 30, children: 2 };

function shedLevels(reading: PressureReading): number[] {
  let current = reading;
  const shedder = new LoadShedder(THRESHOLDS, () => current, new ManualClock());
  current = reading;
  shedder.sample();
  const shed: number[] = [];
  for (let priority = 0; priority < 4; priority++) {
    try {
      shedder.check(priority);
    } catch (err) {
      if (isBrutalistError(err) && err.code === 'OVERLOADED') shed.push(priority);
      else throw err;
    }
  }
  return shed;
}

describe('load shedding', () => {
  it('sheds nothing when calm', () => {
    expect(shedLevels(CALM)).toEqual([]);
  });

  it('sheds batch first, then default, and never interactive or critical', () => {
    expect(shedLevels({ ...CALM, eventLoopDelayMs: 300 })).toEqual([3]);
    expect(shedLevels({ ...CALM, eventLoopDelayMs: 600 })).toEqual([2, 3]);
    expect(shedLevels({ ...CALM, eventLoopDelayMs: 60_000, heapUsedPct: 99, children: 1_000 })).toEqual([
      2, 3,
    ]);
  });

  it('reads each signal against its own threshold', () => {
    expect(pressureOf({ ...CALM, heapUsedPct: 80 }, THRESHOLDS)).toEqual({ level: 1, reason: 'heap' });
    expect(pressureOf({ ...CALM, heapUsedPct: 90 }, THRESHOLDS)).toEqual({ level: 2, reason: 'heap' });
    expect(pressureOf({ ...CALM, children: 32 }, THRESHOLDS)).toEqual({ level: 1, reason: 'children' });
    expect(pressureOf({ ...CALM, children: 64 }, THRESHOLDS)).toEqual({ level: 2, reason: 'children' });
  });

  it('says why in the OVERLOADED data', () => {
    const shedder = new LoadShedder(THRESHOLDS, () => ({ ...CALM, children: 40 }), new ManualClock());
    shedder.sample();
    try {
      shedder.check(3);
      expect.unreachable();
    } catch (err) {
      expect(isBrutalistError(err) && err.data).toMatchObject({ reason: 'children', level: 1, priority: 3 });
    }
  });

  it('samples on the clock once started, and stops', () => {
    const clock = new ManualClock();
    let readings = 0;
    const shedder = new LoadShedder(
      THRESHOLDS,
      () => {
        readings++;
        return CALM;
      },
      clock,
      1_000,
    );
    shedder.start();
    clock.advance(3_000);
    expect(readings).toBe(3);
    shedder.stop();
    clock.advance(3_000);
    expect(readings).toBe(3);
  });

  it('keeps one sampling timer when started twice', () => {
    const clock = new ManualClock();
    let readings = 0;
    const shedder = new LoadShedder(
      THRESHOLDS,
      () => {
        readings++;
        return CALM;
      },
      clock,
      1_000,
    );
    shedder.start();
    shedder.start();
    expect(clock.pendingTimers()).toBe(1);
    clock.advance(2_000);
    expect(readings).toBe(2);
    shedder.stop();
  });

  it('publishes each refusal on the shed channel while someone listens', () => {
    const events: ShedEvent[] = [];
    const off = shedChannel.subscribe((e) => events.push(e));
    try {
      expect(shedLevels({ ...CALM, eventLoopDelayMs: 600 })).toEqual([2, 3]);
      expect(events).toEqual([
        { priority: 2, reason: 'event_loop_delay', level: 2 },
        { priority: 3, reason: 'event_loop_delay', level: 2 },
      ]);
    } finally {
      off();
    }
  });

  it('reads the real process (event-loop delay, heap, children)', () => {
    const real = processPressureProbe(() => 7);
    try {
      const reading = real.probe();
      expect(reading.children).toBe(7);
      expect(reading.heapUsedPct).toBeGreaterThan(0);
      expect(reading.heapUsedPct).toBeLessThan(100);
      // No event-loop turn has passed since the probe started: no delay sample yet reads as 0, not NaN.
      expect(reading.eventLoopDelayMs).toBe(0);
    } finally {
      real.stop();
    }
  });
});
