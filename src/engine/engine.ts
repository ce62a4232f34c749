/** The engine's front: follow-ups, then a plan per new request (plan.ts) run by the PlanRunner, then a page. */

import {
  type CriticAvailability,
  type CriticLogins,
  defaultModelFor,
  type LoginStatus,
  runCritic,
} from '../critics/index.js';
import { DOMAIN_IDS, discover, getDomain } from '../domains/index.js';
import { BrutalistError } from '../errors/index.js';
import { type Clock, systemClock, traceStep } from '../infra/index.js';
import { activeProcessGroups, RECURSION_ENV } from '../process/index.js';
import { CritiqueSanitizer, checkTextLimits, type ResolvedTarget, resolveTarget } from '../security/index.js';
import type { StateStore, StateStoreStats, StoreHealth } from '../state/index.js';
import { BackgroundRuns } from './background-runs.js';
import type { Config, CriticName } from './config.js';
import { loadConversation, saveConversation } from './conversations.js';
import { type CriticRunner, selectCritics } from './critic-runs.js';
import { fingerprintTarget } from './fingerprint.js';
import { CriticGuard, type CriticGuardDeps } from './guarded-runner.js';
import {
  checkDebateArgs,
  checkRoastArgs,
  chooseDebaters,
  type DebatePlanContext,
  debatePlan,
  roastPlan,
} from './plan.js';
import { PlanRunner } from './plan-runner.js';
import { isContextId, ResultPages } from './results.js';
import { Tasks } from './tasks.js';
import type {
  DebateArgs,
  EngineResult,
  NewDebateArgs,
  NewRoastArgs,
  PagingArgs,
  RequestContext,
  RoastArgs,
  ToolId,
  ToolResponse,
} from './types.js';
import { redactDebateInput, redactRoastInput } from './untrusted-input.js';
import { bookedRunner, withBudgetNotes } from './usage-calls.js';
import { UsageBudgets } from './usage-meter.js';

export interface EngineDeps {
  readonly config: Config;
  readonly store: StateStore;
  readonly availability: CriticAvailability;
  /** Login state for the roster; absent: the roster says nothing about logins. */
  readonly logins?: CriticLogins;
  readonly clock?: Clock;
  /** The server's environment (critics get an allowlisted copy). */
  readonly env?: NodeJS.ProcessEnv;
  /** Replaces the real critic runner (benchmarks compare against it); defaults to runCritic. */
  readonly runner?: CriticRunner;
  /** Test seams of the resilience guard: a pressure reading in place of the process probe, a jitter source. */
  readonly resilience?: Pick<CriticGuardDeps, 'pressure' | 'random'>;
}

export class Engine {
  readonly config: Config;
  private readonly store: StateStore;
  private readonly availability: CriticAvailability;
  private readonly logins: CriticLogins | undefined;
  private readonly clock: Clock;
  private readonly env: NodeJS.ProcessEnv;
  private readonly runner: CriticRunner;
  /** Breakers, admission queue, retries and shedding around every critic run. */
  readonly guard: CriticGuard;
  private readonly pages: ResultPages;
  /** Cache, single-flight and the circuit-open fallback around every plan. */
  private readonly plans: PlanRunner;
  /** Critic answers and client text pass through it (prepared once with the server env's credential values). */
  private readonly sanitizer: CritiqueSanitizer;
  /** Critiques that outlive one call (pending results, waits, cancels). */
  private readonly runs: BackgroundRuns;
  /** MCP tasks: a second way to wait on the same runs (their ids are the runs' context ids). */
  readonly tasks: Tasks;
  /** Per-call caps, daily caps per caller, and the usage ledger in the state store (ADR 0047). */
  readonly usage: UsageBudgets;

