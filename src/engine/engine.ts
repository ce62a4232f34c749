/** The request pipeline: validate, page or resume, pick critics, cache + single-flight, run, store, page. */
import { basename, dirname } from 'node:path';
import type { Config, CriticName } from '../config/index.js';
import { type CriticAvailability, type CriticLogins, type LoginStatus, runCritic } from '../critics/index.js';
import { buildRoastPrompt, DOMAIN_IDS, discover, getDomain, runDebate } from '../domains/index.js';
import { BrutalistError, isBrutalistError } from '../errors/index.js';
import { type Clock, newId, sha256Hex, systemClock } from '../infra/index.js';
import { activeProcessGroups, RECURSION_ENV } from '../process/index.js';
import {
  addCounts,
  CritiqueSanitizer,
  checkTextLimits,
  NO_SANITIZED,
  resolveTarget,
  type SanitizedCounts,
} from '../security/index.js';
import type {
  Conversation,
  ConversationTurn,
  StateStore,
  StateStoreStats,
  StoreHealth,
} from '../state/index.js';
import type { StreamEvent } from '../streaming/index.js';
import { BackgroundRuns } from './background-runs.js';
import { composeCritique, composeTurnDetails } from './compose.js';
import {
  type CriticOutcome,
  type CriticRunner,
  checkModels,
  type EmitEvent,
  runCriticsInParallel,
  type Selection,
  selectCritics,
  summarize,
  throwIfAllFailed,
  type Workplace,
} from './critic-runs.js';
import { DistributedFlight } from './distributed-flight.js';
import { fingerprintTarget } from './fingerprint.js';
import { CriticGuard, type CriticGuardDeps, type GuardedCall } from './guarded-runner.js';
import { isContextId, ResultPages, readResultMeta } from './results.js';
import { SingleFlight, stableJson } from './single-flight.js';
import type {
  DebateArgs,
  EngineResult,
  NewDebateArgs,
  NewRoastArgs,
  PagingArgs,
  RequestContext,
  ResultMeta,
  RoastArgs,
  ToolId,
  ToolResponse,
} from './types.js';
import { redactDebateInput, redactRoastInput } from './untrusted-input.js';

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

interface Finished {
  readonly text: string;
  readonly meta: ResultMeta;
  readonly turns: readonly ConversationTurn[];
}

