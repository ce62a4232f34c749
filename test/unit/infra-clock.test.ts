/** ManualClock, the clock every time-based test drives: due order, ties, cancellation, and what it ignores. */
import { describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../src/infra/index.js';

describe('ManualClock', () => {
  it('starts at a fixed time by default and moves only when advanced, to exactly the target', () => {
    const clock = new ManualClock();
    expect(clock.now()).toBe(1_700_000_000_000);
    clock.advance(250);
    expect(clock.now()).toBe(1_700_000_000_250);
  });

  it('fires due timers in due order, ties in creation order, at their due time, and one armed while firing', () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`late@${clock.now()}`), 30);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => {
      fired.push(`b@${clock.now()}`);
      clock.setTimeout(() => fired.push(`nested@${clock.now()}`), 5);
    }, 10);
    clock.setTimeout(() => fired.push(`past@${clock.now()}`), -5);
    clock.advance(20);
    expect(fired).toEqual(['past@0', 'a@10', 'b@10', 'nested@15']);
    expect(clock.pendingTimers()).toBe(1);
  });

  it('cancels its own timers and ignores handles it did not make', () => {
    const clock = new ManualClock(0);
    let fired = 0;
    const handle = clock.setTimeout(() => fired++, 10);
    clock.clearTimeout(handle);
    clock.setTimeout(() => fired++, 10);
    clock.clearTimeout(null as never);
    clock.clearTimeout(7 as never);
    clock.clearTimeout({} as never);
    clock.advance(10);
    expect(fired).toBe(1);
  });
});

describe('systemClock', () => {
  it('arms timers that do not hold the process open, and cancels them', () => {
    let fired = false;
    const handle = systemClock.setTimeout(() => {
      fired = true;
    }, 60_000);
    expect((handle as NodeJS.Timeout).hasRef()).toBe(false);
    systemClock.clearTimeout(handle);
    expect(fired).toBe(false);
  });
});
