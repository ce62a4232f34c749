/**
 * Every configurable value in one table: name, env variable, default, bounds and meaning.
 * The README's config table and the env/file loaders are generated from or checked against this list.
 */

export const CRITIC_NAMES = ['claude', 'codex', 'gemini'] as const;
export type CriticName = (typeof CRITIC_NAMES)[number];

/** Admission priorities, most urgent first (index = level; 0 is served first and shed last). */
export const PRIORITY_NAMES = ['critical', 'interactive', 'default', 'batch'] as const;
export type PriorityName = (typeof PRIORITY_NAMES)[number];

type Kind = 'int' | 'string' | 'list' | 'bool';

interface OptionSpec<K extends Kind, D> {
  readonly kind: K;
  readonly env: string;
  readonly default: D;
  readonly description: string;
  /** Inclusive bounds for ints. */
  readonly min?: number;
  readonly max?: number;
  /** Allowed items for lists. */
  readonly choices?: readonly string[];
  /** Strings: `url` = empty, or an http(s) URL without credentials. */
  readonly format?: 'url';
  /** Never printed (`brutalist-mcp config` shows `<set>`): the whole value, or only a URL's password. */
  readonly secret?: 'value' | 'url-password';
}

const int = (env: string, def: number, min: number, max: number, description: string) =>
  ({ kind: 'int', env, default: def, min, max, description }) as OptionSpec<'int', number>;
const str = (env: string, def: string, description: string) =>
  ({ kind: 'string', env, default: def, description }) as OptionSpec<'string', string>;
const bool = (env: string, def: boolean, description: string) =>
  ({ kind: 'bool', env, default: def, description }) as OptionSpec<'bool', boolean>;
const list = (env: string, def: readonly string[], description: string, choices?: readonly string[]) =>
  ({ kind: 'list', env, default: def, description, choices }) as OptionSpec<'list', readonly string[]>;
const choice = (env: string, def: string, description: string, choices: readonly string[]) =>
  ({ kind: 'string', env, default: def, description, choices }) as OptionSpec<'string', string>;

const url = (env: string, description: string) =>
  ({ kind: 'string', env, default: '', description, format: 'url' }) as OptionSpec<'string', string>;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const MIB = 1024 * 1024;

