/** Request plans: what one roast or debate will run, on which critics, under which cache key; pure functions. */
import { basename, dirname } from 'node:path';
import { type CriticRequest, checkEvidenceNames, type RoutedRoute } from '../critics/index.js';
import { buildRoastPrompt, CITATION_DOMAINS, type DomainId, getDomain } from '../domains/index.js';
import { BrutalistError } from '../errors/index.js';
import type { TargetSnapshot } from '../findings/index.js';
import { sha256Hex } from '../infra/index.js';
import { checkTextLimits, type RedactedInputCounts, type ResolvedTarget } from '../security/index.js';
import type { Conversation, ConversationTurn } from '../state/index.js';
import type { Config, CriticId, PriorityName } from './config.js';
import { checkModels, NO_ROUTES, type RouteTable, type Selection, type Workplace } from './critic-runs.js';
import { stableJson } from './single-flight.js';
import type { Models, NewDebateArgs, NewRoastArgs, ToolId } from './types.js';

const LONG_FIELDS = ['context', 'topic', 'proPosition', 'conPosition'];

/**
 * What the runner does when the planned critics' circuits are open and no stale critique stands in:
 * `alternate` runs the first installed critic whose circuit is closed; `none` answers CIRCUIT_OPEN.
 */
export type FallbackPolicy = 'alternate' | 'none';

interface PlanBase {
  readonly tool: ToolId;
  readonly domain: DomainId | null;
  /** The critics that run, in order; a debate's are [pro, con], the same critic twice when only one is left. */
  readonly critics: readonly CriticId[];
  readonly skipped: Selection['skipped'];
  /** The routed critics this request may address (config file and `clients`), by id. */
  readonly routes: RouteTable;
  readonly notes: readonly string[];
  /** Everything besides `critics` that changes the text; paging, priority and force_refresh never do. */
  readonly identity: Readonly<Record<string, unknown>>;
  /** False: the result is neither read from nor written to the cache (a target too large to fingerprint). */
  readonly cacheable: boolean;
  readonly forceRefresh: boolean;
  readonly fallback: FallbackPolicy;
  readonly verbose: boolean;
  readonly models: Models | undefined;
  readonly priority: PriorityName | undefined;
  /** Size of the first page (default: config). */
  readonly limit: number | undefined;
  readonly redactedInput: RedactedInputCounts;
  /** Evidence MCP servers every critic run gets (registry names, checked). */
  readonly evidence: readonly string[];
}

export interface RoastPlan extends PlanBase {
  readonly tool: 'roast';
  readonly domain: DomainId;
  readonly title: string;
  readonly prompt: string;
  readonly place: Workplace;
  /** Size and mtime of the files under `place.cwd` before the run; absent: the run takes its own snapshot. */
  readonly snapshot?: TargetSnapshot;
  /** Abstract domains: the critics may use their web tools (they have no files that could leak). */
  readonly webTools: boolean;
  /** legal, research, security: the critiques' citation tags are counted (and re-checked when configured). */
  readonly citations: boolean;
  /** The conversation so far plus this request's user turn; the critics' answers are appended after the run. */
  readonly turns: readonly ConversationTurn[];
}

export interface DebatePlan extends PlanBase {
  readonly tool: 'roast_cli_debate';
  readonly domain: null;
  readonly topic: string;
  readonly proPosition: string;
  readonly conPosition: string;
  readonly context: string | undefined;
  readonly rounds: number;
  readonly agents: readonly [CriticId, CriticId];
  readonly fallback: 'none';
}

export type RequestPlan = RoastPlan | DebatePlan;

/** What a roast plan is made from besides its (redacted) arguments: the facts the engine looked up. */
export interface RoastPlanContext {
  /** The realpath target of a filesystem domain. */
  readonly target?: ResolvedTarget;
  /** The target's fingerprint ('abstract' for abstract domains); undefined: too large, not cacheable. */
  readonly fingerprint: string | undefined;
  /** A directory target's findings snapshot, from the fingerprint's walk; absent: the run takes its own. */
  readonly snapshot?: TargetSnapshot;
  readonly conversation?: Conversation;
  readonly selection: Selection;
  /** Default: none. */
  readonly routes?: RouteTable;
  readonly redactedInput: RedactedInputCounts;
  readonly now: number;
}

export interface DebatePlanContext {
  readonly agents: readonly [CriticId, CriticId];
  /** Default: none. */
  readonly routes?: RouteTable;
  readonly notes: readonly string[];
  readonly redactedInput: RedactedInputCounts;
}

/**
 * One cache key for every plan: its identity, its critics and whose request it is. The owner is part of it so a
 * principal never gets (or joins) another principal's critique: a hit would tell it what the other one asked.
 */
