/** The SLO engine's state as Prometheus gauges, computed when scraped, and a counter of alerts fired. */
import { Counter, Gauge, type Registry } from 'prom-client';
import { ALERT_RULES, type SloEngine, WINDOWS } from './slo.js';

export function registerSloMetrics(registry: Registry, slo: SloEngine): void {
  const registers = [registry];
  new Gauge({
    name: 'brutalist_slo_burn_rate',
    help: 'Error-budget burn rate per SLO and window (1 = spending the budget exactly over its window).',
    labelNames: ['slo', 'window'] as const,
    registers,
    collect() {
      for (const s of slo.status())
        for (const w of WINDOWS) this.set({ slo: s.slo, window: w }, s.burnRates[w]);
    },
  });
  new Gauge({
    name: 'brutalist_slo_error_budget_remaining_ratio',
    help: 'Share of the error budget left over the budget window (1 untouched, 0 spent, negative overspent).',
    labelNames: ['slo'] as const,
    registers,
    collect() {
      for (const s of slo.status()) this.set({ slo: s.slo }, s.budgetRemaining);
    },
  });
  new Gauge({
    name: 'brutalist_slo_target_ratio',
    help: 'The SLO objective (share of good events).',
    labelNames: ['slo'] as const,
    registers,
    collect() {
      for (const s of slo.status()) this.set({ slo: s.slo }, s.target);
    },
  });
  new Gauge({
    name: 'brutalist_slo_alert_active',
    help: 'Whether an SLO alert fires now (1) or not (0), per SLO and rule (page_fast, page_slow, ticket).',
    labelNames: ['slo', 'rule', 'severity'] as const,
    registers,
    collect() {
      for (const s of slo.status()) {
        for (const r of ALERT_RULES) {
          this.set(
            { slo: s.slo, rule: r.name, severity: r.severity },
            s.activeAlerts.includes(r.name) ? 1 : 0,
          );
        }
      }
    },
  });
  const fired = new Counter({
    name: 'brutalist_slo_alerts_total',
    help: 'SLO alerts that started firing, per SLO and rule.',
    labelNames: ['slo', 'rule', 'severity'] as const,
    registers,
  });
  slo.onAlert((a) => {
    if (a.state === 'firing') fired.inc({ slo: a.slo, rule: a.rule, severity: a.severity });
  });
}