export const OPTIONS = {
  // ---- critics
  criticPreference: list(
    'BRUTALIST_CRITIC_PREFERENCE',
    CRITIC_NAMES,
    'Order in which the single default critic is chosen (first available wins).',
    CRITIC_NAMES,
  ),
  claudeBin: str('BRUTALIST_CLAUDE_BIN', 'claude', 'Claude Code executable (name on PATH or absolute path).'),
  codexBin: str('BRUTALIST_CODEX_BIN', 'codex', 'Codex executable (name on PATH or absolute path).'),
  geminiBin: str('BRUTALIST_GEMINI_BIN', 'gemini', 'Gemini CLI executable (name on PATH or absolute path).'),
  claudeModel: str('BRUTALIST_CLAUDE_MODEL', '', 'Default model for claude (empty: the CLI default).'),
  codexModel: str('BRUTALIST_CODEX_MODEL', '', 'Default model for codex (empty: the CLI default).'),
  geminiModel: str('BRUTALIST_GEMINI_MODEL', '', 'Default model for gemini (empty: the CLI default).'),
  extraEnv: list(
    'BRUTALIST_EXTRA_ENV',
    [],
    'Extra environment variable names passed through to every critic (beyond the built-in allowlist).',
  ),
  // Custom endpoints (gateways, proxies): docs/operations.md#custom-endpoints
  claudeBaseUrl: url(
    'BRUTALIST_CLAUDE_BASE_URL',
    'Anthropic API base URL for claude (sets ANTHROPIC_BASE_URL; e.g. https://gateway.example/anthropic); empty: the CLI default.',
  ),
  codexBaseUrl: url(
    'BRUTALIST_CODEX_BASE_URL',
    'OpenAI Responses API base URL for codex, incl. `/v1` (a custom `brutalist` provider keyed by OPENAI_API_KEY); empty: the CLI default.',
  ),
  geminiBaseUrl: url(
    'BRUTALIST_GEMINI_BASE_URL',
    'Gemini API base URL for gemini (sets GOOGLE_GEMINI_BASE_URL); empty: the CLI default.',
  ),
  geminiTrustWorkspace: bool(
    'BRUTALIST_GEMINI_TRUST_WORKSPACE',
    false,
    'UNSAFE for targets you did not write: gemini trusts the target and loads its .gemini settings (MCP servers, hooks, tools) and .env. Off: gemini runs the target untrusted and loads nothing from it (docs/security.md).',
  ),
  geminiSystemDefaultsPath: str(
    'BRUTALIST_GEMINI_SYSTEM_DEFAULTS_PATH',
    '',
    'Gemini system-defaults settings file that lets gemini run an untrusted target (folder trust and local .env off); gemini reads it only when it and its folders are root-owned and not group/world-writable. Empty: the copy shipped in assets/gemini/.',
  ),
  availabilityTtlMs: int(
    'BRUTALIST_AVAILABILITY_TTL_MS',
    5 * MINUTE,
    0,
    24 * 60 * MINUTE,
    'How long a `--version` probe result (and a login check: doctor, the roster) is trusted.',
  ),
  probeTimeoutMs: int(
    'BRUTALIST_PROBE_TIMEOUT_MS',
    10 * SECOND,
    100,
    MINUTE,
    'Deadline of one `--version` probe or login status command (`claude auth status`, `codex login status`).',
  ),
  // ---- confinement (docs/operations.md#confinement)
  sandbox: choice(
    'BRUTALIST_SANDBOX',
    'auto',
    'Mount-namespace confinement of critics: `auto` (bwrap when it works here, else unconfined with a note in doctor and the roster), `bwrap` (required: critics fail with SANDBOX_UNAVAILABLE without it), `off`.',
    ['auto', 'bwrap', 'off'],
  ),
  bwrapBin: str(
    'BRUTALIST_BWRAP_BIN',
    'bwrap',
    'bubblewrap executable (name looked up in the absolute PATH entries, or an absolute path).',
  ),
  workDir: str(
    'BRUTALIST_WORK_DIR',
    '',
    'Folder under which each abstract-domain or debate critic run gets a fresh empty private dir (0700, removed after the run) as its cwd; empty: the OS temp dir.',
  ),
  maxParallelCritics: int(
    'BRUTALIST_MAX_PARALLEL_CRITICS',
    3,
    1,
    3,
    'Most critics one request may run in parallel (only when the caller lists several in `clis`).',
  ),
  // ---- process runner
  cliTimeoutMs: int(
    'BRUTALIST_CLI_TIMEOUT_MS',
    10 * MINUTE,
    SECOND,
    2 * 60 * MINUTE,
    'Hard deadline of one critic run.',
  ),
  stallTimeoutMs: int(
    'BRUTALIST_STALL_TIMEOUT_MS',
    5 * MINUTE,
    SECOND,
    2 * 60 * MINUTE,
    'A critic that prints nothing for this long is killed (CLI_STALLED).',
  ),
  killGraceMs: int(
    'BRUTALIST_KILL_GRACE_MS',
    5 * SECOND,
    0,
    MINUTE,
    'Time between SIGTERM and SIGKILL when stopping a critic process group.',
  ),
  maxOutputBytes: int(
    'BRUTALIST_MAX_OUTPUT_BYTES',
    8 * MIB,
    64 * 1024,
    512 * MIB,
    'Critic stdout kept per run; past it the run is stopped and marked truncated.',
  ),
  maxStderrBytes: int(
    'BRUTALIST_MAX_STDERR_BYTES',
    64 * 1024,
    1024,
    8 * MIB,
    'Tail of critic stderr kept per run.',
  ),
  // ---- inputs
  roots: list(
    'BRUTALIST_ROOTS',
    [],
    "Allowed filesystem roots (path-delimiter separated), a ceiling: client MCP roots may narrow them, never widen them; empty: the client's roots, else the server's cwd.",
  ),
  maxContextChars: int(
    'BRUTALIST_MAX_CONTEXT_CHARS',
    200_000,
    1_000,
    10_000_000,
    'Largest `context` (and other long text) argument.',
  ),
  maxFieldChars: int('BRUTALIST_MAX_FIELD_CHARS', 10_000, 100, 1_000_000, 'Largest short string argument.'),
  maxMessageBytes: int(
    'BRUTALIST_MAX_MESSAGE_BYTES',
    16 * MIB,
    MIB,
    1024 * MIB,
    'Largest stdio message read; a larger one is answered with a JSON-RPC error and dropped. Must hold a `context` of maxContextChars (3 UTF-8 bytes per character at worst) plus 1 MiB.',
  ),
  maxPathChars: int('BRUTALIST_MAX_PATH_CHARS', 4_096, 64, 65_536, 'Longest accepted `target` path.'),
  maxPathComponentChars: int('BRUTALIST_MAX_PATH_COMPONENT_CHARS', 255, 16, 4_096, 'Longest path component.'),
  redactInputSecrets: bool(
    'BRUTALIST_REDACT_INPUT_SECRETS',
    true,
    "Redact secret-shaped text (keys, tokens, PEM blocks, JWTs, high-entropy assignments) and the server's credential env values from `context` and the other text arguments before any critic sees them.",
  ),
  // ---- results, paging, conversations, cache
  pageChars: int(
    'BRUTALIST_PAGE_CHARS',
    90_000,
    1_000,
    100_000,
    'Results longer than this are paged; default page size (~22k tokens, under the common 25k-token client cap).',
  ),
  resultTtlMs: int(
    'BRUTALIST_RESULT_TTL_MS',
    24 * 60 * MINUTE,
    MINUTE,
    30 * 24 * 60 * MINUTE,
    'How long stored results, cursors and conversations live.',
  ),
  waitMs: int(
    'BRUTALIST_WAIT_MS',
    45 * SECOND,
    100,
    10 * MINUTE,
    'How long a `roast`/`roast_cli_debate` call waits for the critique before answering "running" with a `context_id` to wait on; keep it below the client\'s tool timeout (commonly 60 s).',
  ),
  cacheTtlMs: int(
    'BRUTALIST_CACHE_TTL_MS',
    60 * MINUTE,
    0,
    30 * 24 * 60 * MINUTE,
    'How long an identical request is answered from cache (0 disables the cache).',
  ),
  stateMaxBytes: int(
    'BRUTALIST_STATE_MAX_BYTES',
    256 * MIB,
    MIB,
    16 * 1024 * MIB,
    'Bytes the state store (memory or SQLite) may hold before evicting least-recently-used entries.',
  ),
  stateMaxEntries: int(
    'BRUTALIST_STATE_MAX_ENTRIES',
    10_000,
    10,
    10_000_000,
    'Entries the state store (memory or SQLite) may hold before evicting least-recently-used ones.',
  ),
  cacheMaxEntryBytes: int(
    'BRUTALIST_CACHE_MAX_ENTRY_BYTES',
    4 * MIB,
    1024,
    512 * MIB,
    'Largest critique kept in the request cache (larger ones are still returned and paged, just not cached).',
  ),
  maxConversationTurns: int(
    'BRUTALIST_MAX_CONVERSATION_TURNS',
    10,
    1,
    100,
    'Turns kept in a conversation history for `resume`.',
  ),
  maxHistoryChars: int(
    'BRUTALIST_MAX_HISTORY_CHARS',
    100_000,
    1_000,
    2_000_000,
    'Characters of history replayed to a critic on `resume` (oldest turns dropped first).',
  ),
  fingerprintMaxFiles: int(
    'BRUTALIST_FINGERPRINT_MAX_FILES',
    20_000,
    0,
    1_000_000,
    'Files examined to fingerprint a target for the cache; larger trees are not cached.',
  ),
  // ---- state store (docs/operations.md#state)
  stateStore: choice(
    'BRUTALIST_STATE_STORE',
    'auto',
    'Where state lives: `auto` (Redis when redisUrl is set, else the SQLite file), `sqlite`, `redis`, or `memory` (lost on exit).',
    ['auto', 'sqlite', 'redis', 'memory'],
  ),
  stateDir: str(
    'BRUTALIST_STATE_DIR',
    '',
    'Folder of the SQLite state file `state.db` (empty: $XDG_STATE_HOME/brutalist-mcp, else ~/.local/state/brutalist-mcp).',
  ),
  redisUrl: {
    ...str(
      'BRUTALIST_REDIS_URL',
      '',
      'Redis URL (redis:// or rediss://); set, it makes Redis the state store so several instances share state.',
    ),
    secret: 'url-password',
  },
  redisKeyPrefix: str(
    'BRUTALIST_REDIS_KEY_PREFIX',
    'brutalist:',
    'Prefix of every Redis key this server writes (lets several deployments share one Redis).',
  ),
  redisCommandTimeoutMs: int(
    'BRUTALIST_REDIS_COMMAND_TIMEOUT_MS',
    1_000,
    50,
    MINUTE,
    'Longest wait for one Redis command (and for a connection); past it the store reports STATE_UNAVAILABLE.',
  ),
  stateSweepIntervalMs: int(
    'BRUTALIST_STATE_SWEEP_INTERVAL_MS',
    MINUTE,
    SECOND,
    60 * MINUTE,
    'How often expired state is deleted.',
  ),
  stateSweepBatchSize: int(
    'BRUTALIST_STATE_SWEEP_BATCH_SIZE',
    1_000,
    1,
    1_000_000,
    'Expired entries deleted per sweep at most (bounds the work of one sweep).',
  ),
  lockTtlMs: int(
    'BRUTALIST_LOCK_TTL_MS',
    30 * SECOND,
    SECOND,
    10 * MINUTE,
    'Lease of the single-flight lock on a request; renewed while the critic runs, so a dead holder frees it after this.',
  ),
  lockPollMs: int(
    'BRUTALIST_LOCK_POLL_MS',
    250,
    10,
    10 * SECOND,
    "How often a request waiting on another instance's identical run checks for its result.",
  ),
  cursorSecret: {
    ...str(
      'BRUTALIST_CURSOR_SECRET',
      '',
      'HMAC key that signs cursors (empty: a random one generated once and kept in the state store).',
    ),
    secret: 'value',
  },
  cacheFrontMaxBytes: int(
    'BRUTALIST_CACHE_FRONT_MAX_BYTES',
    32 * MIB,
    0,
    4 * 1024 * MIB,
    'In-process LRU of cache entries in front of the state store, in bytes (0 disables it).',
  ),
  cacheCompressMinBytes: int(
    'BRUTALIST_CACHE_COMPRESS_MIN_BYTES',
    16 * 1024,
    0,
    512 * MIB,
    'Cache entries at least this large are stored gzip-compressed (0: never compress).',
  ),
  // ---- progress
  progressIntervalMs: int(
    'BRUTALIST_PROGRESS_INTERVAL_MS',
    5 * SECOND,
    250,
    10 * SECOND,
    'Longest gap between progress notifications while a critic runs (when the client sent a progressToken).',
  ),
  maxEventRate: int(
    'BRUTALIST_MAX_EVENT_RATE',
    4,
    1,
    1_000,
    'Notifications per second for one request (progress and log together); more events are coalesced.',
  ),
  maxGlobalEventRate: int(
    'BRUTALIST_MAX_GLOBAL_EVENT_RATE',
    50,
    1,
    100_000,
    'Notifications per second for the whole server.',
  ),
  streamBufferSize: int(
    'BRUTALIST_STREAM_BUFFER_SIZE',
    64,
    1,
    100_000,
    'Log lines held per request while the client or the rate limit holds them back.',
  ),
  coalescingWindowMs: int(
    'BRUTALIST_COALESCING_WINDOW_MS',
    250,
    0,
    60 * SECOND,
    'Events within this window are merged into one notification.',
  ),
  dropPolicy: choice(
    'BRUTALIST_DROP_POLICY',
    'drop-oldest',
    'What a full per-request log buffer loses; losses are counted and reported as droppedEvents.',
    ['drop-oldest', 'drop-newest', 'latest-wins'],
  ),
  // ---- resilience: admission, deadlines, breakers, retries, shedding (defaults reasoned in docs/resilience.md)
  maxConcurrent: int(
    'BRUTALIST_MAX_CONCURRENT',
    8,
    1,
    1_024,
    'Critic runs in flight at once, all critics together.',
  ),
  maxConcurrentPerCritic: int(
    'BRUTALIST_MAX_CONCURRENT_PER_CRITIC',
    6,
    1,
    1_024,
    'Critic runs in flight at once for one critic (keeps slots free for the others when one vendor hangs).',
  ),
  maxQueueSize: int(
    'BRUTALIST_MAX_QUEUE_SIZE',
    64,
    0,
    100_000,
    'Critic runs waiting for a slot; past it QUEUE_FULL (a higher priority evicts the newest lowest-priority waiter).',
  ),
  queueTimeoutMs: int(
    'BRUTALIST_QUEUE_TIMEOUT_MS',
    10 * MINUTE,
    100,
    2 * 60 * MINUTE,
    'Longest wait in the admission queue (QUEUE_FULL with reason "timeout").',
  ),
  requestTimeoutMs: int(
    'BRUTALIST_REQUEST_TIMEOUT_MS',
    20 * MINUTE,
    SECOND,
    4 * 60 * MINUTE,
    'Deadline of one request (queue wait + critic run) when the client sends none in `_meta.timeoutMs`; also its ceiling.',
  ),
  defaultPriority: choice(
    'BRUTALIST_DEFAULT_PRIORITY',
    'default',
    'Priority of a request without a `priority` argument (critical, interactive, default, batch).',
    PRIORITY_NAMES,
  ),
  callerPriorities: list(
    'BRUTALIST_CALLER_PRIORITIES',
    [],
    'Per-caller default priority as `owner=level` items (e.g. `ci=batch`); overrides defaultPriority.',
  ),
  maxCallerSharePct: int(
    'BRUTALIST_MAX_CALLER_SHARE_PCT',
    50,
    1,
    100,
    'Share of run+queue slots one caller may hold while other callers wait (100: no limit).',
  ),
  breakerWindowSize: int(
    'BRUTALIST_BREAKER_WINDOW_SIZE',
    10,
    1,
    1_000,
    'Calls in the count-based window each critic breaker judges.',
  ),
  breakerMinimumCalls: int(
    'BRUTALIST_BREAKER_MINIMUM_CALLS',
    5,
    1,
    1_000,
    'Calls the window must hold before a breaker may open (at most breakerWindowSize).',
  ),
  breakerFailureRatePct: int(
    'BRUTALIST_BREAKER_FAILURE_RATE_PCT',
    50,
    1,
    100,
    'Failure rate in the window at or above which a breaker opens (a timeout is a failure).',
  ),
  breakerSlowCallRatePct: int(
    'BRUTALIST_BREAKER_SLOW_CALL_RATE_PCT',
    80,
    1,
    100,
    'Rate of calls slower than breakerSlowCallMs at or above which a breaker opens.',
  ),
  breakerSlowCallMs: int(
    'BRUTALIST_BREAKER_SLOW_CALL_MS',
    5 * MINUTE,
    1,
    2 * 60 * MINUTE,
    'A critic run at least this long counts as slow.',
  ),
  breakerRecoveryTimeoutMs: int(
    'BRUTALIST_BREAKER_RECOVERY_TIMEOUT_MS',
    30 * SECOND,
    1,
    60 * MINUTE,
    'Open duration before a probe, multiplied by the consecutive opens (capped by breakerMaxRecoveryTimeoutMs).',
  ),
  breakerMaxRecoveryTimeoutMs: int(
    'BRUTALIST_BREAKER_MAX_RECOVERY_TIMEOUT_MS',
    5 * MINUTE,
    1,
    24 * 60 * MINUTE,
    'Longest open duration.',
  ),
  breakerHalfOpenMaxCalls: int(
    'BRUTALIST_BREAKER_HALF_OPEN_MAX_CALLS',
    1,
    1,
    100,
    'Probe calls let through when half-open (more are rejected at once); all must succeed to close.',
  ),
  breakerResetTimeoutMs: int(
    'BRUTALIST_BREAKER_RESET_TIMEOUT_MS',
    10 * MINUTE,
    1,
    24 * 60 * MINUTE,
    'Time closed after which the consecutive-open count (the open-duration multiplier) starts again at 1.',
  ),
  staleCacheMaxAgeMs: int(
    'BRUTALIST_STALE_CACHE_MAX_AGE_MS',
    24 * 60 * MINUTE,
    0,
    30 * 24 * 60 * MINUTE,
    'How old a cached critique may be to be served, marked stale, while its critic circuit is open (0: never).',
  ),
  retryMaxAttempts: int(
    'BRUTALIST_RETRY_MAX_ATTEMPTS',
    3,
    1,
    3,
    'Attempts per critic run for transient failures (RATE_LIMITED, crash before any output), first included.',
  ),
  retryBaseDelayMs: int(
    'BRUTALIST_RETRY_BASE_DELAY_MS',
    SECOND,
    1,
    MINUTE,
    'First retry backoff ceiling; doubles per attempt, full jitter.',
  ),
  retryMaxDelayMs: int('BRUTALIST_RETRY_MAX_DELAY_MS', 30 * SECOND, 1, 10 * MINUTE, 'Largest retry backoff.'),
  retryBudgetPct: int(
    'BRUTALIST_RETRY_BUDGET_PCT',
    10,
    0,
    100,
    'Retries per critic per minute, as a percentage of its first attempts in that minute.',
  ),
  retryBudgetMinPerMinute: int(
    'BRUTALIST_RETRY_BUDGET_MIN_PER_MINUTE',
    2,
    0,
    1_000,
    'Retries per critic per minute allowed even at low traffic (the budget is the larger of the two).',
  ),
  shedEventLoopDelayMs: int(
    'BRUTALIST_SHED_EVENT_LOOP_DELAY_MS',
    100,
    1,
    MINUTE,
    'Mean event-loop delay over the last second at which batch requests are shed; at 2x default ones too.',
  ),
  shedHeapUsedPct: int(
    'BRUTALIST_SHED_HEAP_USED_PCT',
    85,
    1,
    100,
    'Heap use (of the V8 heap limit) at which batch requests are shed; default ones from halfway to 100%.',
  ),
  shedMaxChildren: int(
    'BRUTALIST_SHED_MAX_CHILDREN',
    32,
    1,
    10_000,
    'Live child process groups at which batch requests are shed; at 2x default ones too.',
  ),
  // ---- observability (docs/operations.md#logs)
  logLevel: choice(
    'BRUTALIST_LOG_LEVEL',
    'warn',
    'Least severe level written to the JSON log on stderr: `fatal`, `error`, `warn` (critic failures, breakers opening), `info`, `debug` (every spawn and exit), `trace`, or `silent`.',
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
  ),
} as const;