export function cacheKey(plan: RequestPlan, owner: string): string {
  return sha256Hex(stableJson({ ...plan.identity, critics: plan.critics, owner }));
}

/** The critics a plan's breakers and flight cover (a debate's two sides may be one critic). */
export function planCritics(plan: RequestPlan): readonly CriticId[] {
  return [...new Set(plan.critics)];
}

/** The limits every new roast meets before anything is looked up; throws INVALID_ARGUMENT. */
export function checkRoastArgs(args: NewRoastArgs, config: Config, routes: RouteTable = NO_ROUTES): void {
  const domain = getDomain(args.domain);
  // A filesystem target is checked by resolveTarget (length, NUL, components) and gets a PATH_* code.
  const title = domain.kind === 'abstract' ? { target: args.target } : {};
  checkTextLimits({ ...title, context: args.context, ...args.fields }, config, LONG_FIELDS);
  checkModels(args.models, routes);
  checkEvidenceNames(args.mcp_servers ?? [], config);
  checkPageUrl(args.fields.url);
  if (domain.kind === 'filesystem' && !args.target) {
    throw new BrutalistError('INVALID_ARGUMENT', `domain "${domain.id}" needs a target path.`, {
      data: { field: 'target' },
    });
  }
  if (domain.kind === 'abstract' && !args.context && !args.resume) {
    throw new BrutalistError(
      'INVALID_ARGUMENT',
      `domain "${domain.id}" needs a context describing what to critique.`,
      {
        data: { field: 'context' },
      },
    );
  }
}

/** `url` (design): an http(s) URL without credentials; its address is checked by the URL policy later. */
function checkPageUrl(value: unknown): void {
  if (value === undefined) return;
  const url = typeof value === 'string' && URL.canParse(value) ? new URL(value) : undefined;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password) {
    throw new BrutalistError('INVALID_ARGUMENT', 'url must be an http(s) URL without credentials.', {
      data: { field: 'url' },
    });
  }
}

/** The evidence servers of a roast: those named, plus the browser for a design critique of a live page. */
export function roastEvidence(args: NewRoastArgs): string[] {
  const named = args.mcp_servers ?? [];
  const browser = args.domain === 'design' && typeof args.fields.url === 'string' ? ['playwright'] : [];
  return [...new Set([...named, ...browser])].sort();
}

/** The plan of a new roast; `args` are already redacted, so only redacted text reaches prompt and key. */
export function roastPlan(args: NewRoastArgs, ctx: RoastPlanContext): RoastPlan {
  const domain = getDomain(args.domain);
  const { target, conversation } = ctx;
  // Abstract domains have nothing to read: the runner gives each critic run an empty private dir.
  const place: Workplace = target
    ? { cwd: target.kind === 'directory' ? target.path : dirname(target.path), root: target.root }
    : { fileAccess: 'none' };
  const targetPath = target ? (target.kind === 'directory' ? '.' : basename(target.path)) : undefined;
  const history = conversation?.turns.map((t) => ({ role: t.role, critic: t.critic, text: t.text }));
  const verbose = args.verbose === true;
  const evidence = roastEvidence(args);
  const userTurn: ConversationTurn = {
    role: 'user',
    text: args.context ?? `Critique ${domain.title}: ${args.target ?? ''}`.trim(),
    at: ctx.now,
  };
  return {
    tool: 'roast',
    domain: domain.id,
    critics: ctx.selection.critics,
    skipped: ctx.selection.skipped,
    routes: ctx.routes ?? NO_ROUTES,
    notes: [],
    identity: {
      tool: 'roast',
      routes: routeIdentity(ctx.selection.critics, ctx.routes ?? NO_ROUTES),
      domain: domain.id,
      target: target?.path,
      context: args.context,
      fields: args.fields,
      models: args.models,
      fingerprint: ctx.fingerprint,
      history: history ? sha256Hex(stableJson(history)) : undefined,
      verbose,
      ...(evidence.length > 0 ? { evidence } : {}),
    },
    cacheable: ctx.fingerprint !== undefined,
    forceRefresh: args.force_refresh === true,
    // Pinned critics (by `clis` or by the conversation) are never swapped for another.
    fallback: args.clis || conversation ? 'none' : 'alternate',
    verbose,
    models: args.models,
    priority: args.priority,
    limit: args.limit,
    redactedInput: ctx.redactedInput,
    title: `Brutalist critique: ${domain.title}${args.target ? ` (${args.target})` : ''}`,
    prompt: buildRoastPrompt({
      domain: domain.id,
      target: args.target,
      targetPath,
      context: args.context,
      fields: args.fields,
      history,
      evidence,
    }),
    place,
    ...(ctx.snapshot ? { snapshot: ctx.snapshot } : {}),
    evidence,
    webTools: domain.kind === 'abstract',
    citations: CITATION_DOMAINS.has(domain.id),
    turns: [...(conversation?.turns ?? []), userTurn],
  };
}

