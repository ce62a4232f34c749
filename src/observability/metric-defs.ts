/**
 * Every Prometheus metric the server exports, declared in one place with its closed label names; `metrics.ts`
 * feeds them from the diagnostics channels. Names start with `brutalist_` (docs/operations.md#metrics).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Seconds-to-minutes: a cache hit answers in milliseconds, a critique in tens of seconds to minutes. */
export const REQUEST_SECONDS_BUCKETS = [
  0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1200,
] as const;
/** Store calls: tens of microseconds (SQLite, Redis) up to the Redis command timeout. */
export const STORE_SECONDS_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01, 0.05, 0.25, 1,
] as const;

/** Breaker states as gauge values: what a dashboard colours. */
export const BREAKER_STATE_VALUE = { closed: 0, half_open: 1, open: 2 } as const;

export function defineMetrics(registry: Registry) {
  const registers = [registry];
  return {
    requests: new Counter({
      name: 'brutalist_requests_total',
      help: 'Tool calls by tool and outcome (ok, pending, cancelled, client_error, unavailable, error).',
      labelNames: ['tool', 'outcome'] as const,
      registers,
    }),
    requestErrors: new Counter({
      name: 'brutalist_request_errors_total',
      help: 'Failed tool calls by tool and error code (docs/errors.md).',
      labelNames: ['tool', 'code'] as const,
      registers,
    }),
    requestDuration: new Histogram({
      name: 'brutalist_request_duration_seconds',
      help: 'Tool call duration, from the call arriving to its answer, by tool.',
      labelNames: ['tool'] as const,
      buckets: [...REQUEST_SECONDS_BUCKETS],
      registers,
    }),
    firstByte: new Histogram({
      name: 'brutalist_request_first_byte_seconds',
      help: 'Server-side latency of answered calls: queue wait and start-up until the first critic byte (the whole call when no critic ran).',
      labelNames: ['tool'] as const,
      buckets: [...REQUEST_SECONDS_BUCKETS],
      registers,
    }),
    inflight: new Gauge({
      name: 'brutalist_inflight_requests',
      help: 'Tool calls being handled now.',
      registers,
    }),
    byPrincipal: new Counter({
      name: 'brutalist_principal_requests_total',
      help: 'Tool calls per principal: the busiest metricsTopPrincipals by name, every other one as "other".',
      labelNames: ['principal'] as const,
      registers,
    }),
    critiques: new Counter({
      name: 'brutalist_critiques_total',
      help: 'Critiques asked for, by domain ("none" for debates and tools without one).',
      labelNames: ['domain'] as const,
      registers,
    }),
    queueDepth: new Gauge({
      name: 'brutalist_queue_depth',
      help: 'Critic runs waiting for a slot, by priority.',
      labelNames: ['priority'] as const,
      registers,
    }),
    slotsInUse: new Gauge({
      name: 'brutalist_critic_slots_in_use',
      help: 'Critic runs holding a slot now.',
      registers,
    }),
    utilization: new Gauge({
      name: 'brutalist_concurrency_utilization_ratio',
      help: 'Critic slots in use over maxConcurrent.',
      registers,
    }),
    children: new Gauge({
      name: 'brutalist_child_processes',
      help: 'Critic process groups alive now.',
      registers,
    }),
    criticRuns: new Counter({
      name: 'brutalist_critic_runs_total',
      help: 'Critic CLI runs by critic and exit class (ok, exit_nonzero, signal, timeout, stalled, output_cap, cancelled, not_found, spawn_error, other).',
      labelNames: ['critic', 'exit_class'] as const,
      registers,
    }),
    criticFailures: new Counter({
      name: 'brutalist_critic_failures_total',
      help: 'Failed critic CLI runs by critic and error code.',
      labelNames: ['critic', 'code'] as const,
      registers,
    }),
    retries: new Counter({
      name: 'brutalist_critic_retries_total',
      help: 'Critic runs retried after a transient failure, by critic and the failure code.',
      labelNames: ['critic', 'code'] as const,
      registers,
    }),
    criticDuration: new Histogram({
      name: 'brutalist_critic_run_duration_seconds',
      help: 'Critic CLI run time (its think time), by critic.',
      labelNames: ['critic'] as const,
      buckets: [...REQUEST_SECONDS_BUCKETS],
      registers,
    }),
    criticOutput: new Counter({
      name: 'brutalist_critic_output_bytes_total',
      help: 'Bytes critics printed on stdout, by critic.',
      labelNames: ['critic'] as const,
      registers,
    }),
    criticTokens: new Counter({
      name: 'brutalist_critic_tokens_total',
      help: 'Model tokens critics reported, by critic and direction (input, output).',
      labelNames: ['critic', 'direction'] as const,
      registers,
    }),
    truncations: new Counter({
      name: 'brutalist_truncations_total',
      help: 'Critiques cut at maxOutputBytes, by critic.',
      labelNames: ['critic'] as const,
      registers,
    }),
    breakerState: new Gauge({
      name: 'brutalist_breaker_state',
      help: 'Circuit breaker state per critic: 0 closed, 1 half open, 2 open.',
      labelNames: ['critic'] as const,
      registers,
    }),
    breakerTransitions: new Counter({
      name: 'brutalist_breaker_transitions_total',
      help: 'Circuit breaker transitions per critic, by the state entered.',
      labelNames: ['critic', 'to'] as const,
      registers,
    }),
    admissionRejects: new Counter({
      name: 'brutalist_admission_rejections_total',
      help: 'Critic runs refused or evicted by the admission queue, by reason.',
      labelNames: ['reason'] as const,
      registers,
    }),
    shed: new Counter({
      name: 'brutalist_shed_total',
      help: 'Requests refused by the load shedder, by priority.',
      labelNames: ['priority'] as const,
      registers,
    }),
    cacheLookups: new Counter({
      name: 'brutalist_cache_lookups_total',
      help: 'Request-cache lookups by result (hit, miss); hit ratio = hit / (hit + miss).',
      labelNames: ['result'] as const,
      registers,
    }),
    streamDrops: new Counter({
      name: 'brutalist_stream_events_dropped_total',
      help: 'Progress log lines lost to the drop policy (a client reading too slowly).',
      registers,
    }),
    storeDuration: new Histogram({
      name: 'brutalist_state_operation_duration_seconds',
      help: 'State store call latency by operation.',
      labelNames: ['op'] as const,
      buckets: [...STORE_SECONDS_BUCKETS],
      registers,
    }),
    storeErrors: new Counter({
      name: 'brutalist_state_operation_errors_total',
      help: 'State store calls that failed, by operation.',
      labelNames: ['op'] as const,
      registers,
    }),
  };
}

export type MetricSet = ReturnType<typeof defineMetrics>;
