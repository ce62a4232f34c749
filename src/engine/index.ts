/** The engine: the one place that composes validation, state, critics and domains into requests. */

export type { CriticRunner } from './critic-runs.js';
export * from './engine.js';
export * from './fingerprint.js';
export * from './results.js';
export * from './single-flight.js';
export type { TaskStatus, TaskView } from './tasks.js';
export * from './types.js';
export {
  type DayUsage,
  dayName,
  dayOf,
  NO_USAGE,
  UsageLedger,
  type UsageLedgerOptions,
  type UsageTotals,
} from './usage-ledger.js';
export { type BudgetArgs, CallMeter, UsageBudgets } from './usage-meter.js';
