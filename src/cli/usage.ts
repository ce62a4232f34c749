/** `brutalist-mcp usage`: usage per caller and UTC day from the state store, as a table or JSON (ADR 0047). */
import type { Config } from '../config/index.js';
import { type DayUsage, dayName, NO_USAGE, UsageLedger, type UsageTotals } from '../engine/index.js';
import { isBrutalistError } from '../errors/index.js';
import { type Clock, systemClock } from '../infra/index.js';
import { createStateStore } from '../state/index.js';
import { parseUsageArgs, USAGE_USAGE } from './usage-args.js';

interface Writer {
  write(text: string): void;
}

/** What `--json` prints: every caller-day, and per-caller totals over the range. */
export interface UsageReport {
  readonly since: string;
  readonly until: string;
  readonly days: ReadonlyArray<{ readonly day: string; readonly caller: string } & UsageTotals>;
  readonly callers: ReadonlyArray<{ readonly caller: string } & UsageTotals>;
}

/** Exit 0 with the report; 2 on a usage mistake (printed with the usage). Store errors propagate (exit 1). */
export async function usageCommand(
  config: Config,
  argv: readonly string[],
  out: Writer,
  err: Writer,
  env: NodeJS.ProcessEnv = process.env,
  clock: Clock = systemClock,
): Promise<number> {
  let args: ReturnType<typeof parseUsageArgs>;
  try {
    args = parseUsageArgs(argv, clock.now(), config.usageRetentionDays);
  } catch (e) {
    if (!isBrutalistError(e)) throw e;
    err.write(`brutalist-mcp usage: ${e.message}\n${USAGE_USAGE}`);
    return 2;
  }
  if (args.help) {
    out.write(USAGE_USAGE);
    return 0;
  }
  const store = createStateStore(config, { env, clock, log: (line) => err.write(`${line}\n`) });
  try {
    const ledger = new UsageLedger(store, {
      retentionDays: config.usageRetentionDays,
      maxCallersPerDay: config.usageMaxCallersPerDay,
      lockTtlMs: config.lockTtlMs,
      lockPollMs: config.lockPollMs,
      clock,
    });
    const rows = (await ledger.load(args.fromMs)).filter((r) => !args.caller || r.caller === args.caller);
    const report = reportOf(
      rows,
      dayName(Math.floor(args.fromMs / 86_400_000)),
      dayName(Math.floor(clock.now() / 86_400_000)),
    );
    out.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatUsage(report));
    return 0;
  } finally {
    await store.close();
  }
}

export function reportOf(rows: readonly DayUsage[], since: string, until: string): UsageReport {
  const totals = new Map<string, UsageTotals>();
  for (const r of rows) {
    const t = totals.get(r.caller) ?? NO_USAGE;
    totals.set(r.caller, {
      runs: t.runs + r.usage.runs,
      stoppedRuns: t.stoppedRuns + r.usage.stoppedRuns,
      unreportedRuns: t.unreportedRuns + r.usage.unreportedRuns,
      inputTokens: t.inputTokens + r.usage.inputTokens,
      outputTokens: t.outputTokens + r.usage.outputTokens,
      cachedInputTokens: t.cachedInputTokens + r.usage.cachedInputTokens,
      costUsd: t.costUsd + r.usage.costUsd,
      countedTokens: t.countedTokens + r.usage.countedTokens,
      countedUsd: t.countedUsd + r.usage.countedUsd,
    });
  }
  return {
    since,
    until,
    days: rows.map((r) => ({ day: r.day, caller: r.caller, ...r.usage })),
    callers: [...totals].sort(([a], [b]) => a.localeCompare(b)).map(([caller, t]) => ({ caller, ...t })),
  };
}

const usd = (n: number) => `$${n.toFixed(4)}`;

/** A fixed-width table: one line per caller and day, then the totals per caller. */
export function formatUsage(report: UsageReport): string {
  const head = [
    'day',
    'caller',
    'runs',
    'stopped',
    'input',
    'output',
    'cached',
    'cost',
    'counted tok',
    'counted $',
  ];
  const line = (day: string, r: { caller: string } & UsageTotals) => [
    day,
    r.caller,
    String(r.runs),
    String(r.stoppedRuns),
    String(r.inputTokens),
    String(r.outputTokens),
    String(r.cachedInputTokens),
    usd(r.costUsd),
    String(r.countedTokens),
    usd(r.countedUsd),
  ];
  const rows = [...report.days.map((d) => line(d.day, d)), ...report.callers.map((c) => line('total', c))];
  if (rows.length === 0) return `No usage recorded from ${report.since} to ${report.until} (UTC).\n`;
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return `Usage from ${report.since} to ${report.until} (UTC); cost is what CLIs reported, counted is what budgets count.\n${[
    fmt(head),
    ...rows.map(fmt),
  ].join('\n')}\n`;
}
