/** Types shared by the critic adapters: what a critic is asked, how it is invoked, what it returns. */
import type { CriticId, CriticName, OptionTable } from '../config/index.js';
import type { ErrorCode } from '../errors/index.js';
import type { RunResult } from '../process/types.js';
import type { StreamEvent } from '../streaming/index.js';
import type { CriticsConfig } from './adapters.js';
import type { BudgetStop } from './budget.js';
import type { EvidenceServer } from './evidence.js';
import type { JsonObject } from './jsonl.js';
import type { LoginCheck } from './login-checks.js';
import type { RoutedRoute } from './routed.js';
import type { OutputParser, StreamLimits } from './stream.js';

export interface CriticRequest {
  /** The full prompt (persona, brief and input). Goes to the child on stdin only. */
  readonly prompt: string;
  /** Model override; empty/undefined → the configured default, then the CLI's own default. */
  readonly model?: string;
  /** A routed critic's gateway, token variable and models: the run is claude under the route's id (ADR 0048). */
  readonly route?: RoutedRoute;
}

/** Whether a critic may read files: `read` (its read tools, in the target) or `none` (abstract domains, debates). */
export type FileAccess = 'read' | 'none';

/** Per-server choices an adapter may honour when building argv/env. */
export interface InvocationOptions {
  /**
   * gemini: trust the target folder, loading its own `.gemini` settings and `.env` (config geminiTrustWorkspace).
   * Off (default): the folder is explicitly untrusted and nothing in it is loaded (docs/security.md).
   */
  readonly trustWorkspace?: boolean;
  /** A custom API endpoint (gateway, proxy) for this critic's model API; undefined: the CLI default. */
  readonly baseUrl?: string;
  /** `none`: the run has nothing to read (it runs in an empty private dir); turn the CLI's file tools off. */
  readonly fileAccess?: 'read' | 'none';
  /** The absolute directory the CLI runs in. codex: it and its parents are marked untrusted for this run. */
  readonly cwd?: string;
  /** gemini: the system-defaults settings file that turns folder trust and local `.env` off (default: shipped). */
  readonly geminiSystemDefaultsPath?: string;
  /**
   * A private 0700 folder outside the target for files the CLI is handed (agy: a prompt too long for argv), made
   * on the first call and removed with everything in it after the run. Absent (probes, login checks): none.
   */
  readonly scratchDir?: () => string;
  /** agy: the longest prompt passed in argv (config agyMaxArgvPromptBytes); a longer one goes in a scratch file. */
  readonly maxArgvPromptBytes?: number;
  /** claude: the call's dollar cap, enforced by the CLI itself (`--max-budget-usd`). Others ignore it. */
  readonly maxBudgetUsd?: number;
  /** Evidence MCP servers for this run, passed through the CLI's own per-run MCP config (needs `scratchDir`). */
  readonly evidence?: readonly EvidenceServer[];
  /** With fileAccess `none` (nothing local to leak): allow the CLI's web search/fetch tools. */
  readonly webTools?: boolean;
  /**
   * The run's URL-policy proxy (`http://127.0.0.1:<port>`) for the CLI's own web fetches. An adapter with
   * `webFetchProxied` allows its fetch tool only when this is set (else the web tools stay denied).
   */
  readonly webProxyUrl?: string;
}

/** What one vendor reads from the resolved config. */
export interface CriticSettings {
  /** The configured executable (a name on PATH or an absolute path); availability resolves it. */
  readonly binary: string;
  /** The configured default model; undefined lets the CLI use its own default. */
  readonly model: string | undefined;
  /** The configured custom API endpoint; undefined lets the CLI use its own. */
  readonly baseUrl: string | undefined;
  /** Vendor choices handed to buildInvocation (gemini: folder trust, its system-defaults file). */
  readonly invocation?: Pick<
    InvocationOptions,
    'trustWorkspace' | 'geminiSystemDefaultsPath' | 'maxArgvPromptBytes'
  >;
}

/** How progress (text written, tools used) is read from one line of a critic's stdout. */
export interface ProgressReader {
  /** Only lines containing this can hold a tool event; undefined: the output is not line-structured (agy). */
  readonly toolHint: string | undefined;
  /** `critic`: the name events carry (a routed critic's id for claude's output). */
  extract(critic: string, line: JsonObject): StreamEvent[];
}

/** Where a CLI keeps its login and state (shown read-write to a sandboxed run) and what it reads beside them. */
export interface ConfigPaths {
  writable: string[];
  readOnly: string[];
}

/** The command a run spawns when the adapter wraps the CLI (agy: under a pseudo-terminal). */
export interface Launch {
  /** Absolute path of the wrapper executable. */
  readonly command: string;
  /** The wrapper's argv: its own arguments, then the CLI's absolute path and the CLI's argv. */
  readonly args: readonly string[];
  /** Folders (beside the CLI's install) a sandboxed run must see read-only for the wrapper to start. */
  readonly readOnly: readonly string[];
}

/** How to start one run: argv (no prompt, no user text), extra env, and stdin. */
export interface Invocation {
  readonly args: readonly string[];
  /** argv as reported with a result when `args` holds host paths (they are replaced by placeholders). */
  readonly shownArgs?: readonly string[];
  /** Vendor-specific env additions (e.g. settings that make the CLI non-interactive). */
  readonly env: Readonly<Record<string, string>>;
  readonly stdin: string;
  /** Folders outside the target the CLI is handed (a prompt file's): a sandboxed run shows them read-only. */
  readonly readOnlyPaths?: readonly string[];
  /** Folders a sandboxed run must show writable (inside the run's private scratch: the browser's output dir). */
  readonly writablePaths?: readonly string[];
}

