/** The engine's front: follow-ups, then a plan per new request (plan.ts) run by the PlanRunner, then a page. */

import {
  type CriticAvailability,
  type CriticLogins,
  defaultModelFor,
  type LoginStatus,
  runCritic,
  withRoutedSecrets,
} from '../critics/index.js';
import { DOMAIN_IDS, discover, getDomain } from '../domains/index.js';
import { BrutalistError } from '../errors/index.js';
import { type Clock, systemClock, traceStep } from '../infra/index.js';
import { activeProcessGroups, RECURSION_ENV } from '../process/index.js';
import {
  CritiqueSanitizer,
  checkTextLimits,
  type ResolvedTarget,
  resolveTarget,
  UrlPolicy,
} from '../security/index.js';
import type { RunRecord, RunReplay, StateStore, StateStoreStats, StoreHealth } from '../state/index.js';
import type { StreamEvent } from '../streaming/index.js';
import { BackgroundRuns, type JobWork } from './background-runs.js';
import type { Config, CriticId } from './config.js';
import { loadConversation, saveConversation } from './conversations.js';
import { type CriticRunner, NO_ROUTES, type RouteTable, selectCritics } from './critic-runs.js';
import { surveyTarget, type TargetSurvey } from './fingerprint.js';
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
import { findingsSettings } from './plan-work.js';
import { isContextId, ResultPages } from './results.js';
import { debaterIds, requestedCritics, routedRosterRows, routesFor } from './routed-critics.js';
import { Tasks } from './tasks.js';
import type {
  DebateArgs,
  EngineResult,
  NewDebateArgs,
  NewRoastArgs,
  PagingArgs,
  RequestContext,
  RoastArgs,
  RosterRow,
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
    // Routed tokens may sit in variables of any name: the sanitizer is told their values too.
    this.sanitizer = new CritiqueSanitizer(withRoutedSecrets(this.config, this.env));
    this.pages = new ResultPages(this.store, this.config, this.clock);
    this.runs = new BackgroundRuns(
      this.store,
      this.clock,
      this.config,
      // Queue execution: the critics run on workers, so a front that dies leaves runs another front can adopt.
      this.config.execution === 'queue' ? (record) => this.resume(record) : undefined,
    );
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
      findings: findingsSettings(this.config),
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
    return this.runs.start(
      ctx.owner,
      'roast',
      ctx,
      (contextId, job) => this.runRoast({ ...args, domain }, job, contextId),
      this.replayOf(
        ctx,
        () => redactRoastInput({ ...args, domain }, this.sanitizer, this.config.redactInputSecrets).args,
      ),
    );
  }

  /**
   * Queue execution: the request as a record keeps it for a front that adopts the run, redacted as the critics get
   * it (a replay redacts again, which changes nothing). Undefined in local mode, or when redaction throws (the run
   * itself then fails with that error).
   */
  private replayOf(ctx: RequestContext, redacted: () => object): RunReplay | undefined {
    if (this.config.execution !== 'queue') return undefined;
    try {
      return {
        args: JSON.parse(JSON.stringify(redacted())) as Record<string, unknown>,
        roots: [...ctx.roots],
        ...(ctx.timeoutMs === undefined ? {} : { timeoutMs: ctx.timeoutMs }),
      };
    } catch {
      return undefined;
    }
  }

  /** The work replaying a run's stored request under its context id (see replayOf); undefined when there is none. */
  private resume(record: RunRecord): JobWork | undefined {
    const args = record.replay?.args;
    if (!args) return undefined;
    // The run's own checks (checkRoastArgs, checkDebateArgs) validate the stored arguments again.
    if (record.tool === 'roast' && typeof args.domain === 'string') {
      const roast = { fields: {}, ...args } as unknown as NewRoastArgs;
      return (contextId, job) => this.runRoast(roast, job, contextId);
    }
    if (record.tool === 'roast_cli_debate' && typeof args.topic === 'string') {
      const debate = args as unknown as NewDebateArgs;
      return (contextId, job) => this.runDebate(debate, job, contextId);
    }
    return undefined;
  }

  private async runRoast(args: NewRoastArgs, ctx: RequestContext, contextId: string): Promise<ToolResponse> {
    const call = this.guard.callFor(args.priority, ctx.owner, ctx.timeoutMs, contextId);
    this.guardRecursion();
    const routes = routesFor(args.clients, this.config, this.env);
    const { redaction, target, fingerprint, snapshot } = await traceStep('validation', {}, async () => {
      checkRoastArgs(args, this.config, routes);
      // A design page must pass the URL policy before a browser is started for it (the proxy holds it there too).
      if (typeof args.fields.url === 'string') await new UrlPolicy(this.config).check(args.fields.url);
      // From here on (prompt, cache key, conversation) only the redacted text exists.
      const redaction = redactRoastInput(args, this.sanitizer, this.config.redactInputSecrets);
      return { redaction, ...(await this.locate(redaction.args, ctx.roots)) };
    });
    args = redaction.args;
    const conversation = args.resume ? await loadConversation(this.store, args, ctx.owner) : undefined;
    const asked = await requestedCritics(args.clis, args.clients, this.availability, this.config);
    const selection = await selectCritics(
      asked ?? conversation?.critics,
      this.availability,
      this.config,
      routes,
    );
    const plan = roastPlan(args, {
      target,
      fingerprint,
      snapshot,
      conversation,
      selection,
      routes,
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

  /** A run's progress events until it ends (tasks: their progress goes on after the creating call returned). */
  watchRun(owner: string, contextId: string, listener: (event: StreamEvent) => void): Promise<void> {
    return this.runs.watch(owner, contextId, listener);
  }

  /**
   * A filesystem target's realpath inside a root, its fingerprint (undefined: too large to cache) and, for a
   * directory, the findings snapshot from the same walk.
   */
  private async locate(
    args: NewRoastArgs,
    roots: readonly string[],
  ): Promise<{ target?: ResolvedTarget } & TargetSurvey> {
    if (getDomain(args.domain).kind !== 'filesystem' || !args.target) return { fingerprint: 'abstract' };
    const target = await resolveTarget(args.target, roots, this.config);
    const survey = await surveyTarget(target.path, {
      fingerprintMaxFiles: this.config.fingerprintMaxFiles,
      snapshotMaxFiles: this.config.findingsSnapshotMaxFiles,
    });
    return { target, ...survey };
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
    const debate: NewDebateArgs = { ...args, topic, proPosition, conPosition };
    return this.runs.start(
      ctx.owner,
      'roast_cli_debate',
      ctx,
      (contextId, job) => this.runDebate(debate, job, contextId),
      this.replayOf(
        ctx,
        () => redactDebateInput(debate, this.sanitizer, this.config.redactInputSecrets).args,
      ),
    );
  }

  private async runDebate(
    args: NewDebateArgs,
    ctx: RequestContext,
    contextId: string,
  ): Promise<ToolResponse> {
    const call = this.guard.callFor(args.priority, ctx.owner, ctx.timeoutMs, contextId);
    this.guardRecursion();
    const routes = routesFor(args.clients, this.config, this.env);
    const redaction = await traceStep('validation', {}, async () => {
      checkDebateArgs(args, this.config, routes);
      return redactDebateInput(args, this.sanitizer, this.config.redactInputSecrets);
    });
    args = redaction.args;
    const chosen = await this.debaters(args.agents, routes);
    const plan = debatePlan(args, { ...chosen, routes, redactedInput: redaction.redacted });
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
    named: readonly string[] | undefined,
    routes: RouteTable,
  ): Promise<Pick<DebatePlanContext, 'agents' | 'notes'>> {
    const pair = debaterIds(named ?? [], routes);
    if (pair) {
      const [pro, con] = pair;
      const selection = await selectCritics(
        [pro, con],
        this.availability,
        { ...this.config, maxParallelCritics: 2 },
        routes,
      );
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
    return chooseDebaters(installed, (c) => this.guard.breakerOf(c, NO_ROUTES).rejecting);
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
  async roster(): Promise<RosterRow[]> {
    // Both cached for availabilityTtlMs; a login check waits for its critic's availability probe.
    const [all, logins] = await Promise.all([this.availability.checkAll(), this.logins?.checkAll()]);
    const natives = all.map((a) => ({
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
    const routed = await routedRosterRows(this.config, this.env, this.availability, this.guard);
    return [...natives, ...routed];
  }

  /** Whether critics run confined (bwrap) or not, and why; for the roster and `doctor`. */
  sandbox(): ReturnType<CriticAvailability['sandbox']> {
    return this.availability.sandbox();
  }

  /** One critic's circuit and slots, without probing or login checks (health checks, the dashboard). */
  criticStatus(critic: CriticId): ReturnType<CriticGuard['status']> {
    return this.guard.status(critic);
  }

  /** Whole-server admission and pressure, for the roster. */
  capacity(): ReturnType<CriticGuard['capacity']> {
    return this.guard.capacity();
  }

  /** The drain: true once every critique started here has ended and been recorded, false after graceMs. */
  untilCritiquesSettled(graceMs: number): Promise<boolean> {
    return this.runs.untilSettled(graceMs);
  }

  /**
   * Stops critiques still running in the background (their records say so: a waiter after a restart gets
   * RUN_LOST) and the resilience timers (pressure sampling, breaker reopen announcements).
   */
  async close(): Promise<void> {
    this.guard.close();
    await this.runs.shutdown();
    // Usage noted after the answers went out, before the store closes.
    await this.usage.ledger.flush();
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
