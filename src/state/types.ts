/** The StateStore interface callers use (results, conversations, runs, cache, locks), and the backends' fuller one. */
import type { CriticId } from '../config/index.js';

/** Who owns a piece of state: results, cursors and conversations are only served to their owner. */
export type OwnerId = string;

export interface SessionData {
  readonly owner: OwnerId;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly clientName?: string;
}

/** A cursor: points into a stored result. Looked up by its opaque id; never decoded from client input. */
export interface PaginationToken {
  readonly contextId: string;
  readonly owner: OwnerId;
  readonly offset: number;
  readonly limit: number;
  readonly expiresAt: number;
}

/** A full critique text kept for paging, with the safe metadata returned alongside each page. */
export interface StoredResult {
  readonly contextId: string;
  readonly owner: OwnerId;
  readonly text: string;
  /** JSON-safe metadata (critics, models, durations...), returned with every page. */
  readonly meta: Readonly<Record<string, unknown>>;
  readonly createdAt: number;
}

/**
 * A window of a stored result's text (UTF-16 code units `from`..`from + text.length`), with what a page needs
 * besides it: a page reads this, never the whole text.
 */
export interface StoredResultPart {
  readonly contextId: string;
  readonly owner: OwnerId;
  readonly meta: Readonly<Record<string, unknown>>;
  readonly createdAt: number;
  /** The length of the whole text in UTF-16 code units. */
  readonly totalChars: number;
  /** Where `text` starts: the asked `from`, clamped to [0, totalChars]. */
  readonly from: number;
  /** The whole text's `slice(from, to)`, with `to` clamped to [from, totalChars]; may split a surrogate pair. */
  readonly text: string;
  /** `text` as the consecutive strings the store read it in, when it did (see TextWindow.pieces). */
  readonly pieces?: readonly string[];
}

export interface ConversationTurn {
  readonly role: 'user' | 'critic';
  readonly critic?: CriticId;
  readonly text: string;
  readonly at: number;
}

export interface Conversation {
  readonly contextId: string;
  readonly owner: OwnerId;
  /** What was asked first: tool + domain, so `resume` continues in the same frame. */
  readonly tool: string;
  readonly domain?: string;
  readonly critics: readonly CriticId[];
  readonly turns: readonly ConversationTurn[];
}

/**
 * The state of a critique handed out as "running": lets any process on the store answer a later wait on its
 * context id (still running, failed with this error, cancelled) and tell a run lost with its process.
 */
export interface RunRecord {
  readonly contextId: string;
  readonly owner: OwnerId;
  readonly tool: 'roast' | 'roast_cli_debate';
  readonly status: 'running' | 'done' | 'failed' | 'cancelled';
  /** The process that runs it (a random id per process). */
  readonly instanceId: string;
  readonly startedAt: number;
  /** Renewed while it runs; older than the lease means its process is gone. */
  readonly heartbeatAt: number;
  /** Critics at work at the last heartbeat. */
  readonly running: readonly string[];
  /** Set when status is failed: the error the next waiter gets (the formatter sanitizes it on the way out). */
  readonly error?: RunError;
  /** Queue execution: what another front needs to take the run over if its process dies (ADR 0041). */
  readonly replay?: RunReplay;
}

/**
 * A run's request as a front that adopts it replays it: the (already redacted) tool arguments, the caller's roots and
 * time budget. Its critic jobs are keyed by context id, so the replay joins the jobs still on the queue.
 */
export interface RunReplay {
  readonly args: Readonly<Record<string, unknown>>;
  readonly roots: readonly string[];
  readonly timeoutMs?: number;
}

/**
 * An MCP task (spec 2025-11-25): a second way to wait on a run. Its id is the run's context id; its status is
 * read from the run record or the stored result, so only what a run record does not hold is kept here.
 */
export interface TaskRecord {
  readonly taskId: string;
  readonly owner: OwnerId;
  readonly tool: 'roast' | 'roast_cli_debate';
  readonly createdAt: number;
  /** How long the task is kept after creation (the client's ask, bounded by config taskTtlMs). */
  readonly ttlMs: number;
  readonly pollIntervalMs: number;
  /** Set when the call failed before a run began (bad arguments, no critic): the error its result is. */
  readonly error?: RunError;
}

/** A principal's tasks, oldest first: what tasks/list pages through and what the per-principal limit counts. */
export interface TaskList {
  readonly owner: OwnerId;
  readonly tasks: ReadonlyArray<{ readonly taskId: string; readonly expiresAt: number }>;
}

