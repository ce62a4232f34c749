/**
 * Every configurable value in one table: name, env variable, default, bounds and meaning.
 * The README's config table and the env/file loaders are generated from or checked against this list.
 */

export const CRITIC_NAMES = ['claude', 'codex', 'gemini'] as const;
export type CriticName = (typeof CRITIC_NAMES)[number];

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
}

const int = (env: string, def: number, min: number, max: number, description: string) =>
  ({ kind: 'int', env, default: def, min, max, description }) as OptionSpec<'int', number>;
const str = (env: string, def: string, description: string) =>
  ({ kind: 'string', env, default: def, description }) as OptionSpec<'string', string>;
const bool = (env: string, def: boolean, description: string) =>
  ({ kind: 'bool', env, default: def, description }) as OptionSpec<'bool', boolean>;
const list = (env: string, def: readonly string[], description: string, choices?: readonly string[]) =>
  ({ kind: 'list', env, default: def, description, choices }) as OptionSpec<'list', readonly string[]>;

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
  geminiTrustWorkspace: bool(
    'BRUTALIST_GEMINI_TRUST_WORKSPACE',
    false,
    "Let gemini run in folders it has not been told to trust (it then loads that folder's .gemini settings); off: WORKSPACE_UNTRUSTED.",
  ),
  availabilityTtlMs: int(
    'BRUTALIST_AVAILABILITY_TTL_MS',
    5 * MINUTE,
    0,
    24 * 60 * MINUTE,
    'How long a `--version` probe result is trusted.',
  ),
  probeTimeoutMs: int(
    'BRUTALIST_PROBE_TIMEOUT_MS',
    10 * SECOND,
    100,
    MINUTE,
    'Deadline of one `--version` probe.',
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
    "Allowed filesystem roots (path-delimiter separated) when the client offers no MCP roots; empty: the server's cwd.",
  ),
  maxContextChars: int(
    'BRUTALIST_MAX_CONTEXT_CHARS',
    200_000,
    1_000,
    10_000_000,
    'Largest `context` (and other long text) argument.',
  ),
  maxFieldChars: int('BRUTALIST_MAX_FIELD_CHARS', 10_000, 100, 1_000_000, 'Largest short string argument.'),
  maxPathChars: int('BRUTALIST_MAX_PATH_CHARS', 4_096, 64, 65_536, 'Longest accepted `target` path.'),
  maxPathComponentChars: int('BRUTALIST_MAX_PATH_COMPONENT_CHARS', 255, 16, 4_096, 'Longest path component.'),
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
    'Memory the in-memory state store may hold before evicting least-recently-used entries.',
  ),
  stateMaxEntries: int(
    'BRUTALIST_STATE_MAX_ENTRIES',
    10_000,
    10,
    10_000_000,
    'Entries the in-memory store may hold.',
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
  // ---- progress
  progressIntervalMs: int(
    'BRUTALIST_PROGRESS_INTERVAL_MS',
    5 * SECOND,
    250,
    10 * SECOND,
    'Interval of progress notifications while a critic runs (when the client sent a progressToken).',
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
        : never;

/** The resolved, frozen configuration every module receives. */
export type Config = {
  readonly [K in OptionName]: K extends 'criticPreference'
    ? readonly CriticName[]
    : ValueOf<(typeof OPTIONS)[K]>;
};
