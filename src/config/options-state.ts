/** Options of results, paging, conversations, the request cache and the state store behind them. */
import { STATE_STORES } from './names.js';
import { choice, int, MIB, MINUTE, SECOND, str } from './spec.js';

export const STATE_OPTIONS = {
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
  oversizedResultsKept: int(
    'BRUTALIST_OVERSIZED_RESULTS_KEPT',
    8,
    1,
    1_000,
    "Critiques too large for the state store kept in this instance's memory and paged from there for their owner (the newest kept; each at most maxOutputBytes).",
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
    STATE_STORES,
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
} as const;