  constructor(deps: EngineDeps) {
    this.config = deps.config;
    this.store = deps.store;
    this.availability = deps.availability;
    this.logins = deps.logins;
    this.clock = deps.clock ?? systemClock;
    this.env = deps.env ?? process.env;
    this.sanitizer = new CritiqueSanitizer(this.env);
    this.pages = new ResultPages(this.store, this.config, this.clock);
    this.runs = new BackgroundRuns(this.store, this.clock, this.config);
    this.tasks = new Tasks(this.store, this.runs, this.clock, this.config);
    this.usage = UsageBudgets.on(this.store, this.config, this.clock);
    // runCritic holds a budget itself (mid-run stops); another runner (the queue's) is booked around each run.
    this.runner =
      (deps.runner && bookedRunner(deps.runner)) ??
      ((critic, request, options) =>
        runCritic(
          { config: this.config, availability: this.availability, clock: this.clock, env: this.env },
          critic,
          request,
          options,
        ));
    this.guard = new CriticGuard({
      config: this.config,
      clock: this.clock,
      runner: this.runner,
      children: activeProcessGroups,
      ...deps.resilience,
    });
    this.plans = new PlanRunner({
      config: this.config,
      store: this.store,
      availability: this.availability,
      guard: this.guard,
      sanitizer: this.sanitizer,
      clock: this.clock,
    });
  }

  /**
   * `roast`: a critique of a target or an idea; or a follow-up on an earlier one (a page, a wait, a cancel). A
   * critique not done within the call's wait answers "running"; it goes on, and `context_id` waits for it.
   */
  async roast(args: RoastArgs, ctx: RequestContext): Promise<EngineResult> {
    const followed = await this.followUp('roast', args, ctx, args.resume === true);
    if (followed) return followed;
    const domain = args.domain;
    if (!domain) {
      throw new BrutalistError(
        'INVALID_ARGUMENT',
        `A new critique needs \`domain\`, one of: ${DOMAIN_IDS.join(', ')}. A follow-up needs \`cursor\` or \`context_id\` instead.`,
        { data: { field: 'domain', domains: [...DOMAIN_IDS] } },
      );
    }
    return this.runs.start(ctx.owner, 'roast', ctx, (contextId, job) =>
      this.runRoast({ ...args, domain }, job, contextId),
    );
  }

  private async runRoast(args: NewRoastArgs, ctx: RequestContext, contextId: string): Promise<ToolResponse> {
    const call = this.guard.callFor(args.priority, ctx.owner, ctx.timeoutMs);
    this.guardRecursion();
    const { redaction, target, fingerprint } = await traceStep('validation', {}, async () => {
      checkRoastArgs(args, this.config);
      // From here on (prompt, cache key, conversation) only the redacted text exists.
      const redaction = redactRoastInput(args, this.sanitizer, this.config.redactInputSecrets);
      return { redaction, ...(await this.locate(redaction.args, ctx.roots)) };
    });
    args = redaction.args;
    const conversation = args.resume ? await loadConversation(this.store, args, ctx.owner) : undefined;
    const selection = await selectCritics(args.clis ?? conversation?.critics, this.availability, this.config);
    const plan = roastPlan(args, {
      target,
      fingerprint,
      conversation,
      selection,
      redactedInput: redaction.redacted,
      now: this.clock.now(),
    });
    const meter = await this.usage.open(ctx.owner, args);
    const { finished, critics } = await withBudgetNotes(meter, () =>
      this.plans.run(plan, ctx, { ...call, budget: meter }),
    );
    return traceStep('store', { what: 'result' }, async () => {
      const response = await this.pages.save(ctx.owner, finished.text, finished.meta, plan.limit, contextId);
      await saveConversation(this.store, this.config, {
        contextId: response.contextId,
        owner: ctx.owner,
        tool: 'roast',
        domain: plan.domain,
        critics,
        turns: [...plan.turns, ...finished.turns],
      });
      return response;
    });
  }

  /**
   * A task's result as its tool call would have answered (the page, cancelled, or the error thrown): a wait on the
   * run by its context id, which is the task id.
   */
  async taskResult(taskId: string, ctx: RequestContext): Promise<{ tool: ToolId; result: EngineResult }> {
    return this.tasks.result(ctx.owner, taskId, (tool) =>
      tool === 'roast'
        ? this.roast({ context_id: taskId, fields: {} }, ctx)
        : this.debate({ context_id: taskId }, ctx),
    );
  }