export interface RunError {
  readonly code: string;
  readonly message: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** A cached critique of a request; `storedAt` gives its age. */
export interface CacheEntry {
  readonly text: string;
  readonly meta: Readonly<Record<string, unknown>>;
  readonly storedAt: number;
}

export interface StateStoreStats {
  readonly entries: number;
  readonly bytes: number;
  readonly evictions: number;
  readonly cacheHits: number;
  readonly cacheMisses: number;
  /** The in-process cache front, when one is configured. */
  readonly cacheFront?: {
    readonly hits: number;
    readonly entries: number;
    readonly bytes: number;
    readonly maxBytes: number;
    readonly compressedWrites: number;
  };
}

/**
 * A held lock. `token` proves ownership (release and extend compare it); `fence` grows with every grant
 * on the store, so a write carrying an older fence than the key's latest grant can be refused.
 */
export interface LockLease {
  readonly key: string;
  readonly token: string;
  readonly fence: number;
  readonly expiresAt: number;
}

export type StoreBackend = 'memory' | 'sqlite' | 'redis';

/** What a health check reports: `degraded` means the store answers, but without sharing or durability. */
export interface StoreHealth {
  readonly backend: StoreBackend;
  readonly status: 'ok' | 'degraded';
  /** A short, safe reason (never a host path, URL or secret). */
  readonly detail?: string;
}

/**
 * What the engine, the server and the CLI use. Decorators (CacheFront, DegradingStateStore) implement this by
 * extending ForwardingStateStore and overriding what they change; a later feature adds a method here only when
 * something outside src/state calls it.
 */
export interface StateStore {
  putResult(result: StoredResult, ttlMs: number): Promise<void>;
  /**
   * Part of a stored result: code units [from, to) of its text plus its metadata, reading only about that much
   * of the stored text. Null when absent or expired.
   * @throws BrutalistError INVALID_ARGUMENT when from or to is not a safe integer >= 0, or to < from.
   */
  getResultPart(contextId: string, from: number, to: number): Promise<StoredResultPart | null>;

  /** Stores the conversation, keeping only the newest `maxTurns` turns. */
  putConversation(conversation: Conversation, ttlMs: number, maxTurns: number): Promise<void>;
  getConversation(contextId: string): Promise<Conversation | null>;

  /** Writes (replaces) the record of a run handed out as running. */
  putRun(record: RunRecord, ttlMs: number): Promise<void>;
  /** The run record, or null when none was written or it expired (also for a malformed stored value). */
  getRun(contextId: string): Promise<RunRecord | null>;

  /** Writes (replaces) a task; it lives `ttlMs`. */
  putTask(task: TaskRecord, ttlMs: number): Promise<void>;
  /** The task, or null when none was written, it expired, or the stored value is malformed. */
  getTask(taskId: string): Promise<TaskRecord | null>;
  /** Writes (replaces) a principal's task list (callers hold the store lock `tasks:<owner>` while they change it). */
  putTaskList(list: TaskList, ttlMs: number): Promise<void>;
  getTaskList(owner: OwnerId): Promise<TaskList | null>;

  /**
   * Returns false (and stores nothing) when the entry is larger than the store's cache entry limit, or when
   * `fence` is given and a lock on `key` has since been granted with a newer fence (a stale writer).
   */
  setCache(key: string, entry: CacheEntry, ttlMs: number, fence?: number): Promise<boolean>;
  getCache(key: string): Promise<CacheEntry | null>;

  /**
   * Grants the lock on `key` for `ttlMs` unless another live holder has it (then null). Every grant gets a
   * fence greater than any earlier grant on this store.
   */
  acquireLock(key: string, ttlMs: number): Promise<LockLease | null>;
  /** Extends a lease still held (same token, not expired); null when it was lost. */
  extendLock(lease: LockLease, ttlMs: number): Promise<LockLease | null>;
  /** Deletes the lock only when it is still held by this lease's token; returns whether it did. */
  releaseLock(lease: LockLease): Promise<boolean>;

  /** A random secret shared by every process on this store, created on first request and kept. */
  sharedSecret(name: string): Promise<string>;

  /** Removes expired entries (a bounded batch per call); returns how many were removed. */
  cleanupExpired(): Promise<number>;
  stats(): Promise<StateStoreStats>;
  health(): Promise<StoreHealth>;
  close(): Promise<void>;
}

/**
 * The backends (memory, SQLite, Redis) beyond StateStore: sessions, cursors, whole-result reads and counters.
 * Nothing outside src/state calls these (cursors are HMAC-signed, results are read a page at a time); the
 * stores keep them, and their tests check them (test/unit/state-contract.ts, backendStoreContract).
 */
export interface BackendStateStore extends StateStore {
  setSession(sessionId: string, data: SessionData, ttlMs: number): Promise<void>;
  getSession(sessionId: string): Promise<SessionData | null>;

  setPaginationToken(cursorId: string, token: PaginationToken): Promise<void>;
  getPaginationToken(cursorId: string): Promise<PaginationToken | null>;

  /** The whole result (text and metadata), or null when absent or expired. */
  getResult(contextId: string): Promise<StoredResult | null>;

  /** Adds `by` (default 1) to a counter and returns the new value; a new counter lives `ttlMs` (a window). */
  incrementCounter(key: string, ttlMs: number, by?: number): Promise<number>;
}
