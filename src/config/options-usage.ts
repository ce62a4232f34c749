/** Options of usage accounting and budgets: how long daily usage is kept, daily caps per caller, the price table. */
import { z } from 'zod';
import { int, type OptionSpec } from './spec.js';

const DECIMAL_RE = /^\d{1,9}(?:\.\d{1,9})?$/;
/** Largest dollar amount any usage option takes (a daily cap, a price per million tokens). */
export const MAX_USD = 1_000_000;

/** A non-negative dollar amount, from a JSON number or an env string like "2.50"; 0 means no cap. */
function usd(env: string, description: string): OptionSpec<number> {
  const error = `a dollar amount between 0 and ${MAX_USD}`;
  const schema = z
    .union([z.number({ error }), z.string({ error }).regex(DECIMAL_RE, { error }).transform(Number)], {
      error,
    })
    .pipe(z.number({ error }).min(0, { error }).max(MAX_USD, { error }));
  return { kind: 'string', env, default: 0, description, schema };
}

/** A price or cap pair `A/B` of dollar amounts or whole tokens. */
const PAIR_RE = /^([^=\s][^=]*)=(\d{1,9}(?:\.\d{1,9})?)\/(\d{1,12}(?:\.\d{1,9})?)$/;

/** `key=a/b` → its parts; undefined when the item is not one. */
export function pairOf(item: string): { key: string; a: number; b: number } | undefined {
  const m = PAIR_RE.exec(item.trim());
  if (!m) return undefined;
  const a = Number(m[2]);
  const b = Number(m[3]);
  return a <= MAX_USD && b <= 1e12 ? { key: m[1]!.trim(), a, b } : undefined;
}

function pairs(env: string, description: string, shape: string): OptionSpec<readonly string[]> {
  const error = `a list of ${shape} items`;
  const item = z.string({ error }).refine((text) => pairOf(text) !== undefined, { error });
  return { kind: 'list', env, default: [], description, schema: z.array(item, { error }).readonly() };
}

export const USAGE_OPTIONS = {
  usageRetentionDays: int(
    'BRUTALIST_USAGE_RETENTION_DAYS',
    90,
    1,
    3650,
    'Days the per-caller daily usage records are kept in the state store (what `brutalist-mcp usage --since` can show).',
  ),
  usageMaxCallersPerDay: int(
    'BRUTALIST_USAGE_MAX_CALLERS_PER_DAY',
    10_000,
    1,
    1_000_000,
    'Callers one daily usage record holds; usage of further callers that day is counted under `<other>`.',
  ),
  usageFlushMs: int(
    'BRUTALIST_USAGE_FLUSH_MS',
    1000,
    0,
    60_000,
    "Longest time finished runs' usage waits in this process before it is merged into the day's record in the state store (one locked read-modify-write for all of them); 0 = merge after every run. This process counts it at once; other instances and `brutalist-mcp usage` see it after the merge.",
  ),
  usageDailyMaxUsd: usd(
    'BRUTALIST_USAGE_DAILY_MAX_USD',
    'Dollars each caller may spend per UTC day (reported costs, plus usagePrices estimates for critics that report none); 0 = no cap. A spent budget refuses new critiques with BUDGET_EXCEEDED.',
  ),
  usageDailyMaxTokens: int(
    'BRUTALIST_USAGE_DAILY_MAX_TOKENS',
    0,
    0,
    1_000_000_000_000,
    'Output tokens each caller may use per UTC day (reported, else estimated at 4 bytes of answer per token); 0 = no cap.',
  ),
  usageCallerDailyBudgets: pairs(
    'BRUTALIST_USAGE_CALLER_DAILY_BUDGETS',
    'Per-caller daily caps in place of the two above, as `caller=USD/TOKENS` (0 = no cap), e.g. `ci-bot=5/200000`; `local` is the stdio caller.',
    'caller=USD/TOKENS',
  ),
  usagePrices: pairs(
    'BRUTALIST_USAGE_PRICES',
    'Dollars per million input/output tokens per critic, as `critic=IN/OUT` (e.g. `codex=1.25/10`): how max_usd and the daily dollar cap are held for critics that report no cost (codex, gemini, agy). Estimates only: never reported as cost.',
    'critic=IN/OUT',
  ),
} as const;
