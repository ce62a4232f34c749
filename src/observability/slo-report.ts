/** `brutalist-mcp slo report`: the SLOs from the state store's history, as JSON or Markdown for humans. */
import type { Config } from '../config/index.js';
import { type Clock, systemClock } from '../infra/index.js';
import type { StateStore } from '../state/index.js';
import { ALERT_RULES, RUNBOOKS, SloEngine, type SloStatus, WINDOWS } from './slo.js';
import { SloHistory } from './slo-history.js';
import { sloConfig } from './slo-service.js';

const DAY_MS = 86_400_000;

export interface SloReport {
  readonly generatedAt: string;
  readonly budgetDays: number;
  readonly latencyThresholdMs: number;
  /** Minutes with stored counts in the budget window (0: nothing recorded yet, or sloFlushIntervalMs is 0). */
  readonly minutesWithData: number;
  readonly slos: ReadonlyArray<SloStatus & { readonly runbook: string }>;
}

/** Reads the history every server on this store flushed and evaluates it as the engine would now. */
export async function buildSloReport(
  config: Config,
  store: StateStore,
  clock: Clock = systemClock,
): Promise<SloReport> {
  const engine = new SloEngine(sloConfig(config), clock);
  const history = new SloHistory(store, {
    retentionDays: config.sloBudgetDays,
    lockTtlMs: config.lockTtlMs,
    clock,
  });
  const minutes = await history.load(clock.now() - config.sloBudgetDays * DAY_MS);
  for (const m of minutes) engine.addCounts(m.atMs, m.counts);
  engine.evaluate();
  return {
    generatedAt: new Date(clock.now()).toISOString(),
    budgetDays: config.sloBudgetDays,
    latencyThresholdMs: config.sloLatencyThresholdMs,
    minutesWithData: minutes.length,
    slos: engine.status().map((s) => ({ ...s, runbook: RUNBOOKS[s.slo] })),
  };
}

const pct = (share: number) => `${(share * 100).toFixed(share >= 0.99 && share < 1 ? 2 : 1)} %`;
const rate = (n: number) => (n === 0 ? '0' : n < 10 ? n.toFixed(2) : n.toFixed(1));

/** The report as Markdown: one table of SLOs with budget and burn rates, then the alerts firing with runbooks. */
export function formatSloReport(report: SloReport): string {
  const lines = [
    `# SLO report (${report.generatedAt})`,
    '',
    `Budget window ${report.budgetDays} days; latency = time to the first critic byte, threshold ${report.latencyThresholdMs} ms.`,
    report.minutesWithData === 0
      ? 'No calls recorded yet (or sloFlushIntervalMs is 0): every figure below is empty.'
      : `${report.minutesWithData} minutes with calls in the window.`,
    '',
    `| SLO | objective | budget left | calls (bad) | ${WINDOWS.map((w) => `burn ${w}`).join(' | ')} |`,
    `|---|---|---|---|${WINDOWS.map(() => '---').join('|')}|`,
  ];
  for (const s of report.slos) {
    const burns = WINDOWS.map((w) => rate(s.burnRates[w])).join(' | ');
    lines.push(
      `| ${s.slo} | ${pct(s.target)} | ${pct(s.budgetRemaining)} | ${s.budgetEvents} (${s.budgetBad}) | ${burns} |`,
    );
  }
  const firing = report.slos.flatMap((s) =>
    s.activeAlerts.map((name) => {
      const rule = ALERT_RULES.find((r) => r.name === name)!;
      return `- **${rule.severity}** ${s.slo} ${name}: burn ${rule.long} ${rate(s.burnRates[rule.long])} and ${rule.short} ${rate(s.burnRates[rule.short])} > ${rule.burnRate}. Runbook: ${s.runbook}`;
    }),
  );
  lines.push('', firing.length === 0 ? 'No alert is firing.' : 'Alerts firing:', ...firing, '');
  return lines.join('\n');
}
