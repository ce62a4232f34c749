/** Observability: request context and events, the logger, Prometheus metrics, the SLO engine, tracing and health. */

export * from './dashboard/page.js';
export * from './dashboard/script.js';
export * from './health.js';
export * from './logger.js';
export * from './metrics.js';
export * from './metrics-server.js';
export * from './observability.js';
export * from './request-context.js';
export * from './request-events.js';
export * from './request-tracker.js';
export * from './slo.js';
export * from './slo-history.js';
export * from './slo-report.js';
export * from './slo-service.js';
export * from './tracing.js';
