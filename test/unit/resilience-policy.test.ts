// Resilience settings from the Config: breaker policy checks, per-caller priorities, a request's priority and deadline.
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/engine/config.js';
import { CriticGuard } from '../../src/engine/guarded-runner.js';
import { isBrutalistError } from '../../src/errors/index.js';
import { ManualClock } from '../../src/infra/index.js';
import {
  admissionLimitsFrom,
  breakerPolicyFrom,
  callerPrioritiesFrom,
  priorityLevel,
} from '../../src/resilience/index.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isBrutalistError(err) ? err.code : 'other';
  }
  return undefined;
}

describe('resilience settings', () => {
  it('refuses breakerMinimumCalls above breakerWindowSize when the config is resolved', () => {
    expect(codeOf(() => resolveConfig({ overrides: { breakerWindowSize: 5, breakerMinimumCalls: 6 } }))).toBe(
      'CONFIG_INVALID',
    );
  });

  it('hands the breaker and admission the configured values, unclamped', () => {
    const config = resolveConfig({
      overrides: {
        breakerRecoveryTimeoutMs: 2_000,
        breakerMaxRecoveryTimeoutMs: 3_000,
        maxConcurrent: 4,
        maxConcurrentPerCritic: 3,
      },
    });
    expect(breakerPolicyFrom(config)).toMatchObject({
      recoveryTimeoutMs: 2_000,
      maxRecoveryTimeoutMs: 3_000,
    });
    expect(admissionLimitsFrom(config)).toEqual({
      maxConcurrent: 4,
      maxConcurrentPerKey: 3,
      maxQueueSize: config.maxQueueSize,
      queueTimeoutMs: config.queueTimeoutMs,
      maxCallerSharePct: config.maxCallerSharePct,
      priorityLevels: 4,
    });
  });

  it('parses callerPriorities as owner=level and refuses anything else when the config is resolved', () => {
    const ok = resolveConfig({ overrides: { callerPriorities: ['ci=batch', 'ops@team=critical'] } });
    expect([...callerPrioritiesFrom(ok)]).toEqual([
      ['ci', 'batch'],
      ['ops@team', 'critical'],
    ]);
    for (const bad of ['ci', '=batch', 'ci=urgent']) {
      expect(codeOf(() => resolveConfig({ overrides: { callerPriorities: [bad] } }))).toBe('CONFIG_INVALID');
    }
    expect(codeOf(() => callerPrioritiesFrom({ callerPriorities: ['ci'] }))).toBe('CONFIG_INVALID');
    // A malformed item that reached it anyway is named with the rule (mutation testing: the message was unchecked).
    expect(() => callerPrioritiesFrom({ callerPriorities: ['ok=batch', 'ci'] })).toThrow(
      'callerPriorities must be a list of owner=critical|interactive|default|batch items, got "ci" (string)',
    );
  });

  it('refuses an unknown defaultPriority when the config is resolved', () => {
    expect(codeOf(() => resolveConfig({ overrides: { defaultPriority: 'urgent' } }))).toBe('CONFIG_INVALID');
  });

  it('orders the levels critical, interactive, default, batch', () => {
    expect(['critical', 'interactive', 'default', 'batch'].map((p) => priorityLevel(p as never))).toEqual([
      0, 1, 2, 3,
    ]);
  });
});

describe('a request priority and deadline', () => {
  const clock = new ManualClock(1_000);
  const config = resolveConfig({
    overrides: { callerPriorities: ['ci=batch'], defaultPriority: 'interactive', requestTimeoutMs: 60_000 },
  });
  const guard = new CriticGuard({
    config,
    clock,
    pressure: () => ({ eventLoopDelayMs: 0, heapUsedPct: 0, children: 0 }),
    runner: () => Promise.reject(new Error('not used')),
  });

  it('takes the argument, else the caller default, else defaultPriority', () => {
    expect(guard.callFor('critical', 'ci', undefined).priority).toBe(0);
    expect(guard.callFor(undefined, 'ci', undefined).priority).toBe(3);
    expect(guard.callFor(undefined, 'someone', undefined).priority).toBe(1);
  });

  it("takes the client's timeout, capped by requestTimeoutMs", () => {
    expect(guard.callFor(undefined, 'x', 5_000).deadlineAt).toBe(6_000);
    expect(guard.callFor(undefined, 'x', 10 * 60_000).deadlineAt).toBe(61_000);
    expect(guard.callFor(undefined, 'x', undefined).deadlineAt).toBe(61_000);
  });
});
