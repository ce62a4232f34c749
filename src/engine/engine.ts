/** The request pipeline: validate, page or resume, pick critics, cache + single-flight, run, store, page. */
import { basename, dirname } from 'node:path';
import type { Config, CriticName } from '../config/index.js';
import { type CriticAvailability, runCritic } from '../critics/index.js';
import { buildRoastPrompt, discover, getDomain, runDebate } from '../domains/index.js';
import { BrutalistError } from '../errors/index.js';
import { type Clock, newId, sha256Hex, systemClock } from '../infra/index.js';
import { RECURSION_ENV } from '../process/index.js';
import { checkTextLimits, resolveTarget } from '../security/index.js';
import type { Conversation, ConversationTurn, StateStore } from '../state/index.js';
import { composeCritique } from './compose.js';
import {
  type CriticOutcome,
  type CriticRunner,
  checkModels,
  type EmitEvent,
  runCriticsInParallel,
  selectCritics,
  summarize,
  throwIfAllFailed,
} from './critic-runs.js';
import { fingerprintTarget } from './fingerprint.js';
import { ResultPages } from './results.js';
import { SingleFlight, stableJson } from './single-flight.js';
import type { DebateArgs, PagingArgs, RequestContext, ResultMeta, RoastArgs, ToolResponse } from './types.js';

export interface EngineDeps {
  readonly config: Config;
  readonly store: StateStore;
  readonly availability: CriticAvailability;
  readonly clock?: Clock;
  /** The server's environment (critics get an allowlisted copy). */
  readonly env?: NodeJS.ProcessEnv;
  /** Replaces the real critic runner (benchmarks compare against it); defaults to runCritic. */
  readonly runner?: CriticRunner;
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
  private readonly clock: Clock;
  private readonly env: NodeJS.ProcessEnv;
  private readonly runner: CriticRunner;
  private readonly pages: ResultPages;
  private readonly flights = new SingleFlight<Finished>();
  private readonly listeners = new Map<string, Set<EmitEvent>>();

  constructor(deps: EngineDeps) {
    this.config = deps.config;
    this.store = deps.store;
    this.availability = deps.availability;
    this.clock = deps.clock ?? systemClock;
    this.env = deps.env ?? process.env;
    this.pages = new ResultPages(this.store, this.config, this.clock);
    this.runner =
      deps.runner ??
      ((critic, request, options) =>
        runCritic(
          { config: this.config, availability: this.availability, clock: this.clock, env: this.env },
          critic,
          request,
          options,
        ));
  }

