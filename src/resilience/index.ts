/** Resilience: circuit breakers, bounded priority admission, retry budget and backoff, load shedding, and the policies composing them. */
export * from './admission.js';
export * from './breaker.js';
export * from './breaker-state.js';
export * from './events.js';
export * from './guard-policies.js';
export * from './outcome.js';
export * from './policy.js';
export * from './retry.js';
export * from './shedder.js';
