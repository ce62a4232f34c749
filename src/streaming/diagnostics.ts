/** The diagnostics_channel event streaming publishes when a full buffer loses events; observability counts them. */
import { diagnosticsChannel } from '../infra/index.js';

/** Published when log lines of one request were lost to the drop policy. */
export interface StreamDropEvent {
  readonly dropped: number;
}
export const streamDropChannel = diagnosticsChannel<StreamDropEvent>('brutalist:stream:drop');
