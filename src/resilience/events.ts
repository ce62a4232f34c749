/** The diagnostics_channel events resilience publishes; observability subscribes, core imports no metrics. */
import { diagnosticsChannel } from '../infra/index.js';
import type { BreakerKind, BreakerState } from './breaker-state.js';

/** Published on every breaker transition (closed → open → half_open → closed | open). */
export interface BreakerTransitionEvent {
  readonly name: string;
  readonly from: BreakerKind;
  readonly to: BreakerKind;
  readonly at: number;
  readonly state: BreakerState;
}
export const breakerStateChannel = diagnosticsChannel<BreakerTransitionEvent>('brutalist:breaker:state');

/** Published when the admission queue turns a request away or evicts a waiter. */
export interface AdmissionRejectEvent {
  readonly key: string;
  readonly reason: 'full' | 'shed' | 'caller_share' | 'timeout' | 'deadline' | 'cancelled';
  readonly priority: number;
  readonly queued: number;
}
export const admissionRejectChannel = diagnosticsChannel<AdmissionRejectEvent>('brutalist:admission:reject');

/** Published whenever the admission queue's depth at a priority level or its running count changes. */
export interface AdmissionDepthEvent {
  readonly priority: number;
  /** Waiters at this priority level now. */
  readonly queuedAtPriority: number;
  readonly running: number;
  readonly maxConcurrent: number;
}
export const admissionDepthChannel = diagnosticsChannel<AdmissionDepthEvent>('brutalist:admission:depth');

/** Published when a failed attempt is retried (after its backoff is granted, before the sleep). */
export interface RetryEvent {
  readonly key: string;
  readonly code: string;
  /** The attempt about to run (2 for the first retry). */
  readonly attempt: number;
  readonly delayMs: number;
}
export const retryChannel = diagnosticsChannel<RetryEvent>('brutalist:retry');

/** Published when the load shedder refuses a request. */
export interface ShedEvent {
  readonly priority: number;
  readonly reason: string;
  readonly level: number;
}
export const shedChannel = diagnosticsChannel<ShedEvent>('brutalist:shed');

/** The channel names, for subscribers that use node:diagnostics_channel directly. */
export const BREAKER_STATE_CHANNEL = breakerStateChannel.name;
export const ADMISSION_REJECT_CHANNEL = admissionRejectChannel.name;
export const SHED_CHANNEL = shedChannel.name;