  /** A filesystem target's realpath inside a root and its fingerprint (undefined: too large to cache). */
  private async locate(
    args: NewRoastArgs,
    roots: readonly string[],
  ): Promise<{ target?: ResolvedTarget; fingerprint: string | undefined }> {
    if (getDomain(args.domain).kind !== 'filesystem' || !args.target) return { fingerprint: 'abstract' };
    const target = await resolveTarget(args.target, roots, this.config);
    return { target, fingerprint: await fingerprintTarget(target.path, this.config.fingerprintMaxFiles) };
  }

  /** `roast_cli_debate`: two critics argue opposite positions for 1..3 rounds; follow-ups as for `roast`. */
  async debate(args: DebateArgs, ctx: RequestContext): Promise<EngineResult> {
    const followed = await this.followUp('roast_cli_debate', args, ctx, false);
    if (followed) return followed;
    const { topic, proPosition, conPosition } = args;
    if (!topic || !proPosition || !conPosition) {
      const missing = (['topic', 'proPosition', 'conPosition'] as const).filter((f) => !args[f]);
      throw new BrutalistError(
        'INVALID_ARGUMENT',
        `A new debate needs ${missing.map((f) => `\`${f}\``).join(', ')} (topic, proPosition and conPosition). A follow-up needs \`cursor\` or \`context_id\` instead.`,
        { data: { field: missing[0] ?? 'topic' } },
      );
    }
    return this.runs.start(ctx.owner, 'roast_cli_debate', ctx, (contextId, job) =>
      this.runDebate({ ...args, topic, proPosition, conPosition }, job, contextId),
    );
  }

  private async runDebate(
    args: NewDebateArgs,
    ctx: RequestContext,
    contextId: string,
  ): Promise<ToolResponse> {
    const call = this.guard.callFor(args.priority, ctx.owner, ctx.timeoutMs);
    this.guardRecursion();
    const redaction = await traceStep('validation', {}, async () => {
      checkDebateArgs(args, this.config);
      return redactDebateInput(args, this.sanitizer, this.config.redactInputSecrets);
    });
    args = redaction.args;
    const chosen = await this.debaters(args.agents);
    const plan = debatePlan(args, { ...chosen, redactedInput: redaction.redacted });
    const meter = await this.usage.open(ctx.owner, args);
    const { finished } = await withBudgetNotes(meter, () =>
      this.plans.run(plan, ctx, { ...call, budget: meter }),
    );
    return traceStep('store', { what: 'result' }, () =>
      this.pages.save(ctx.owner, finished.text, finished.meta, plan.limit, contextId),
    );
  }

  /** The named pair when both are installed (else the missing one's code), or the first two with closed circuits. */
  private async debaters(
    named: readonly CriticName[] | undefined,
  ): Promise<Pick<DebatePlanContext, 'agents' | 'notes'>> {
    const [pro, con] = named ?? [];
    if (pro && con) {
      const selection = await selectCritics([pro, con], this.availability, {
        ...this.config,
        maxParallelCritics: 2,
      });
      const missing = selection.skipped[0];
      if (missing) {
        throw new BrutalistError(missing.code as 'CLI_NOT_FOUND', undefined, {
          data: { critic: missing.critic },
        });
      }
      return { agents: [pro, con], notes: [] };
    }
    const available = (await this.availability.checkAll()).filter((a) => a.available).map((a) => a.critic);
    const installed = this.config.criticPreference.filter((c) => available.includes(c));
    return chooseDebaters(installed, (c) => this.guard.breakers[c].rejecting);
  }

  /** The state store's health and counters, for the roster and `doctor`; never throws. */
  async stateHealth(): Promise<
    StoreHealth & { readonly stats: StateStoreStats | null; readonly cacheHitRatio: number | null }
  > {
    const health = await this.store
      .health()
      .catch((): StoreHealth => ({ backend: 'memory', status: 'degraded', detail: 'state store closed' }));
    const stats = await this.store.stats().catch(() => null);
    const lookups = stats ? stats.cacheHits + stats.cacheMisses : 0;
    return { ...health, stats, cacheHitRatio: stats && lookups > 0 ? stats.cacheHits / lookups : null };
  }

  /** `cli_agent_roster`: which critics are installed, their versions and configured models. */
  async roster(): Promise<
    Array<{
      critic: CriticName;
      available: boolean;
      version: string | null;
      /** The absolute path this critic is spawned by (resolved at the last probe); null when not found. */
      path: string | null;
      defaultModel: string | null;
      error: string | null;
      /** Why this binary was chosen or refused (agy: the IDE's launcher passed over); null when nothing to say. */
      note: string | null;
      /** Logged in (true/false/null: unknown), how, and the fix; null when not checked (critic not installed). */
      login: { loggedIn: boolean | null; method: string | null; fix: string | null } | null;
      /** Circuit breaker state and the critic's admission slots. */
      circuit: ReturnType<CriticGuard['status']>['circuit'];
      running: number;
      queued: number;
    }>
  > {
    // Both cached for availabilityTtlMs; a login check waits for its critic's availability probe.
    const [all, logins] = await Promise.all([this.availability.checkAll(), this.logins?.checkAll()]);
    return all.map((a) => ({
      critic: a.critic,
      available: a.available,
      version: a.version ?? null,
      path: a.path ?? null,
      defaultModel: defaultModelFor(this.config, a.critic) ?? null,
      error: a.error ?? null,
      note: a.note ?? null,
      login: a.available ? loginOf(logins?.find((l) => l.critic === a.critic)) : null,
      ...this.guard.status(a.critic),
    }));
  }

  /** Whether critics run confined (bwrap) or not, and why; for the roster and `doctor`. */
  sandbox(): ReturnType<CriticAvailability['sandbox']> {
    return this.availability.sandbox();
  }

  /** One critic's circuit and slots, without probing or login checks (health checks, the dashboard). */
  criticStatus(critic: CriticName): ReturnType<CriticGuard['status']> {
    return this.guard.status(critic);
  }

  /** Whole-server admission and pressure, for the roster. */
  capacity(): ReturnType<CriticGuard['capacity']> {
    return this.guard.capacity();
  }

  /**
   * Stops critiques still running in the background (their records say so: a waiter after a restart gets
   * RUN_LOST) and the resilience timers (pressure sampling, breaker reopen announcements).
   */
  async close(): Promise<void> {
    this.guard.close();
    await this.runs.shutdown();
  }

  discover(intent: string, limit?: number): ReturnType<typeof discover> {
    checkTextLimits({ intent }, this.config, ['intent']);
    return discover(intent, limit);
  }

  // ---- steps

  /**
   * A follow-up on an earlier critique: `cancel` stops it; `cursor` pages it; `context_id` (without resume) waits for
   * it while it runs, then pages it. Null: a new request.
   */
  private async followUp(
    tool: ToolId,
    args: PagingArgs & { readonly cancel?: boolean },
    ctx: RequestContext,
    resuming: boolean,
  ): Promise<EngineResult | null> {
    if (args.cancel) {
      if (!args.context_id) {
        throw new BrutalistError('INVALID_ARGUMENT', 'cancel needs the context_id of a running critique.', {
          data: { field: 'context_id' },
        });
      }
      if (!isContextId(args.context_id)) throw new BrutalistError('CONTEXT_NOT_FOUND');
      return this.runs.cancel(ctx.owner, args.context_id, tool);
    }
    if (args.cursor) return this.pages.pageByCursor(ctx.owner, args.cursor, args.limit);
    if (args.context_id && !resuming) {
      if (!isContextId(args.context_id)) throw new BrutalistError('CONTEXT_NOT_FOUND');
      const waited = await this.runs.follow(ctx.owner, args.context_id, ctx);
      // The first page in hand answers a plain wait; an offset or another page size reads the stored text.
      if (waited && (waited.status !== 'done' || (args.offset === undefined && args.limit === undefined))) {
        return waited;
      }
      return this.pages.page(ctx.owner, args.context_id, args.offset ?? 0, args.limit);
    }
    if (args.offset !== undefined && args.offset > 0) {
      throw new BrutalistError('INVALID_ARGUMENT', 'offset needs the context_id of an earlier result.', {
        data: { field: 'offset' },
      });
    }
    return null;
  }

  private guardRecursion(): void {
    if (this.env[RECURSION_ENV]) throw new BrutalistError('RECURSION_BLOCKED');
  }
}

function loginOf(status: LoginStatus | undefined) {
  if (!status) return null;
  return { loggedIn: status.loggedIn, method: status.method, fix: status.fix };
}
