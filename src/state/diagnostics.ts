/** The diagnostics_channel event published on each request-cache lookup; observability derives the hit ratio. */
import { diagnosticsChannel } from '../infra/index.js';

/** Published by whoever looks a request up in the cache (the engine), hit or miss. */
export interface CacheLookupEvent {
  readonly hit: boolean;
}
export const cacheLookupChannel = diagnosticsChannel<CacheLookupEvent>('brutalist:cache:lookup');
