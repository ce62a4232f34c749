/** Options of metrics, the loopback metrics port and the SLO engine (docs/operations.md#metrics, #slos). */
import { int, MINUTE, SECOND } from './spec.js';

export const OBSERVABILITY_OPTIONS = {
  metricsPort: int(
    'BRUTALIST_METRICS_PORT',
    0,
    0,
    65_535,
    'stdio mode: serve Prometheus metrics at `http://127.0.0.1:<port>/metrics` (loopback only, no auth); 0 = off. The HTTP server serves `/metrics` itself.',
  ),
  metricsTopPrincipals: int(
    'BRUTALIST_METRICS_TOP_PRINCIPALS',
    20,
    1,
    1_000,
    'Principals labelled by name in `brutalist_principal_requests_total` (the first ones seen twice); the rest count as `other`.',
  ),
  sloAvailabilityTargetBp: int(
    'BRUTALIST_SLO_AVAILABILITY_TARGET_BP',
    9_990,
    1,
    9_999,
    'Availability SLO in basis points (9990 = 99.9 %): share of calls not refused (queue full, overloaded, circuit open, deadline, store down, internal error).',
  ),
  sloErrorRateMaxBp: int(
    'BRUTALIST_SLO_ERROR_RATE_MAX_BP',
    10,
    1,
    9_999,
    'Error-rate SLO in basis points (10 = 0.1 %): share of calls that may fail for reasons of ours (refusals and failed critiques; not bad input, auth or cancels).',
  ),
  sloLatencyThresholdMs: int(
    'BRUTALIST_SLO_LATENCY_THRESHOLD_MS',
    2 * SECOND,
    1,
    10 * MINUTE,
    "Latency SLO threshold: server-side time from a call's arrival to the first critic byte (queue wait included, the critic's thinking not).",
  ),
  sloLatencyTargetBp: int(
    'BRUTALIST_SLO_LATENCY_TARGET_BP',
    9_500,
    1,
    9_999,
    'Share of answered calls within sloLatencyThresholdMs, in basis points (9500 = p95).',
  ),
  sloMinRequests: int(
    'BRUTALIST_SLO_MIN_REQUESTS',
    10,
    1,
    1_000_000,
    'Low-traffic guard: an SLO alert fires only when both windows of its pair hold at least this many calls.',
  ),
  sloBudgetDays: int(
    'BRUTALIST_SLO_BUDGET_DAYS',
    30,
    3,
    90,
    'Error budget window in days (the alert burn rates 14.4 / 6 / 1 assume 30).',
  ),
  sloFlushIntervalMs: int(
    'BRUTALIST_SLO_FLUSH_INTERVAL_MS',
    MINUTE,
    0,
    60 * MINUTE,
    'How often SLO counts are merged into the state store (what `brutalist-mcp slo report` reads); 0 = not stored.',
  ),
} as const;
