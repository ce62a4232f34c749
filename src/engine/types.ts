/** Typed requests and responses of the engine: what the MCP layer hands in and formats back out. */

import type { BudgetStop, TokenUsage } from '../critics/index.js';
import type { DomainId } from '../domains/index.js';
import type { Finding, FindingsSummary } from '../findings/index.js';
import type { BreakerSnapshot } from '../resilience/index.js';
import type { RedactedInputCounts, SanitizedCounts } from '../security/index.js';
import type { StreamEvent } from '../streaming/index.js';
import type { CitationReport } from './citations.js';
import type { CriticId, PriorityName } from './config.js';
import type { BudgetArgs } from './usage-meter.js';

/** Model per critic: native names and routed ids (checked against the request's routes). */
export type Models = Readonly<Partial<Record<string, string>>>;

/** Paging arguments shared by every tool that returns a long result. */
export interface PagingArgs {
  readonly offset?: number;
  readonly limit?: number;
  readonly cursor?: string;
  readonly context_id?: string;
}

export interface RoastArgs extends PagingArgs, BudgetArgs {
  /** Required for a new critique; a follow-up (cursor, context_id) needs none. */
  readonly domain?: DomainId;
  readonly target?: string;
  readonly context?: string;
  /** Native critic names and routed ids (config file or `clients`); `[]` with `clients`: only those. */
  readonly clis?: readonly string[];
  /** Routed critics for this call (the earlier version's shape); validated by the engine (ADR 0048). */
  readonly clients?: readonly unknown[];
  readonly models?: Models;
  readonly resume?: boolean;
  readonly force_refresh?: boolean;
  readonly verbose?: boolean;
  /** Admission priority (default: the caller's configured default). */
  readonly priority?: PriorityName;
  /** With context_id: stop that running critique. */
  readonly cancel?: boolean;
  /** Evidence MCP servers (registry names) the critics may use; `design` with a `url` adds `playwright`. */
  readonly mcp_servers?: readonly string[];
  /** Domain-specific optional fields (depth, commitRange, threatModel...). */
  readonly fields: Readonly<Record<string, string | number | boolean | readonly string[] | undefined>>;
}

/** A roast that starts a new critique (not a follow-up): its domain is known. */
export type NewRoastArgs = RoastArgs & { readonly domain: DomainId };

export interface DebateArgs extends PagingArgs, BudgetArgs {
  /** The three are required for a new debate; a follow-up (cursor, context_id) needs none. */
  readonly topic?: string;
  readonly proPosition?: string;
  readonly conPosition?: string;
  readonly context?: string;
  readonly agents?: readonly string[];
  readonly clients?: readonly unknown[];
  readonly rounds?: number;
  readonly models?: Models;
  readonly force_refresh?: boolean;
  readonly verbose?: boolean;
  readonly priority?: PriorityName;
  /** Evidence MCP servers (registry names) both debaters may use. */
  readonly mcp_servers?: readonly string[];
  /** With context_id: stop that running debate. */
  readonly cancel?: boolean;
}

/** A debate that starts a new run (not a follow-up): topic and positions are known. */
export type NewDebateArgs = DebateArgs & {
  readonly topic: string;
  readonly proPosition: string;
  readonly conPosition: string;
};

/** Who is asking and how to reach them while the request runs. */
export interface RequestContext {
  /** Owner of results, cursors and conversations created by this request. */
  readonly owner: string;
  /** Allowed filesystem roots for this caller (already resolved to paths). */
  readonly roots: readonly string[];
  readonly signal: AbortSignal;
  /** The client's time budget for the whole request (queue wait + critic run), from `_meta.timeoutMs`. */
  readonly timeoutMs?: number;
  /**
   * How long this call waits for the critique before answering "running" (default: config waitMs). The terminal
   * passes Infinity: it waits until done.
   */
  readonly waitMs?: number;
  /** Progress events while the request runs (queued, started, output, tool uses, done); the MCP layer
   * turns them into rate-limited notifications. Must not throw. */
  readonly onEvent?: (event: StreamEvent) => void;
}

