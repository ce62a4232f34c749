/** The usage parts of the MCP surface: the budget arguments of roast and debate, and the usage in their results. */
import { z } from 'zod';
import type { CriticRunSummary } from '../engine/index.js';

/** `max_usd` and `max_tokens`, spread into the roast and roast_cli_debate input schemas. */
export const budgetArgsShape = {
  max_usd: z
    .number()
    .positive()
    .max(10_000)
    .optional()
    .describe(
      'Most dollars this critique may cost. claude holds it itself; codex, gemini and agy only with server prices (else BUDGET_UNENFORCEABLE). A run past it stops; its partial critique is returned, marked.',
    ),
  max_tokens: z
    .number()
    .int()
    .min(1)
    .max(100_000_000)
    .optional()
    .describe(
      'Most output tokens the critics may write in this critique (estimated while streaming at 4 bytes per token). A run past it stops; its partial critique is returned, marked.',
    ),
};

/** One critic run's usage: what its CLI reported, null where it reported nothing (never estimated). */
export const criticUsageSchema = z
  .looseObject({
    inputTokens: z.number().nullable().optional(),
    outputTokens: z.number().nullable().optional(),
    cachedInputTokens: z.number().nullable().optional(),
    totalTokens: z.number().nullable().optional(),
    costUsd: z.number().nullable().optional(),
  })
  .nullable();

const total = z.number().nullable();

/** The call's usage: sums over its critics' reported usage; a sum is null when no critic reported that figure. */
export const callUsageSchema = z.looseObject({
  inputTokens: total,
  outputTokens: total,
  cachedInputTokens: total,
  totalTokens: total,
  costUsd: total,
  /** Critic runs that reported some usage, of all runs in the result. */
  reportedRuns: z.number().int().min(0),
  runs: z.number().int().min(0),
  /** Critics the call's budget stopped (their critiques are partial). */
  stopped: z.array(z.looseObject({ critic: z.string(), by: z.enum(['max_tokens', 'max_usd']) })),
});

/** Spread into the result schema: `usage` of a done result. */
export const usageResultShape = { usage: callUsageSchema.optional() };

export type CallUsageTotals = z.infer<typeof callUsageSchema>;

const FIGURES = ['inputTokens', 'outputTokens', 'cachedInputTokens', 'totalTokens', 'costUsd'] as const;

/** Every figure of one run's usage, null when its CLI did not report it; null when it reported nothing. */
export function criticUsage(
  usage: CriticRunSummary['usage'],
): Record<(typeof FIGURES)[number], number | null> | null {
  if (!usage || Object.keys(usage).length === 0) return null;
  return {
    inputTokens: usage.inputTokens ?? null,
    outputTokens: usage.outputTokens ?? null,
    cachedInputTokens: usage.cachedInputTokens ?? null,
    totalTokens: usage.totalTokens ?? null,
    costUsd: usage.costUsd ?? null,
  };
}

/** The call's totals from its critics' summaries (a cached result reports what its runs reported then). */
export function callUsage(critics: readonly CriticRunSummary[]): CallUsageTotals {
  const sum = (figure: (typeof FIGURES)[number]): number | null => {
    const values = critics.map((c) => c.usage?.[figure]).filter((v): v is number => v !== undefined);
    return values.length === 0 ? null : values.reduce((a, v) => a + v, 0);
  };
  return {
    inputTokens: sum('inputTokens'),
    outputTokens: sum('outputTokens'),
    cachedInputTokens: sum('cachedInputTokens'),
    totalTokens: sum('totalTokens'),
    costUsd: sum('costUsd'),
    reportedRuns: critics.filter((c) => c.usage !== null && Object.keys(c.usage).length > 0).length,
    runs: critics.length,
    stopped: critics.flatMap((c) => (c.stoppedBy ? [{ critic: c.critic, by: c.stoppedBy }] : [])),
  };
}