  /** `roast`: a critique of a target or an idea, or a page of an earlier one. */
  async roast(args: RoastArgs, ctx: RequestContext): Promise<ToolResponse> {
    const paged = await this.pageIfRequested(args, ctx, args.resume === true);
    if (paged) return paged;
    this.guardRecursion();
    const domain = getDomain(args.domain);
    // A filesystem target is checked by resolveTarget (length, NUL, components) and gets a PATH_* code.
    const title = domain.kind === 'abstract' ? { target: args.target } : {};
    checkTextLimits({ ...title, context: args.context, ...args.fields }, this.config, LONG_FIELDS);
    checkModels(args.models);

    const conversation = args.resume ? await this.loadConversation(args, ctx) : undefined;
    let cwd = this.defaultCwd(ctx);
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
      cwd = target.kind === 'directory' ? target.path : dirname(target.path);
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

    const selection = await selectCritics(args.clis ?? conversation?.critics, this.availability, this.config);
    const history = conversation?.turns.map((t) => ({ role: t.role, critic: t.critic, text: t.text }));
    const prompt = buildRoastPrompt({
      domain: domain.id,
      target: args.target,
      targetPath,
      context: args.context,
      fields: args.fields as Record<string, string | number | boolean | string[] | undefined>,
      history,
    });
    const key = sha256Hex(
      stableJson({
        tool: 'roast',
        domain: domain.id,
        target: resolvedTarget,
        context: args.context,
        fields: args.fields,
        critics: selection.critics,
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
    const finished = await this.cachedRun(
      key,
      fingerprint !== undefined,
      args.force_refresh === true,
      ctx,
      selection.critics,
      async (signal, emit) => {
        const outcomes = await runCriticsInParallel(
          selection.critics,
          (critic) => ({ prompt, model: args.models?.[critic] }),
          this.runner,
          { cwd, signal },
          emit,
          this.clock,
        );
        throwIfAllFailed(outcomes);
        const meta: ResultMeta = {
          tool: 'roast',
          domain: domain.id,
          critics: outcomes.map(summarize),
          cached: false,
          cacheAgeMs: null,
          skipped: selection.skipped,
          notes: [],
        };
        const title = `Brutalist critique: ${domain.title}${args.target ? ` (${args.target})` : ''}`;
        return {
          text: composeCritique(title, outcomes, args.verbose === true),
          meta,
          turns: criticTurns(outcomes, this.clock),
        };
      },
    );
    const response = await this.pages.save(ctx.owner, finished.text, finished.meta, args.limit);
    await this.saveConversation(response.contextId, ctx.owner, 'roast', domain.id, selection.critics, [
      ...(conversation?.turns ?? []),
      userTurn,
      ...finished.turns,
    ]);
    return response;
  }

  /** `roast_cli_debate`: two critics argue opposite positions for 1..3 rounds. */
  async debate(args: DebateArgs, ctx: RequestContext): Promise<ToolResponse> {
    const paged = await this.pageIfRequested(args, ctx, false);
    if (paged) return paged;
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
      const ordered = this.config.criticPreference.filter((c) => available.includes(c));
      const first = ordered[0];
      if (!first) throw new BrutalistError('NO_CRITIC_AVAILABLE');
      const second = ordered[1] ?? first;
      if (second === first) notes.push(`Only ${first} is available, so it argues both sides.`);
      agents = [first, second];
    }
    const rounds = args.rounds ?? 1;
    const cwd = this.defaultCwd(ctx);
    const key = sha256Hex(
      stableJson({ tool: 'debate', ...args, agents, rounds, offset: undefined, limit: undefined }),
    );
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
                  this.runner,
                  { cwd, signal: turnSignal ?? signal },
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
            critics: outcomes.map(summarize),
            cached: false,
            cacheAgeMs: null,
            skipped: [],
            notes,
          };
          return { text: debate.markdown, meta, turns: [] };
        }
      },
    );
    return this.pages.save(ctx.owner, finished.text, finished.meta, args.limit);
  }

  /** `cli_agent_roster`: which critics are installed, their versions and configured models. */
  async roster(): Promise<
    Array<{
      critic: string;
      available: boolean;
      version: string | null;
      defaultModel: string | null;
      error: string | null;
    }>
  > {
    const all = await this.availability.checkAll();
    const models = {
      claude: this.config.claudeModel,
      codex: this.config.codexModel,
      gemini: this.config.geminiModel,
    };
    return all.map((a) => ({
      critic: a.critic,
      available: a.available,
      version: a.version ?? null,
      defaultModel: models[a.critic] || null,
      error: a.error ?? null,
    }));
  }

  discover(intent: string, limit?: number): ReturnType<typeof discover> {
    checkTextLimits({ intent }, this.config, ['intent']);
    return discover(intent, limit);
  }

  // ---- steps

  /** Cursor or context_id (without resume) means "give me a page of an earlier result". */
  private async pageIfRequested(
    args: PagingArgs,
    ctx: RequestContext,
    resuming: boolean,
  ): Promise<ToolResponse | null> {
    if (args.cursor) return this.pages.pageByCursor(ctx.owner, args.cursor, args.limit);
    if (args.context_id && !resuming)
      return this.pages.page(ctx.owner, args.context_id, args.offset ?? 0, args.limit);
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

  private defaultCwd(ctx: RequestContext): string {
    return ctx.roots[0] ?? process.cwd();
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
    if (useCache && !forceRefresh) {
      const hit = await this.store.getCache(key);
      if (hit) {
        const meta = hit.meta as unknown as ResultMeta;
        return {
          text: hit.text,
          meta: { ...meta, cached: true, cacheAgeMs: this.clock.now() - hit.storedAt },
          turns: [],
        };
      }
    }
    // Every caller sharing a run hears its events, including callers that join after it started.
    const flightKey = forceRefresh ? `${key}:${newId()}` : key;
    let listeners = this.listeners.get(flightKey);
    if (!listeners) {
      listeners = new Set();
      this.listeners.set(flightKey, listeners);
    }
    const shared = listeners;
    const listener: EmitEvent = (event) => ctx.onEvent?.(event);
    shared.add(listener);
    const emit: EmitEvent = (event) => {
      for (const l of shared) l(event);
    };
    try {
      const finished = await this.flights.run(flightKey, ctx.signal, (signal) =>
        run(signal, emit).finally(() => this.listeners.delete(flightKey)),
      );
      const complete = finished.meta.critics.every((c) => c.ok && !c.truncated);
      if (useCache && complete) {
        await this.store.setCache(
          key,
          { text: finished.text, meta: { ...finished.meta }, storedAt: this.clock.now() },
          this.config.cacheTtlMs,
        );
      }
      return finished;
    } finally {
      shared.delete(listener);
    }
  }
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