export type OptionName = keyof typeof OPTIONS;

type ValueOf<S> =
  S extends OptionSpec<'int', number>
    ? number
    : S extends OptionSpec<'string', string>
      ? string
      : S extends OptionSpec<'list', readonly string[]>
        ? readonly string[]
        : S extends OptionSpec<'bool', boolean>
          ? boolean
          : never;

/** The resolved, frozen configuration every module receives. */
export type Config = {
  readonly [K in OptionName]: K extends 'criticPreference'
    ? readonly CriticName[]
    : ValueOf<(typeof OPTIONS)[K]>;
};

export const SECRET_SHOWN_AS = '<set>';

/** The config as `brutalist-mcp config` prints it: secret options as `<set>`, a URL's password as `<set>`. */
export function printableConfig(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  for (const [name, spec] of Object.entries(OPTIONS) as Array<[OptionName, OptionSpec<Kind, unknown>]>) {
    const value = config[name];
    if (!spec.secret || typeof value !== 'string' || value === '') continue;
    out[name] = spec.secret === 'url-password' ? withoutPassword(value) : SECRET_SHOWN_AS;
  }
  return out;
}

function withoutPassword(value: string): string {
  const userinfo = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^:@/]*:)([^@/]*)@/.exec(value);
  if (userinfo) return `${userinfo[1]}${SECRET_SHOWN_AS}@${value.slice(userinfo[0].length)}`;
  // No password in user:password@ form. A URL that does not parse could hold anything: nothing of it is shown.
  return URL.canParse(value) ? value : SECRET_SHOWN_AS;
}
