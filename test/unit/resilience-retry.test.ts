// Retry pieces: which failures are transient, full-jitter backoff, and the per-critic retry budget.
import { describe, expect, it } from 'vitest';
import { BrutalistError } from '../../src/errors/index.js';
import { ManualClock } from '../../src/infra/index.js';
import { fullJitterBackoff, isTransient, RetryBudget } from '../../src/resilience/index.js';

describe('isTransient', () => {
  it('retries RATE_LIMITED and crashes before any output only', () => {
    expect(isTransient(new BrutalistError('RATE_LIMITED'), 500)).toBe(true);
    expect(isTransient(new BrutalistError('CLI_KILLED'), 0)).toBe(true);
    expect(isTransient(new BrutalistError('CLI_FAILED'), 0)).toBe(true);
    expect(isTransient(new BrutalistError('CLI_SPAWN_FAILED'), 0)).toBe(true);
    expect(isTransient(new BrutalistError('CLI_KILLED'), 1)).toBe(false);
  });

  it('does not retry a rate limit the CLI already retried until a watchdog stopped it', () => {
    const stalled = new BrutalistError('RATE_LIMITED', undefined, { data: { exitClass: 'stalled' } });
    expect(isTransient(stalled, 0)).toBe(false);
    const quick = new BrutalistError('RATE_LIMITED', undefined, { data: { exitClass: 'exit:1' } });
    expect(isTransient(quick, 0)).toBe(true);
  });

  it('never retries our own rejections, validation errors or deadline expiry', () => {
    for (const code of [
      'QUEUE_FULL',
      'CIRCUIT_OPEN',
      'OVERLOADED',
      'INVALID_ARGUMENT',
      'DEADLINE_EXCEEDED',
      'CANCELLED',
      'AUTH_REQUIRED',
      'CLI_TIMEOUT',
    ] as const) {
      expect(isTransient(new BrutalistError(code), 0)).toBe(false);
    }
  });
});

describe('fullJitterBackoff', () => {
  it('draws each delay uniformly below base × 2^n, capped at the maximum', () => {
    const top = fullJitterBackoff({ baseDelayMs: 100, maxDelayMs: 1_000, random: () => 0.999_999 });
    expect(Array.from({ length: 6 }, () => top.next())).toEqual([99, 199, 399, 799, 999, 999]);
    const bottom = fullJitterBackoff({ baseDelayMs: 100, maxDelayMs: 1_000, random: () => 0 });
    expect(Array.from({ length: 3 }, () => bottom.next())).toEqual([0, 0, 0]);
  });
});

describe('RetryBudget', () => {
  it('allows max(minimum, 10% of first attempts) retries per window', () => {
    const clock = new ManualClock();
    const budget = new RetryBudget({ ratioPct: 10, minPerWindow: 2, windowMs: 60_000 }, clock);
    for (let i = 0; i < 100; i++) budget.recordRequest();
    let granted = 0;
    for (let i = 0; i < 100; i++) if (budget.tryRetry()) granted++;
    expect(granted).toBe(10);
  });

  it('keeps the minimum at low traffic', () => {
    const clock = new ManualClock();
    const budget = new RetryBudget({ ratioPct: 10, minPerWindow: 2, windowMs: 60_000 }, clock);
    budget.recordRequest();
    expect([budget.tryRetry(), budget.tryRetry(), budget.tryRetry()]).toEqual([true, true, false]);
  });

  it('refills as the window slides past old attempts', () => {
    const clock = new ManualClock();
    const budget = new RetryBudget({ ratioPct: 10, minPerWindow: 0, windowMs: 60_000 }, clock);
    for (let i = 0; i < 10; i++) budget.recordRequest();
    expect(budget.tryRetry()).toBe(true);
    expect(budget.tryRetry()).toBe(false);
    clock.advance(61_000);
    expect(budget.usage()).toEqual({ requests: 0, retries: 0 });
    for (let i = 0; i < 10; i++) budget.recordRequest();
    expect(budget.tryRetry()).toBe(true);
  });
});