const LONG_FIELDS = ['context', 'topic', 'proPosition', 'conPosition'];

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
  private readonly flights = new SingleFlight<Finished, StreamEvent>();
  private readonly distributed: DistributedFlight;
  /** Critic answers and client text pass through it (prepared once with the server env's credential values). */
  private readonly sanitizer: CritiqueSanitizer;
  /** Critiques that outlive one call (pending results, waits, cancels). */
  private readonly runs: BackgroundRuns;

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
    this.distributed = new DistributedFlight(this.store, this.clock, {
      lockTtlMs: this.config.lockTtlMs,
      lockPollMs: this.config.lockPollMs,
      maxWaitMs: this.config.cliTimeoutMs + this.config.lockTtlMs,
    });
    this.runner =
      deps.runner ??
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
    const domain = getDomain(args.domain);
    // A filesystem target is checked by resolveTarget (length, NUL, components) and gets a PATH_* code.
    const title = domain.kind === 'abstract' ? { target: args.target } : {};
    checkTextLimits({ ...title, context: args.context, ...args.fields }, this.config, LONG_FIELDS);
    checkModels(args.models);
    // From here on (prompt, cache key, conversation) only the redacted text exists.
    const redaction = redactRoastInput(args, this.sanitizer, this.config.redactInputSecrets);
    args = redaction.args;

    const conversation = args.resume ? await this.loadConversation(args, ctx) : undefined;
    // Abstract domains have nothing to read: the runner gives each critic run an empty private dir.
    let place: Workplace = { fileAccess: 'none' };
    let targetPath: string | undefined;
    let fingerprint: string | undefined = 'abstract';
    let resolvedTarget: string | undefined;
    if (domain.kind === 'filesystem') {
      if (!args.target) {
        throw new BrutalistError('INVALID_ARGUMENT', `domain "${domain.id}" needs a target path.`, {
          data: { field: 'target' },
        });
      }
      const target = await resolveTarget(args.target, ctx.roots, this.config);
      resolvedTarget = target.path;
      place = { cwd: target.kind === 'directory' ? target.path : dirname(target.path), root: target.root };
      targetPath = target.kind === 'directory' ? '.' : basename(target.path);
      fingerprint = await fingerprintTarget(target.path, this.config.fingerprintMaxFiles);
    } else if (!args.context && !conversation) {
      throw new BrutalistError(
        'INVALID_ARGUMENT',
        `domain "${domain.id}" needs a context describing what to critique.`,
        {
          data: { field: 'context' },
        },
      );
    }

    const pinned = args.clis ?? conversation?.critics;
    let selection = await selectCritics(pinned, this.availability, this.config);
    const history = conversation?.turns.map((t) => ({ role: t.role, critic: t.critic, text: t.text }));
    const prompt = buildRoastPrompt({
      domain: domain.id,
      target: args.target,
      targetPath,
      context: args.context,
      fields: args.fields as Record<string, string | number | boolean | string[] | undefined>,
      history,
    });
    const keyFor = (critics: readonly CriticName[]) =>
      sha256Hex(
        stableJson({
          tool: 'roast',
          domain: domain.id,
          target: resolvedTarget,
          context: args.context,
          fields: args.fields,
          critics,
          models: args.models,
          fingerprint,
          history: history ? sha256Hex(stableJson(history)) : undefined,
          verbose: args.verbose === true,
        }),
      );
    const userTurn: ConversationTurn = {
      role: 'user',
      text: args.context ?? `Critique ${domain.title}: ${args.target ?? ''}`.trim(),
      at: this.clock.now(),
    };
    const runWith =
      (chosen: Selection, notes: string[]) =>
      async (signal: AbortSignal, emit: EmitEvent): Promise<Finished> => {
        const outcomes = await runCriticsInParallel(
          chosen.critics,
          (critic) => ({ prompt, model: args.models?.[critic] }),
          this.guard.runner(withEvents(call, emit)),
          { ...place, signal, sanitizer: this.sanitizer },
          emit,
          this.clock,
        );
        throwIfAllFailed(outcomes);
        const meta: ResultMeta = {
          tool: 'roast',
          domain: domain.id,
          critics: outcomes.map((o) => summarize(o, args.verbose === true)),
          cached: false,
          cacheAgeMs: null,
          skipped: chosen.skipped,
          notes,
          sanitized: sanitizedTotal(outcomes),
          redactedInput: redaction.redacted,
        };
        const title = `Brutalist critique: ${domain.title}${args.target ? ` (${args.target})` : ''}`;
        return {
          text: composeCritique(title, outcomes, args.verbose === true),
          meta,
          turns: criticTurns(outcomes, this.clock),
        };
      };
    const cacheable = fingerprint !== undefined;
    const forceRefresh = args.force_refresh === true;
    let finished: Finished;
    try {
      finished = await this.cachedRun(
        keyFor(selection.critics),
        cacheable,
        forceRefresh,
        ctx,
        selection.critics,
        runWith(selection, []),
      );
    } catch (err) {
      // The critic's circuit is open and no stale critique was at hand: another critic, unless one was pinned.
      const open = selection.critics;
      const alternate =
        isCircuitOpen(err) && !pinned ? await this.guard.alternate(open, this.availability) : undefined;
      if (!alternate) throw err;
      selection = { critics: [alternate], skipped: selection.skipped };
      const note = `${open.join(', ')} ${open.length === 1 ? 'is' : 'are'} paused (circuit open), so ${alternate} answered instead.`;
      finished = await this.cachedRun(
        keyFor(selection.critics),
        cacheable,
        forceRefresh,
        ctx,
        selection.critics,
        runWith(selection, [note]),
      );
    }
    const response = await this.pages.save(ctx.owner, finished.text, finished.meta, args.limit, contextId);
    await this.saveConversation(response.contextId, ctx.owner, 'roast', domain.id, selection.critics, [
      ...(conversation?.turns ?? []),
      userTurn,
      ...finished.turns,
    ]);
    return response;
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
    checkTextLimits(
      {
        topic: args.topic,
        proPosition: args.proPosition,
        conPosition: args.conPosition,
        context: args.context,
      },
      this.config,
      LONG_FIELDS,
    );
    checkModels(args.models);
    const redaction = redactDebateInput(args, this.sanitizer, this.config.redactInputSecrets);
    args = redaction.args;
    const notes: string[] = [];
    let agents: readonly [CriticName, CriticName];
    if (args.agents && args.agents.length > 0) {
      if (args.agents.length !== 2) {
        throw new BrutalistError('INVALID_ARGUMENT', 'agents must name exactly two critics (pro, con).', {
          data: { field: 'agents' },
        });
      }
      const selection = await selectCritics(args.agents, this.availability, {
        ...this.config,
        maxParallelCritics: 3,
      });
      if (selection.skipped.length > 0) {
        const missing = selection.skipped[0]!;
        throw new BrutalistError(missing.code as 'CLI_NOT_FOUND', undefined, {
          data: { critic: missing.critic },
        });
      }
      agents = [args.agents[0]!, args.agents[1]!];
    } else {
      const available = (await this.availability.checkAll()).filter((a) => a.available).map((a) => a.critic);
      const installed = this.config.criticPreference.filter((c) => available.includes(c));
      // Critics whose circuit is open argue only when nothing else is left (then CIRCUIT_OPEN or a stale debate).
      const closed = installed.filter((c) => !this.guard.breakers[c].rejecting);
      const ordered = closed.length > 0 ? closed : installed;
      const first = ordered[0];
      if (!first) throw new BrutalistError('NO_CRITIC_AVAILABLE');
      const second = ordered[1] ?? first;
      if (second === first) notes.push(`Only ${first} is available, so it argues both sides.`);
      agents = [first, second];
    }
    const rounds = args.rounds ?? 1;
    const key = debateCacheKey(args, agents, rounds);
    const finished = await this.cachedRun(
      key,
      true,
      args.force_refresh === true,
      ctx,
      [...new Set(agents)],
      async (signal, emit) => {
        const outcomes: CriticOutcome[] = [];
        {
          const debate = await runDebate(
            {
              topic: args.topic,
              proPosition: args.proPosition,
              conPosition: args.conPosition,
              context: args.context,
              rounds,
              agents,
            },
            {
              signal,
              runTurn: async (critic, _position, prompt, turnSignal) => {
                const [outcome] = await runCriticsInParallel(
                  [critic],
                  () => ({ prompt, model: args.models?.[critic] }),
                  this.guard.runner(withEvents(call, emit)),
                  // A debate reads no files: each turn runs in its own empty private dir.
                  { fileAccess: 'none', signal: turnSignal ?? signal, sanitizer: this.sanitizer },
                  emit,
                  this.clock,
                );
                outcomes.push(outcome!);
                if (!outcome!.ok) throw outcome!.error;
                return outcome!.result.text;
              },
            },
          );
          const meta: ResultMeta = {
            tool: 'roast_cli_debate',
            domain: null,
            critics: outcomes.map((o) => summarize(o, args.verbose === true)),
            cached: false,
            cacheAgeMs: null,
            skipped: [],
            notes,
            sanitized: sanitizedTotal(outcomes),
            redactedInput: redaction.redacted,
          };
          const details = args.verbose === true ? `\n${composeTurnDetails(outcomes)}\n` : '';
          return { text: `${debate.markdown}${details}`, meta, turns: [] };
        }
      },
    );
    return this.pages.save(ctx.owner, finished.text, finished.meta, args.limit, contextId);
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
      critic: string;
      available: boolean;
      version: string | null;
      /** The absolute path this critic is spawned by (resolved at the last probe); null when not found. */
      path: string | null;
      defaultModel: string | null;
      error: string | null;
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
    const models = {
      claude: this.config.claudeModel,
      codex: this.config.codexModel,
      gemini: this.config.geminiModel,
    };
    return all.map((a) => ({
      critic: a.critic,
      available: a.available,
      version: a.version ?? null,
      path: a.path ?? null,
      defaultModel: models[a.critic] || null,
      error: a.error ?? null,
      login: a.available ? loginOf(logins?.find((l) => l.critic === a.critic)) : null,
      ...this.guard.status(a.critic),
    }));
  }

  /** Whether critics run confined (bwrap) or not, and why; for the roster and `doctor`. */
  sandbox(): ReturnType<CriticAvailability['sandbox']> {
    return this.availability.sandbox();
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

  private async loadConversation(args: RoastArgs, ctx: RequestContext): Promise<Conversation> {
    if (!args.context_id) {
      throw new BrutalistError('INVALID_ARGUMENT', 'resume needs the context_id of an earlier critique.', {
        data: { field: 'context_id' },
      });
    }
    if (!args.context) {
      throw new BrutalistError(
        'INVALID_ARGUMENT',
        'resume needs a context: your follow-up question or answer.',
        {
          data: { field: 'context' },
        },
      );
    }
    const conversation = await this.store.getConversation(args.context_id);
    if (!conversation || conversation.owner !== ctx.owner) throw new BrutalistError('CONTEXT_NOT_FOUND');
    return conversation;
  }

  private async saveConversation(
    contextId: string,
    owner: string,
    tool: string,
    domain: string,
    critics: readonly CriticName[],
    turns: readonly ConversationTurn[],
  ): Promise<void> {
    const bounded = boundHistory(turns, this.config.maxHistoryChars);
    await this.store.putConversation(
      { contextId, owner, tool, domain, critics, turns: bounded },
      this.config.resultTtlMs,
      this.config.maxConversationTurns,
    );
  }

  /**
   * Across instances: one run per key under the store lock; the others take its cached result. `work` gets the
   * lock's fence and publishes (writes the cache) before the lock is released, so no waiter can win the lock
   * in between and run the critic a second time.
   */
  private async runShared(
    key: string,
    shared: boolean,
    signal: AbortSignal,
    work: (fence: number | undefined) => Promise<Finished>,
  ): Promise<Finished> {
    if (!shared) return work(undefined);
    const outcome = await this.distributed.run<Finished>(
      key,
      signal,
      async () => {
        const hit = await this.cached(key);
        // Entries are kept staleCacheMaxAgeMs past cacheTtlMs for the open-circuit fallback: only fresh ones count.
        if (!hit || this.clock.now() - hit.storedAt > this.config.cacheTtlMs) return null;
        const { meta } = hit;
        const cacheAgeMs = this.clock.now() - hit.storedAt;
        return { text: hit.text, meta: { ...meta, cached: true, cacheAgeMs }, turns: [] };
      },
      work,
    );
    return outcome.value;
  }

  /** Caches a fresh result when every critic succeeded in full; a stale fence is refused by the store. */
  /** A cache entry with its metadata validated; one this version cannot read counts as a miss. */
  private async cached(
    key: string,
  ): Promise<{ text: string; meta: ResultMeta; storedAt: number } | undefined> {
    const hit = await this.store.getCache(key);
    const meta = hit ? readResultMeta(hit.meta) : null;
    return hit && meta ? { text: hit.text, meta, storedAt: hit.storedAt } : undefined;
  }

  private async publish(key: string, finished: Finished, fence: number | undefined): Promise<void> {
    const complete = finished.meta.critics.every((c) => c.ok && !c.truncated);
    if (!complete || finished.meta.cached) return;
    await this.store.setCache(
      key,
      { text: finished.text, meta: { ...finished.meta }, storedAt: this.clock.now() },
      this.config.cacheTtlMs + this.config.staleCacheMaxAgeMs,
      fence,
    );
  }

  /** Cache lookup, then single-flight around the run, then cache write when every critic succeeded in full. */
  private async cachedRun(
    key: string,
    cacheable: boolean,
    forceRefresh: boolean,
    ctx: RequestContext,
    critics: readonly CriticName[],
    run: (signal: AbortSignal, emit: EmitEvent) => Promise<Finished>,
  ): Promise<Finished> {
    const useCache = cacheable && this.config.cacheTtlMs > 0;
    // Entries outlive cacheTtlMs by staleCacheMaxAgeMs: fresh ones answer, stale ones stand in for an open circuit.
    const hit = useCache ? await this.cached(key) : undefined;
    if (hit && !forceRefresh && this.clock.now() - hit.storedAt <= this.config.cacheTtlMs) {
      const { meta } = hit;
      return {
        text: hit.text,
        meta: { ...meta, cached: true, cacheAgeMs: this.clock.now() - hit.storedAt },
        turns: [],
      };
    }
    const stale = (): Finished | undefined => {
      const age = hit ? this.clock.now() - hit.storedAt : Number.POSITIVE_INFINITY;
      if (!hit || age > this.config.cacheTtlMs + this.config.staleCacheMaxAgeMs) return undefined;
      const { meta } = hit;
      const note = `${critics.join(', ')} ${critics.length === 1 ? 'is' : 'are'} paused (circuit open): this is a stale cached critique, ${Math.round(age / 1000)} s old.`;
      return {
        text: hit.text,
        meta: { ...meta, cached: true, stale: true, cacheAgeMs: age, notes: [...meta.notes, note] },
        turns: [],
      };
    };
    if (this.guard.allRejecting(critics)) {
      const fallback = stale();
      if (fallback) return fallback;
      throw this.guard.circuitOpen(critics);
    }
    // Every caller sharing a run hears its events, including callers that join after it started; the flight
    // owns the listeners, so an abandoned run winding down cannot take them from its successor.
    const flightKey = forceRefresh ? `${key}:${newId()}` : key;
    const finished = await this.flights
      .run(
        flightKey,
        ctx.signal,
        (signal, emit) =>
          this.runShared(key, useCache && !forceRefresh, signal, async (fence) => {
            const finished = await run(signal, emit);
            if (useCache) await this.publish(key, finished, fence);
            return finished;
          }),
        (event) => ctx.onEvent?.(event),
      )
      .catch((err: unknown) => {
        // A breaker that opened (or a probe already taken) after the check above: same fallback.
        const fallback = isCircuitOpen(err) ? stale() : undefined;
        if (fallback) return fallback;
        throw err;
      });
    return finished;
  }
}

