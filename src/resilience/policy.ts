/** Resilience settings derived from the Config: breaker policy, admission limits, priorities per caller. */
import {
  assignmentOf,
  type Config,
  invalidOption,
  PRIORITY_NAMES,
  type PriorityName,
} from '../config/index.js';
import type { AdmissionLimits } from './admission.js';
import type { BreakerPolicy } from './breaker-state.js';

/** The breaker policy; resolveConfig has checked that the window, rates and timeouts agree (config/rules.ts). */
export function breakerPolicyFrom(
  config: Pick<
    Config,
    | 'breakerWindowSize'
    | 'breakerMinimumCalls'
    | 'breakerFailureRatePct'
    | 'breakerSlowCallRatePct'
    | 'breakerSlowCallMs'
    | 'breakerRecoveryTimeoutMs'
    | 'breakerMaxRecoveryTimeoutMs'
    | 'breakerHalfOpenMaxCalls'
    | 'breakerResetTimeoutMs'
  >,
): BreakerPolicy {
  return {
    windowSize: config.breakerWindowSize,
    minimumCalls: config.breakerMinimumCalls,
    failureRatePct: config.breakerFailureRatePct,
    slowCallRatePct: config.breakerSlowCallRatePct,
    slowCallMs: config.breakerSlowCallMs,
    recoveryTimeoutMs: config.breakerRecoveryTimeoutMs,
    maxRecoveryTimeoutMs: config.breakerMaxRecoveryTimeoutMs,
    halfOpenMaxCalls: config.breakerHalfOpenMaxCalls,
    resetTimeoutMs: config.breakerResetTimeoutMs,
  };
}

/** The admission limits; maxConcurrentPerCritic is at most maxConcurrent (config/rules.ts). */
export function admissionLimitsFrom(
  config: Pick<
    Config,
    'maxConcurrent' | 'maxConcurrentPerCritic' | 'maxQueueSize' | 'queueTimeoutMs' | 'maxCallerSharePct'
  >,
): AdmissionLimits {
  return {
    maxConcurrent: config.maxConcurrent,
    maxConcurrentPerKey: config.maxConcurrentPerCritic,
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

/** Parses `callerPriorities` items (`owner=level`, checked by resolveConfig); a malformed one is CONFIG_INVALID. */
export function callerPrioritiesFrom(
  config: Pick<Config, 'callerPriorities'>,
): ReadonlyMap<string, PriorityName> {
  const out = new Map<string, PriorityName>();
  for (const item of config.callerPriorities) {
    const pair = assignmentOf(item, PRIORITY_NAMES);
    if (!pair)
      throw invalidOption('callerPriorities', `a list of owner=${PRIORITY_NAMES.join('|')} items`, item);
    out.set(pair.key, pair.value);
  }
  return out;
}