/** One row of `cli_agent_roster`: a native critic, or a routed critic named in the config file. */
export interface RosterRow {
  readonly critic: CriticId;
  readonly available: boolean;
  readonly version: string | null;
  /** The absolute path this critic is spawned by (resolved at the last probe); null when not found. */
  readonly path: string | null;
  readonly defaultModel: string | null;
  readonly error: string | null;
  /** Why this binary was chosen or refused (agy: the IDE's launcher passed over); null when nothing to say. */
  readonly note: string | null;
  /** Logged in (true/false/null: unknown), how, and the fix; null when not checked (critic not installed). */
  readonly login: { loggedIn: boolean | null; method: string | null; fix: string | null } | null;
  /** Circuit breaker state and the critic's admission slots. */
  readonly circuit: BreakerSnapshot;
  readonly running: number;
  readonly queued: number;
}

/** Safe per-critic record returned in structuredContent. */
export interface CriticRunSummary {
  readonly critic: CriticId;
  readonly ok: boolean;
  readonly model: string | null;
  /** Run details, present only with `verbose`. */
  readonly cliVersion?: string | null;
  /** argv the CLI ran with (it never holds the prompt or user text); only with `verbose`. */
  readonly argv?: readonly string[];
  readonly promptSha256?: string | null;
  readonly durationMs: number;
  readonly exitClass: string;
  readonly outputBytes: number;
  readonly truncated: boolean;
  readonly usage: TokenUsage | null;
  /** The call's budget stopped this run: its critique is partial (ADR 0047). */
  readonly stoppedBy?: BudgetStop;
  /** Present when ok is false. */
  readonly error: { readonly code: string; readonly message: string } | null;
}

export interface PageInfo {
  readonly offset: number;
  readonly limit: number;
  readonly nextOffset: number | null;
  readonly totalChars: number;
  readonly estimatedTotalTokens: number;
  /** Opaque cursor for the next page, or null on the last page. */
  readonly nextCursor: string | null;
}

/** A page of a stored critique plus the metadata that produced it. */
export interface ToolResponse {
  readonly status: 'done';
  readonly text: string;
  readonly contextId: string;
  readonly page: PageInfo;
  readonly meta: ResultMeta;
}

/** A critique not finished within the call's wait: the caller waits on it with its context id. */
export interface PendingResponse {
  readonly status: 'running';
  readonly tool: ToolId;
  readonly contextId: string;
  readonly elapsedMs: number;
  /** Critics at work right now (empty while waiting for a slot or between debate turns). */
  readonly running: readonly string[];
  /** How long the next call with this context id waits at most. */
  readonly waitMs: number;
}

/** The answer to an explicit cancel, and to a later wait on a cancelled critique. */
export interface CancelledResponse {
  readonly status: 'cancelled';
  readonly tool: ToolId;
  readonly contextId: string;
}

export type ToolId = 'roast' | 'roast_cli_debate';

/** What `roast` and `debate` answer: a page, "still running", or "cancelled"; failures are thrown. */
export type EngineResult = ToolResponse | PendingResponse | CancelledResponse;

export interface ResultMeta {
  readonly tool: ToolId;
  readonly domain: string | null;
  readonly critics: readonly CriticRunSummary[];
  readonly cached: boolean;
  readonly cacheAgeMs: number | null;
  /** A cached critique older than cacheTtlMs, served because its critics' circuits are open. */
  readonly stale?: boolean;
  /** Critics the caller asked for that could not run (not installed / not working). */
  readonly skipped: ReadonlyArray<{ readonly critic: CriticId; readonly code: string }>;
  readonly notes: readonly string[];
  /** What was removed from the critics' answers before they were returned or stored (all runs, all turns). */
  readonly sanitized: SanitizedCounts;
  /** Secrets redacted from the client's text before any critic saw it (config redactInputSecrets). */
  readonly redactedInput: RedactedInputCounts;
  /** Roasts: every finding, merged across critics, quotes checked (ADR 0044); absent on debates. */
  readonly findings?: readonly Finding[];
  readonly findingsSummary?: FindingsSummary;
  /** legal, research, security: the critics' citation tags counted (and re-checked, config citationRecheck). */
  readonly citations?: CitationReport;
}