/**
 * The cache key of a debate: only what changes its text. Paging, cancel, priority and force_refresh select how
 * the debate is run or read, not which one, so a refresh overwrites the entry a plain request reads.
 */
function debateCacheKey(args: NewDebateArgs, agents: readonly CriticName[], rounds: number): string {
  return sha256Hex(
    stableJson({
      tool: 'debate',
      topic: args.topic,
      proPosition: args.proPosition,
      conPosition: args.conPosition,
      context: args.context,
      models: args.models,
      agents,
      rounds,
      verbose: args.verbose === true,
    }),
  );
}

/** The request's guard settings, reporting queue position and admission as stream events. */
function withEvents(call: GuardedCall, emit: EmitEvent): GuardedCall {
  return {
    ...call,
    onQueued: (_critic, position, estimatedWaitMs) =>
      emit({ kind: 'queued', position, ...(estimatedWaitMs === undefined ? {} : { estimatedWaitMs }) }),
    onAdmitted: (critic) => emit({ kind: 'started', critic }),
  };
}

function sanitizedTotal(outcomes: readonly CriticOutcome[]): SanitizedCounts {
  return outcomes.reduce((sum, o) => addCounts(sum, o.sanitized), NO_SANITIZED);
}

function isCircuitOpen(err: unknown): boolean {
  return isBrutalistError(err) && err.code === 'CIRCUIT_OPEN';
}

function criticTurns(outcomes: readonly CriticOutcome[], clock: Clock): ConversationTurn[] {
  return outcomes.flatMap((o) =>
    o.ok ? [{ role: 'critic' as const, critic: o.critic, text: o.result.text, at: clock.now() }] : [],
  );
}

/** Keeps the newest turns whose text fits in `maxChars` (the oldest are dropped first). */
function boundHistory(turns: readonly ConversationTurn[], maxChars: number): ConversationTurn[] {
  const kept: ConversationTurn[] = [];
  let total = 0;
  for (let i = turns.length - 1; i >= 0; i--) {
    const turn = turns[i]!;
    if (total + turn.text.length > maxChars && kept.length > 0) break;
    kept.unshift(turn.text.length > maxChars ? { ...turn, text: turn.text.slice(0, maxChars) } : turn);
    total += turn.text.length;
  }
  return kept;
}

function loginOf(status: LoginStatus | undefined) {
  if (!status) return null;
  return { loggedIn: status.loggedIn, method: status.method, fix: status.fix };
}