export interface TokenUsage {
  readonly inputTokens?: number;
  readonly outputTokens?: number;
  readonly cachedInputTokens?: number;
  readonly totalTokens?: number;
  readonly costUsd?: number;
}

/** What an adapter extracts from the CLI's structured output. */
export interface ParsedOutput {
  /** The critique text (final answer). May be partial when the run was truncated. */
  readonly text: string;
  readonly model?: string;
  readonly usage?: TokenUsage;
  readonly sessionId?: string;
  /** The CLI stopped itself at the budget it was handed (claude `error_max_budget_usd`); `text` is what it wrote. */
  readonly stoppedBy?: BudgetStop;
  /** A structured error the CLI reported (is_error, error event...), if any. Not the model's prose. */
  readonly error?: {
    readonly message: string;
    readonly status?: number;
    /** When the vendor says the refusal ends (agy: "Resets in 2h3m4s"); sent to the client as data.retryAfterMs. */
    readonly retryAfterMs?: number;
  };
}

export interface CriticAdapter {
  readonly name: CriticName;
  /** This vendor's config options (executable, default model, endpoint, its own switches), in README order. */
  readonly options: OptionTable;
  /** What it reads from the resolved config. */
  settings(config: CriticsConfig): CriticSettings;
  /**
   * Whether it runs with read-only access to the user's files. A critic that cannot is left out of the default
   * criticPreference and runs only when named (docs/security.md says what it may do).
   */
  readonly readOnly: boolean;
  /** Where the CLI keeps its login and state, from the critic's own env (a sandboxed run shows these). */
  configPaths(env: Readonly<Record<string, string>>): ConfigPaths;
  /** How `doctor` and the roster tell whether it is logged in, without opening a browser or calling a model. */
  readonly login: LoginCheck;
  readonly progress: ProgressReader;
  /**
   * Wraps the CLI's resolved `binary` and argv into the command actually spawned; undefined: the CLI itself.
   * `graceMs` is the runner's SIGTERM → SIGKILL grace, which the wrapper must pass on to the CLI in time.
   */
  launch?(
    config: CriticsConfig,
    binary: string,
    args: readonly string[],
    graceMs: number,
    pathValue: string | undefined,
  ): Promise<Launch>;
  /**
   * Finds the executable for the configured name or path; undefined: the plain PATH lookup. `note` tells the
   * operator (doctor, the roster) about the choice, e.g. agy's IDE launcher passed over.
   */
  locate?(configured: string, env: NodeJS.ProcessEnv): Promise<{ path?: string; note?: string }>;
  /** Whether a model name may be passed to this CLI (it lands in argv as an option value). */
  acceptsModel(model: string): boolean;
  /** What `doctor` must tell the operator about this critic's configuration (gemini: a skipped defaults file). */
  doctorWarnings?(config: CriticsConfig): string[];
  /**
   * Env variable names this vendor CLI needs from the server env `env`: exact names, or prefixes ending in `*`.
   * A function of the env because cloud-provider credentials pass only when that provider is switched on.
   */
  envAllowlist(env: Readonly<Record<string, string | undefined>>): readonly string[];
  /** Exact names the allowlist would pass but a native run must not inherit (claude: ambient gateway routing). */
  readonly envDenylist?: readonly string[];
  /**
   * Its web fetch tool runs on this machine and honours the proxy env: a run with web tools gets the URL-policy
   * proxy (`InvocationOptions.webProxyUrl`), and without one the adapter keeps the tool denied (ADR 0050).
   */
  readonly webFetchProxied?: boolean;
  buildInvocation(request: CriticRequest, model: string | undefined, options?: InvocationOptions): Invocation;
  /** argv for the availability probe. */
  readonly versionArgs: readonly string[];
  /** Extracts a version like "2.1.197" from `--version` output; undefined when unrecognisable. */
  parseVersion(stdout: string): string | undefined;
  /**
   * A parser fed stdout as it arrives (the run's stdoutSink): it keeps the answer, not the raw stream, and says
   * when the answer passes `limits.maxAnswerBytes`. Its finish() throws CLI_OUTPUT_INVALID when nothing usable
   * was found.
   */
  openParser(limits: StreamLimits): OutputParser;
  /** The same parser over a whole output (recorded outputs, tests). */
  parseOutput(stdout: string): ParsedOutput;
  /**
   * Error code for a run that did not succeed, from exit class + stderr + structured output only
   * (never from the model's prose). Returns undefined when the run succeeded.
   */
  classifyFailure(run: RunResult, parsed: ParsedOutput | undefined): ErrorCode | undefined;
}

/** What one successful critic run records. */
export interface CriticResult {
  readonly critic: CriticId;
  readonly cliVersion: string | undefined;
  readonly model: string | undefined;
  /** argv without the prompt (the prompt never is in argv anyway). */
  readonly argv: readonly string[];
  readonly promptSha256: string;
  readonly durationMs: number;
  /** ok | exit:N | signal:SIG | timeout | stalled | output_cap | cancelled | not_found | spawn_error */
  readonly exitClass: string;
  readonly outputBytes: number;
  readonly truncated: boolean;
  readonly usage: TokenUsage | undefined;
  /** The call's budget stopped this run (our own stop, or the CLI's): `text` is partial. */
  readonly stoppedBy?: BudgetStop;
  readonly text: string;
}
