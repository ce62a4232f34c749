/** How a finished critic call counts for its breaker: a vendor failure, or an outcome the breaker must ignore. */
import type { ErrorCode } from '../errors/index.js';
import type { CallOutcome } from './breaker-state.js';

/**
 * Failures that say something about the vendor or its CLI. Everything else is ignored: validation errors,
 * client cancellations, deadline expiry while queued, our own rejections (QUEUE_FULL, CIRCUIT_OPEN,
 * OVERLOADED), and configuration problems (AUTH_REQUIRED, CLI_NOT_FOUND, WORKSPACE_UNTRUSTED, MODEL_NOT_FOUND):
 * those are surfaced as they are, and opening a breaker over them would only make it flap.
 */
const VENDOR_FAILURES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'CLI_FAILED',
  'CLI_KILLED',
  'CLI_TIMEOUT',
  'CLI_STALLED',
  'CLI_SPAWN_FAILED',
  'CLI_OUTPUT_INVALID',
  // The vendor's API (or the gateway in front of it) is down: exactly what the breaker should fail fast on.
  'MODEL_API_UNREACHABLE',
  'RATE_LIMITED',
  'QUOTA_EXCEEDED',
  'INTERNAL_ERROR',
]);

/** The breaker outcome of a call that threw `code`; a call the client cancelled is always ignored. */
export function outcomeOf(code: ErrorCode, cancelledByClient: boolean): CallOutcome {
  if (cancelledByClient) return 'ignored';
  return VENDOR_FAILURES.has(code) ? 'failure' : 'ignored';
}