/** The limits every new debate meets before anything is looked up; throws INVALID_ARGUMENT. */
export function checkDebateArgs(args: NewDebateArgs, config: Config, routes: RouteTable = NO_ROUTES): void {
  const { topic, proPosition, conPosition, context } = args;
  checkTextLimits({ topic, proPosition, conPosition, context }, config, LONG_FIELDS);
  checkModels(args.models, routes);
  checkEvidenceNames(args.mcp_servers ?? [], config);
  if (args.agents && args.agents.length > 0 && args.agents.length !== 2) {
    throw new BrutalistError('INVALID_ARGUMENT', 'agents must name exactly two critics (pro, con).', {
      data: { field: 'agents' },
    });
  }
}

/**
 * The two debaters when the caller named none: the first two installed critics in preference order whose
 * circuit is closed; critics whose circuit is open argue only when nothing else is left.
 */
export function chooseDebaters(
  installed: readonly CriticId[],
  rejecting: (critic: CriticId) => boolean,
): Pick<DebatePlanContext, 'agents' | 'notes'> {
  const closed = installed.filter((c) => !rejecting(c));
  const ordered = closed.length > 0 ? closed : installed;
  const first = ordered[0];
  if (!first) throw new BrutalistError('NO_CRITIC_AVAILABLE');
  const second = ordered[1] ?? first;
  const notes = second === first ? [`Only ${first} is available, so it argues both sides.`] : [];
  return { agents: [first, second], notes };
}

/** The plan of a new debate; `args` are already redacted. */
export function debatePlan(args: NewDebateArgs, ctx: DebatePlanContext): DebatePlan {
  const rounds = args.rounds ?? 1;
  const verbose = args.verbose === true;
  const evidence = [...new Set(args.mcp_servers ?? [])].sort();
  return {
    tool: 'roast_cli_debate',
    domain: null,
    critics: ctx.agents,
    skipped: [],
    routes: ctx.routes ?? NO_ROUTES,
    notes: ctx.notes,
    identity: {
      tool: 'debate',
      routes: routeIdentity(ctx.agents, ctx.routes ?? NO_ROUTES),
      topic: args.topic,
      proPosition: args.proPosition,
      conPosition: args.conPosition,
      context: args.context,
      models: args.models,
      rounds,
      verbose,
      ...(evidence.length > 0 ? { evidence } : {}),
    },
    cacheable: true,
    forceRefresh: args.force_refresh === true,
    // The debaters were chosen with their circuits in view (or named by the caller): no swap mid-request.
    fallback: 'none',
    verbose,
    models: args.models,
    priority: args.priority,
    limit: args.limit,
    redactedInput: ctx.redactedInput,
    topic: args.topic,
    proPosition: args.proPosition,
    conPosition: args.conPosition,
    context: args.context,
    rounds,
    agents: ctx.agents,
    evidence,
  };
}

/**
 * The plan re-aimed at `critic` because the planned critics' circuits are open: a new cache key, a note that
 * says why, and no further fallback. Only roast plans have an `alternate` policy.
 */
export function withAlternate(plan: RoastPlan, critic: CriticId): RoastPlan {
  const open = plan.critics;
  const note = `${open.join(', ')} ${open.length === 1 ? 'is' : 'are'} paused (circuit open), so ${critic} answered instead.`;
  return { ...plan, critics: [critic], notes: [...plan.notes, note], fallback: 'none' };
}

/**
 * What of the routes used changes the answer, for the cache key: gateway, models and token variable (never its
 * value). Two callers with one id at different gateways never share a critique.
 */
function routeIdentity(
  critics: readonly CriticId[],
  routes: RouteTable,
): ReadonlyArray<Omit<RoutedRoute, 'key' | 'source' | 'configDir'>> | undefined {
  const used = critics.flatMap((c) => {
    const route = routes.get(c);
    return route
      ? [
          {
            id: route.id,
            baseUrl: route.baseUrl,
            authTokenEnv: route.authTokenEnv,
            model: route.model,
            smallFastModel: route.smallFastModel,
          },
        ]
      : [];
  });
  return used.length > 0 ? used : undefined;
}

/** The request one critic of `plan` gets: the prompt, its model, and a routed critic's route. */
export function requestFor(plan: RequestPlan, critic: CriticId, prompt: string): CriticRequest {
  const route = plan.routes.get(critic);
  return { prompt, model: plan.models?.[critic], ...(route ? { route } : {}) };
}
