/** The diagnostics_channel event published on each request-cache lookup; observability derives the hit ratio. */
import { diagnosticsChannel } from '../infra/index.js';

/** Published by whoever looks a request up in the cache (the engine), hit or miss. */
export interface CacheLookupEvent {
  readonly hit: boolean;
}
export const cacheLookupChannel = diagnosticsChannel<CacheLookupEvent>('brutalist:cache:lookup');

/**
 * Published by each caller of a shared (single-flight) run, in the caller's own request context: the caller that
 * started the run and every caller that joined it, with the same `flight` (a short form of the request key);
 * `shared` when the run took the result another instance published under the store lock.
 */
export interface FlightEvent {
  readonly flight: string;
  readonly role: 'started' | 'joined' | 'shared';
}
export const flightChannel = diagnosticsChannel<FlightEvent>('brutalist:flight');
