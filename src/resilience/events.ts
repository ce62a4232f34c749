/** The diagnostics_channel events resilience publishes; observability subscribes, core imports no metrics. */
import { channel } from 'node:diagnostics_channel';
import type { BreakerKind, BreakerState } from './breaker-state.js';

export const BREAKER_STATE_CHANNEL = 'brutalist:breaker:state';
export const ADMISSION_REJECT_CHANNEL = 'brutalist:admission:reject';
export const SHED_CHANNEL = 'brutalist:shed';

/** Published on every breaker transition (closed → open → half_open → closed | open). */
export interface BreakerTransitionEvent {
  readonly name: string;
  readonly from: BreakerKind;
  readonly to: BreakerKind;
  readonly at: number;
  readonly state: BreakerState;
}

/** Published when the admission queue turns a request away or evicts a waiter. */
export interface AdmissionRejectEvent {
  readonly key: string;
  readonly reason: 'full' | 'shed' | 'caller_share' | 'timeout' | 'deadline' | 'cancelled';
  readonly priority: number;
  readonly queued: number;
}

/** Published when the load shedder refuses a request. */
export interface ShedEvent {
  readonly priority: number;
  readonly reason: string;
  readonly level: number;
}

export const breakerStateChannel = channel(BREAKER_STATE_CHANNEL);
export const admissionRejectChannel = channel(ADMISSION_REJECT_CHANNEL);
export const shedChannel = channel(SHED_CHANNEL);
