/** The engine's front: follow-ups, then a plan per new request (plan.ts) run by the PlanRunner, then a page. */
import {
  type CriticAvailability,
  type CriticLogins,
  runCritic,
  withRoutedSecrets,
} from '../critics/index.js';
import { DOMAIN_IDS, discover } from '../domains/index.js';
import { BrutalistError } from '../errors/index.js';
import { type Clock, systemClock } from '../infra/index.js';
import { activeProcessGroups } from '../process/index.js';
import { CritiqueSanitizer, checkTextLimits } from '../security/index.js';
import type { RunRecord, RunReplay, StateStore } from '../state/index.js';
import type { StreamEvent } from '../streaming/index.js';
import { BackgroundRuns, type JobWork } from './background-runs.js';
import type { Config, CriticId } from './config.js';
import type { CriticRunner } from './critic-runs.js';
import { followUp } from './follow-ups.js';
import { CriticGuard, type CriticGuardDeps } from './guarded-runner.js';
import { PlanRunner } from './plan-runner.js';
import { findingsSettings } from './plan-work.js';
import { ResultPages } from './results.js';
import { roster, stateHealth } from './roster.js';
import { Tasks } from './tasks.js';
import { ToolRuns } from './tool-runs.js';
import type {
  DebateArgs,
  EngineResult,
  NewDebateArgs,
  PagingArgs,
  RequestContext,
  RoastArgs,
  RosterRow,
  ToolId,
} from './types.js';
import { redactDebateInput, redactRoastInput } from './untrusted-input.js';
import { bookedRunner } from './usage-calls.js';
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
  /** New roasts and debates: checked, planned, run and stored (tool-runs.ts). */
  private readonly critiques: ToolRuns;

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
    this.critiques = new ToolRuns({
      config: this.config,
      store: this.store,
      availability: this.availability,
      clock: this.clock,
      env: this.env,
      guard: this.guard,
      pages: this.pages,
      plans: this.plans,
      sanitizer: this.sanitizer,
      usage: this.usage,
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
      (contextId, job) => this.critiques.runRoast({ ...args, domain }, job, contextId),
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
    return this.critiques.resume(record);
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
      (contextId, job) => this.critiques.runDebate(debate, job, contextId),
      this.replayOf(
        ctx,
        () => redactDebateInput(debate, this.sanitizer, this.config.redactInputSecrets).args,
      ),
    );
  }

  /** The state store's health and counters, for the roster and `doctor`; never throws. */
  stateHealth(): ReturnType<typeof stateHealth> {
    return stateHealth(this.store);
  }

  /** `cli_agent_roster`: which critics are installed, their versions and configured models. */
  roster(): Promise<RosterRow[]> {
    return roster({
      config: this.config,
      env: this.env,
      availability: this.availability,
      logins: this.logins,
      guard: this.guard,
    });
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

  /** A follow-up on an earlier critique (a cancel, a page, a wait); null: a new request (follow-ups.ts). */
  private followUp(
    tool: ToolId,
    args: PagingArgs & { readonly cancel?: boolean },
    ctx: RequestContext,
    resuming: boolean,
  ): Promise<EngineResult | null> {
    return followUp({ runs: this.runs, pages: this.pages }, tool, args, ctx, resuming);
  }
}
