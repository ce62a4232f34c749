/**
 * What `/dashboard/data` returns: golden signals from the metrics registry, admission and breakers from the
 * engine, in-flight calls from the request tracker and error budgets from the SLO engine, gathered on request.
 */
import type { Clock } from '../infra/index.js';
import type { HealthMonitor, Metrics, Observability } from '../observability/index.js';
import type { App } from './app.js';

interface MetricValue {
  readonly value: number;
  readonly labels: Record<string, string | number>;
  readonly metricName?: string;
}

async function valuesOf(metrics: Metrics, name: string): Promise<readonly MetricValue[]> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) return [];
  return ((await metric.get()) as { values: MetricValue[] }).values;
}

const total = (values: readonly MetricValue[], suffix = '') =>
  values.filter((v) => suffix === '' || v.metricName?.endsWith(suffix)).reduce((sum, v) => sum + v.value, 0);

async function goldenSignals(metrics: Metrics) {
  const durations = await valuesOf(metrics, 'brutalist_request_duration_seconds');
  const count = total(durations, '_count');
  return {
    requests: total(await valuesOf(metrics, 'brutalist_requests_total')),
    errors: total(await valuesOf(metrics, 'brutalist_request_errors_total')),
    meanLatencyMs: count === 0 ? null : Math.round((total(durations, '_sum') / count) * 1000),
    inflight: metrics.tracker.inflight,
  };
}

async function queueDepth(metrics: Metrics): Promise<Record<string, number>> {
  const values = await valuesOf(metrics, 'brutalist_queue_depth');
  return Object.fromEntries(values.map((v) => [String(v.labels.priority ?? 'all'), v.value]));
}

export async function dashboardSnapshot(
  app: App,
  observability: Observability,
  health: HealthMonitor,
  clock: Clock,
): Promise<Record<string, unknown>> {
  const { metrics, slo } = observability;
  const [readiness, critics, golden, depth] = await Promise.all([
    health.readiness(),
    app.availability.checkAll(),
    goldenSignals(metrics),
    queueDepth(metrics),
  ]);
  return {
    generatedAt: new Date(clock.now()).toISOString(),
    readiness: readiness.status,
    phase: readiness.phase,
    golden,
    capacity: app.engine.capacity(),
    queueDepth: depth,
    critics: critics.map((c) => {
      const { circuit, running, queued } = app.engine.criticStatus(c.critic);
      return { critic: c.critic, available: c.available, circuit: circuit.state, running, queued };
    }),
    inflight: metrics.tracker.openRequests(),
    slos: slo.engine.status().map((s) => ({
      slo: s.slo,
      target: s.target,
      budgetRemaining: s.budgetRemaining,
      activeAlerts: s.activeAlerts,
    })),
  };
}
