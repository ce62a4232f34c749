/** New critiques: a roast or a debate checked, its target resolved, planned, run by the PlanRunner and stored. */

import type { CriticAvailability } from '../critics/index.js';
import { getDomain } from '../domains/index.js';
import { BrutalistError } from '../errors/index.js';
import { type Clock, traceStep } from '../infra/index.js';
import { RECURSION_ENV } from '../process/index.js';
import { type CritiqueSanitizer, type ResolvedTarget, resolveTarget, UrlPolicy } from '../security/index.js';
import type { RunRecord, StateStore } from '../state/index.js';
import type { JobWork } from './background-runs.js';
import type { Config } from './config.js';
import { loadConversation, saveConversation } from './conversations.js';
import { NO_ROUTES, type RouteTable, selectCritics } from './critic-runs.js';
import { surveyTarget, type TargetSurvey } from './fingerprint.js';
import type { CriticGuard } from './guarded-runner.js';
import {
  checkDebateArgs,
  checkRoastArgs,
  chooseDebaters,
  type DebatePlanContext,
  debatePlan,
  roastPlan,
} from './plan.js';
import type { PlanRunner } from './plan-runner.js';
import type { ResultPages } from './results.js';
import { debaterIds, requestedCritics, routesFor } from './routed-critics.js';
import type { NewDebateArgs, NewRoastArgs, RequestContext, ToolResponse } from './types.js';
import { redactDebateInput, redactRoastInput } from './untrusted-input.js';
import { withBudgetNotes } from './usage-calls.js';
import type { UsageBudgets } from './usage-meter.js';

/** The engine's parts a new critique uses (the Engine builds them once). */
export interface ToolRunsDeps {
  readonly config: Config;
  readonly store: StateStore;
  readonly availability: CriticAvailability;
  readonly clock: Clock;
  readonly env: NodeJS.ProcessEnv;
  readonly guard: CriticGuard;
  readonly pages: ResultPages;
  readonly plans: PlanRunner;
  readonly sanitizer: CritiqueSanitizer;
  readonly usage: UsageBudgets;
}

/** Runs a new roast or debate under its context id, or one a front adopts from its stored request. */
export class ToolRuns {
  private readonly config: Config;
  private readonly store: StateStore;
  private readonly availability: CriticAvailability;
  private readonly clock: Clock;
  private readonly env: NodeJS.ProcessEnv;
  private readonly guard: CriticGuard;
  private readonly pages: ResultPages;
  private readonly plans: PlanRunner;
  private readonly sanitizer: CritiqueSanitizer;
  private readonly usage: UsageBudgets;

  constructor(deps: ToolRunsDeps) {
    this.config = deps.config;
    this.store = deps.store;
    this.availability = deps.availability;
    this.clock = deps.clock;
    this.env = deps.env;
    this.guard = deps.guard;
    this.pages = deps.pages;
    this.plans = deps.plans;
    this.sanitizer = deps.sanitizer;
    this.usage = deps.usage;
  }

  /** The work replaying a run's stored request under its context id (see Engine.replayOf); undefined when there is none. */
  resume(record: RunRecord): JobWork | undefined {
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

  async runRoast(args: NewRoastArgs, ctx: RequestContext, contextId: string): Promise<ToolResponse> {
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

  async runDebate(args: NewDebateArgs, ctx: RequestContext, contextId: string): Promise<ToolResponse> {
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

  private guardRecursion(): void {
    if (this.env[RECURSION_ENV]) throw new BrutalistError('RECURSION_BLOCKED');
  }
}
