/**
 * A call's budget: caps from the caller's arguments and the server's daily caps (refused up front when spent),
 * held per critic run as it streams, and every run's usage booked to the caller's day (ADR 0047).
 */
import { pairOf } from '../config/options-usage.js';
import {
  type BudgetStop,
  estimateTokens,
  type RunAllowance,
  type RunBudget,
  type TokenUsage,
} from '../critics/index.js';
import { BrutalistError } from '../errors/index.js';
import type { Clock } from '../infra/index.js';
import type { StateStore } from '../state/index.js';
import type { Config, CriticId } from './config.js';
import { DAY_MS, NO_USAGE, UsageLedger, type UsageTotals } from './usage-ledger.js';

/** The per-call caps a caller may pass with roast and roast_cli_debate. */
export interface BudgetArgs {
  readonly max_usd?: number;
  readonly max_tokens?: number;
}

/** Critics whose CLI reports what a run cost, and can be handed a dollar cap it enforces itself. */
const REPORTS_COST: ReadonlySet<CriticId> = new Set<CriticId>(['claude']);

interface Price {
  readonly inUsdPerMTok: number;
  readonly outUsdPerMTok: number;
}

interface Caps {
  readonly maxUsd?: number;
  readonly maxTokens?: number;
}

/** What one call's runs add up to, and which were stopped by its caps. */
export interface CallUsage {
  readonly stopped: ReadonlyArray<{ readonly critic: CriticId; readonly by: BudgetStop }>;
  readonly caps: Caps;
}

interface Running {
  readonly promptBytes: number;
  answerBytes: number;
}

export class CallMeter implements RunBudget {
  private readonly running = new Map<CriticId, Running>();
  private readonly stops = new Map<CriticId, BudgetStop>();
  private readonly stopped: Array<{ critic: CriticId; by: BudgetStop }> = [];
  private spent: UsageTotals = NO_USAGE;

  constructor(
    private readonly caller: string,
    readonly caps: Caps,
    private readonly prices: ReadonlyMap<string, Price>,
    private readonly ledger: UsageLedger,
  ) {}

  admit(critic: CriticId, promptBytes: number): RunAllowance {
    const { maxUsd } = this.caps;
    if (maxUsd !== undefined && !REPORTS_COST.has(critic) && !this.prices.has(critic)) {
      throw new BrutalistError('BUDGET_UNENFORCEABLE', undefined, {
        data: { critic, field: 'max_usd', option: 'usagePrices' },
      });
    }
    const left = this.left();
    if (left.usd !== undefined && left.usd <= 0) throw this.spentError('usd');
    if (left.tokens !== undefined && left.tokens <= 0) throw this.spentError('tokens');
    this.running.set(critic, { promptBytes, answerBytes: 0 });
    this.stops.delete(critic);
    return REPORTS_COST.has(critic) && left.usd !== undefined ? { maxUsd: left.usd } : {};
  }

  allows(critic: CriticId, answerBytes: number): boolean {
    const run = this.running.get(critic);
    if (!run) return true;
    run.answerBytes = answerBytes;
    const { maxTokens, maxUsd } = this.caps;
    const live = [...this.running.entries()];
    if (maxTokens !== undefined) {
      const tokens =
        this.spent.countedTokens + live.reduce((n, [, r]) => n + estimateTokens(r.answerBytes), 0);
      if (tokens > maxTokens) return this.stop(critic, 'max_tokens');
    }
    if (maxUsd !== undefined) {
      // claude holds its own share (--max-budget-usd); the others are priced as they stream.
      const usd = live.reduce(
        (n, [c, r]) => n + (this.estimateUsd(c, r, undefined) ?? 0),
        this.spent.countedUsd,
      );
      if (usd > maxUsd) return this.stop(critic, 'max_usd');
    }
    return true;
  }

  stoppedBy(critic: CriticId): BudgetStop | undefined {
    return this.stops.get(critic);
  }

  settle(critic: CriticId, usage: TokenUsage | undefined, stoppedBy: BudgetStop | undefined): void {
    const run = this.running.get(critic);
    if (!run) return;
    this.running.delete(critic);
    if (stoppedBy) this.stopped.push({ critic, by: stoppedBy });
    const reported = usage !== undefined && Object.keys(usage).length > 0;
    const totals: UsageTotals = {
      runs: 1,
      stoppedRuns: stoppedBy ? 1 : 0,
      unreportedRuns: reported ? 0 : 1,
      inputTokens: usage?.inputTokens ?? 0,
      outputTokens: usage?.outputTokens ?? 0,
      cachedInputTokens: usage?.cachedInputTokens ?? 0,
      costUsd: usage?.costUsd ?? 0,
      countedTokens: usage?.outputTokens ?? estimateTokens(run.answerBytes),
      countedUsd: usage?.costUsd ?? this.estimateUsd(critic, run, usage) ?? 0,
    };
    this.spent = {
      ...this.spent,
      countedTokens: this.spent.countedTokens + totals.countedTokens,
      countedUsd: this.spent.countedUsd + totals.countedUsd,
    };
    // Noted now (this process's next call counts it); merged into the store in the background.
    void this.ledger.add(this.caller, totals);
  }

