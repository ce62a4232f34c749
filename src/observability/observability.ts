/**
 * What a server process observes itself with: the metrics registry, the request tracker and the SLO service, built
 * from the Config by the transport and handed to createApp, which instruments its store with it.
 */
import { Gauge } from 'prom-client';
import type { Config } from '../config/index.js';
import { CALL_ROUTED_LABEL } from '../critics/routed.js';
import { type Clock, systemClock } from '../infra/index.js';
import type { StateStore } from '../state/index.js';
import type { Logger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { RequestTracker } from './request-tracker.js';
import { registerSloMetrics } from './slo-metrics.js';
import { SloService } from './slo-service.js';

export interface Observability {
  readonly metrics: Metrics;
  readonly slo: SloService;
  /** The store wrapped for latency metrics, and the SLO history kept in it; call once, before using the store. */
  attach(store: StateStore): StateStore;
  /** Flushes SLO counts and stops listening. Call before the store closes. Idempotent. */
  close(): Promise<void>;
}

export interface ObservabilityOptions {
  /** Tool names the server offers (the closed `tool` label set). */
  readonly tools: readonly string[];
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Register Node's process metrics (default true; tests building many registries turn it off). */
  readonly processMetrics?: boolean;
}

export function createObservability(config: Config, options: ObservabilityOptions): Observability {
  const clock = options.clock ?? systemClock;
  const tracker = new RequestTracker();
  const metrics = createMetrics({
    tools: options.tools,
    topPrincipals: config.metricsTopPrincipals,
    tracker,
    routedCritics: [...config.routedClients.map((c) => c.id), CALL_ROUTED_LABEL],
    ...(options.processMetrics === undefined ? {} : { processMetrics: options.processMetrics }),
  });
  const slo = new SloService(config, tracker, clock, options.logger);
  registerSloMetrics(metrics.registry, slo.engine);
  let closing: Promise<void> | undefined;
  return {
    metrics,
    slo,
    attach(store) {
      registerStoreHealth(metrics, store);
      const timed = metrics.instrumentStore(store);
      void slo.persistTo(timed);
      return timed;
    },
    close() {
      closing ??= (async () => {
        await slo.close();
        metrics.close();
        tracker.close();
      })();
      return closing;
    },
  };
}

/** `brutalist_state_store_up{backend}`: 1 while the store answers as configured, 0 while it is degraded or down. */
function registerStoreHealth(metrics: Metrics, store: StateStore): void {
  new Gauge({
    name: 'brutalist_state_store_up',
    help: 'State store health at scrape time: 1 ok, 0 degraded (Redis unreachable: memory fallback) or failing.',
    labelNames: ['backend'] as const,
    registers: [metrics.registry],
    async collect() {
      this.reset();
      const health = await store.health().catch(() => undefined);
      this.set({ backend: health?.backend ?? 'unknown' }, health?.status === 'ok' ? 1 : 0);
    },
  });
}
