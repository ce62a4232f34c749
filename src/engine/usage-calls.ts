/** A call's budget around its run: notes for runs it stopped, other runners booked. */
import type { CriticRunner } from './critic-runs.js';
import type { Finished } from './plan-work.js';
import type { CallMeter } from './usage-meter.js';

/**
 * Runs `work` under `meter`; each run the budget stopped gets a note saying its critique is partial. The runs'
 * usage was noted in the ledger as each run ended: this process's next call sees it at once, and its merge into
 * the store goes on after the answer (a lock, a read and a write: ~4 ms on SQLite that no answer waits for; the
 * engine's close waits for it).
 */
export async function withBudgetNotes<T extends { finished: Finished }>(
  meter: CallMeter,
  work: () => Promise<T>,
): Promise<T> {
  const out = await work();
  const { stopped, caps } = meter.summary();
  if (stopped.length === 0 || out.finished.meta.cached) return out;
  const notes = stopped.map(({ critic, by }) => {
    const cap = by === 'max_tokens' ? `max_tokens ${caps.maxTokens}` : `max_usd ${caps.maxUsd}`;
    return `${critic} was stopped at this call's budget (${cap}): its critique above is partial.`;
  });
  const { meta } = out.finished;
  return { ...out, finished: { ...out.finished, meta: { ...meta, notes: [...meta.notes, ...notes] } } };
}

/**
 * A runner that does not hold budgets itself (the queue's workers run elsewhere) booked around each run: the
 * budget admits it (refusing what it cannot hold) and hears its reported usage; it is never stopped mid-run.
 */
export function bookedRunner(runner: CriticRunner): CriticRunner {
  return async (critic, request, options) => {
    const { budget, ...rest } = options;
    if (!budget) return runner(critic, request, rest);
    budget.admit(critic, Buffer.byteLength(request.prompt, 'utf8'));
    try {
      const result = await runner(critic, request, rest);
      budget.settle(critic, result.usage, undefined);
      return result;
    } finally {
      budget.settle(critic, undefined, undefined);
    }
  };
}