  /** Runs stopped by the caps, and the caps; call once the call's runs are over. */
  summary(): CallUsage {
    return { stopped: [...this.stopped], caps: this.caps };
  }

  private stop(critic: CriticId, by: BudgetStop): false {
    this.stops.set(critic, by);
    return false;
  }

  private left(): { usd?: number; tokens?: number } {
    const { maxUsd, maxTokens } = this.caps;
    return {
      ...(maxUsd !== undefined ? { usd: maxUsd - this.spent.countedUsd } : {}),
      ...(maxTokens !== undefined ? { tokens: maxTokens - this.spent.countedTokens } : {}),
    };
  }

  private spentError(limit: 'usd' | 'tokens'): BrutalistError {
    return new BrutalistError(
      'BUDGET_EXCEEDED',
      `This call's ${limit === 'usd' ? 'max_usd' : 'max_tokens'} is spent.`,
      {
        data: { caller: this.caller, limit, scope: 'call' },
      },
    );
  }

  /** Dollars from the price table: reported token counts where there are, else 4 bytes per token. */
  private estimateUsd(critic: CriticId, run: Running, usage: TokenUsage | undefined): number | undefined {
    const price = this.prices.get(critic);
    if (!price || REPORTS_COST.has(critic)) return undefined;
    const input = usage?.inputTokens ?? estimateTokens(run.promptBytes);
    const output = usage?.outputTokens ?? estimateTokens(run.answerBytes);
    return (input * price.inUsdPerMTok + output * price.outUsdPerMTok) / 1e6;
  }
}

/** Opens a meter per call: the caller's caps for today, refused up front when a daily cap is spent. */
export class UsageBudgets {
  private readonly prices: ReadonlyMap<string, Price>;
  private readonly callerCaps: ReadonlyMap<string, { usd: number; tokens: number }>;

  constructor(
    private readonly config: Config,
    readonly ledger: UsageLedger,
    private readonly clock: Clock,
  ) {
    this.prices = new Map(
      config.usagePrices.flatMap((item) => {
        const p = pairOf(item);
        return p ? [[p.key, { inUsdPerMTok: p.a, outUsdPerMTok: p.b }] as const] : [];
      }),
    );
    this.callerCaps = new Map(
      config.usageCallerDailyBudgets.flatMap((item) => {
        const p = pairOf(item);
        return p ? [[p.key, { usd: p.a, tokens: p.b }] as const] : [];
      }),
    );
  }

  /** Budgets over a ledger on `store`, bounded by the config. */
  static on(store: StateStore, config: Config, clock: Clock): UsageBudgets {
    const ledger = new UsageLedger(store, {
      retentionDays: config.usageRetentionDays,
      maxCallersPerDay: config.usageMaxCallersPerDay,
      lockTtlMs: config.lockTtlMs,
      lockPollMs: config.lockPollMs,
      flushMs: config.usageFlushMs,
      clock,
    });
    return new UsageBudgets(config, ledger, clock);
  }

  /** The meter of one call by `caller`; BUDGET_EXCEEDED when the caller's daily budget is spent. */
  async open(caller: string, args: BudgetArgs): Promise<CallMeter> {
    const daily = this.callerCaps.get(caller) ?? {
      usd: this.config.usageDailyMaxUsd,
      tokens: this.config.usageDailyMaxTokens,
    };
    let usdLeft: number | undefined;
    let tokensLeft: number | undefined;
    if (daily.usd > 0 || daily.tokens > 0) {
      const today = await this.ledger.today(caller);
      if (daily.usd > 0) {
        usdLeft = daily.usd - today.countedUsd;
        if (usdLeft <= 0) throw this.exceeded(caller, 'usd', today.countedUsd, daily.usd);
      }
      if (daily.tokens > 0) {
        tokensLeft = daily.tokens - today.countedTokens;
        if (tokensLeft <= 0) throw this.exceeded(caller, 'tokens', today.countedTokens, daily.tokens);
      }
    }
    const maxUsd = minOf(args.max_usd, usdLeft);
    const maxTokens = minOf(args.max_tokens, tokensLeft);
    return new CallMeter(
      caller,
      { ...(maxUsd !== undefined ? { maxUsd } : {}), ...(maxTokens !== undefined ? { maxTokens } : {}) },
      this.prices,
      this.ledger,
    );
  }

  private exceeded(caller: string, limit: 'usd' | 'tokens', spent: number, max: number): BrutalistError {
    const now = this.clock.now();
    const retryAfterMs = DAY_MS - (now % DAY_MS);
    return new BrutalistError('BUDGET_EXCEEDED', undefined, {
      data: { caller, limit, spent: round(spent), max, retryAfterMs },
    });
  }
}

function minOf(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

const round = (n: number): number => Math.round(n * 1e6) / 1e6;
