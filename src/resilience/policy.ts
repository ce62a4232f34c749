/** Resilience settings derived from the Config: breaker policy, admission limits, priorities per caller. */
import { type Config, PRIORITY_NAMES, type PriorityName } from '../config/index.js';
import { BrutalistError } from '../errors/index.js';
import type { AdmissionLimits } from './admission.js';
import type { BreakerPolicy } from './breaker-state.js';

export function breakerPolicyFrom(config: Config): BreakerPolicy {
  if (config.breakerMinimumCalls > config.breakerWindowSize) {
    throw new BrutalistError(
      'CONFIG_INVALID',
      `breakerMinimumCalls must be <= breakerWindowSize (${config.breakerWindowSize}), got ${config.breakerMinimumCalls} (number)`,
      { data: { option: 'breakerMinimumCalls' } },
    );
  }
  return {
    windowSize: config.breakerWindowSize,
    minimumCalls: config.breakerMinimumCalls,
    failureRatePct: config.breakerFailureRatePct,
    slowCallRatePct: config.breakerSlowCallRatePct,
    slowCallMs: config.breakerSlowCallMs,
    recoveryTimeoutMs: config.breakerRecoveryTimeoutMs,
    maxRecoveryTimeoutMs: Math.max(config.breakerRecoveryTimeoutMs, config.breakerMaxRecoveryTimeoutMs),
    halfOpenMaxCalls: config.breakerHalfOpenMaxCalls,
    resetTimeoutMs: config.breakerResetTimeoutMs,
  };
}

export function admissionLimitsFrom(config: Config): AdmissionLimits {
  return {
    maxConcurrent: config.maxConcurrent,
    maxConcurrentPerKey: Math.min(config.maxConcurrentPerCritic, config.maxConcurrent),
    maxQueueSize: config.maxQueueSize,
    queueTimeoutMs: config.queueTimeoutMs,
    maxCallerSharePct: config.maxCallerSharePct,
    priorityLevels: PRIORITY_NAMES.length,
  };
}

/** The level of a priority name (0 = critical, the most urgent). */
export function priorityLevel(name: PriorityName): number {
  return PRIORITY_NAMES.indexOf(name);
}

function isPriorityName(value: string): value is PriorityName {
  return (PRIORITY_NAMES as readonly string[]).includes(value);
}

/** Parses `callerPriorities` items (`owner=level`); a malformed item is a CONFIG_INVALID naming it. */
export function callerPrioritiesFrom(config: Config): ReadonlyMap<string, PriorityName> {
  const out = new Map<string, PriorityName>();
  for (const item of config.callerPriorities) {
    const eq = item.lastIndexOf('=');
    const owner = item.slice(0, eq).trim();
    const level = item.slice(eq + 1).trim();
    if (eq <= 0 || owner.length === 0 || !isPriorityName(level)) {
      throw new BrutalistError(
        'CONFIG_INVALID',
        `callerPriorities items must be owner=${PRIORITY_NAMES.join('|')}, got ${JSON.stringify(item.slice(0, 60))} (string)`,
        { data: { option: 'callerPriorities' } },
      );
    }
    out.set(owner, level);
  }
  return out;
}
