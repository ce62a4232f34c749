/**
 * The typed half every StateStore shares: sessions, cursors, results, conversations and cache reads, written once over the
 * namespaced key-value operations each backend provides (memory map, SQLite table, Redis keys).
 */
import { BrutalistError } from '../errors/index.js';
import { type Clock, systemClock } from '../infra/index.js';
import { partOf } from './result-chunks.js';
import type {
  CacheEntry,
  Conversation,
  PaginationToken,
  RunRecord,
  SessionData,
  StoredResult,
  StoredResultPart,
  TaskList,
  TaskRecord,
} from './types.js';
import {
  checkCursorExpiry,
  checkKey,
  checkMaxTurns,
  checkTtl,
  checkWindow,
  DEFAULT_MAX_VALUE_DEPTH,
  DEFAULT_SWEEP_BATCH_SIZE,
  isRunRecord,
  isTaskList,
  isTaskRecord,
  positiveInt,
} from './validate.js';

export type Namespace =
  | 'session'
  | 'cursor'
  | 'result'
  | 'conversation'
  | 'cache'
  | 'run'
  | 'task'
  | 'tasklist';

/** The bounds every store takes, checked once here. */
export interface StoreBoundsOptions {
  /** Largest cache entry accepted by setCache; larger ones are refused (false). */
  readonly cacheMaxEntryBytes: number;
  /** Entries cleanupExpired() examines per call; the next call continues where this one stopped. */
  readonly sweepBatchSize?: number;
  /** Deepest nesting accepted in a stored value (meta objects). */
  readonly maxValueDepth?: number;
  /** Live MCP tasks the store holds at most (they are never evicted); one more is TOO_MANY_TASKS. */
  readonly taskMaxTotal?: number;
  readonly clock?: Clock;
}

/** Task records and task lists are never evicted by a store's LRU: a live task must not vanish under cache load. */
export const PINNED_NAMESPACES: readonly Namespace[] = ['task', 'tasklist'];
export const DEFAULT_TASK_MAX_TOTAL = 10_000;

export abstract class KeyValueStateStore {
  protected readonly clock: Clock;
  protected readonly cacheMaxEntryBytes: number;
  protected readonly sweepBatchSize: number;
  protected readonly maxValueDepth: number;
  protected readonly taskMaxTotal: number;
  protected closed = false;
  protected cacheHits = 0;
  protected cacheMisses = 0;

  constructor(options: StoreBoundsOptions, defaultSweepBatchSize = DEFAULT_SWEEP_BATCH_SIZE) {
    this.cacheMaxEntryBytes = positiveInt('cacheMaxEntryBytes', options.cacheMaxEntryBytes);
    this.sweepBatchSize = positiveInt('sweepBatchSize', options.sweepBatchSize ?? defaultSweepBatchSize);
    this.maxValueDepth = positiveInt('maxValueDepth', options.maxValueDepth ?? DEFAULT_MAX_VALUE_DEPTH);
    this.taskMaxTotal = positiveInt('taskMaxTotal', options.taskMaxTotal ?? DEFAULT_TASK_MAX_TOTAL);
    this.clock = options.clock ?? systemClock;
  }

  /** Stores `value` under namespace+key for ttlMs; throws STATE_VALUE_TOO_LARGE (not retryable) with `tooLarge` when it cannot fit. */
  protected abstract put(
    ns: Namespace,
    key: unknown,
    value: unknown,
    ttlMs: number,
    tooLarge: string,
  ): void | Promise<void>;
  /** The live value, or null when absent or expired. */
  protected abstract get<T>(ns: Namespace, key: string): T | null | Promise<T | null>;
  protected abstract del(ns: Namespace, key: unknown): void | Promise<void>;
  /** Live (unexpired) entries of a pinned namespace; a store that evicts nothing may answer 0 (no bound needed). */
  protected abstract countLive(ns: Namespace): number | Promise<number>;

  protected assertOpen(): void {
    if (this.closed) throw new BrutalistError('STATE_UNAVAILABLE', 'The state store is closed.');
  }

  async setSession(sessionId: string, data: SessionData, ttlMs: number): Promise<void> {
    this.assertOpen();
    await this.put('session', sessionId, data, checkTtl(ttlMs), 'The session is too large to store.');
  }

  async getSession(sessionId: string): Promise<SessionData | null> {
    return this.get<SessionData>('session', sessionId);
  }

  /** The cursor lives until its own `expiresAt`; one already expired is not stored (and replaces any old one). */
  async setPaginationToken(cursorId: string, token: PaginationToken): Promise<void> {
    this.assertOpen();
    const ttlMs = checkCursorExpiry(token?.expiresAt) - this.clock.now();
    if (ttlMs <= 0) {
      await this.del('cursor', cursorId);
      return;
    }
    await this.put('cursor', cursorId, token, ttlMs, 'The cursor is too large to store.');
  }

  async getPaginationToken(cursorId: string): Promise<PaginationToken | null> {
    return this.get<PaginationToken>('cursor', cursorId);
  }

  /** Throws STATE_VALUE_TOO_LARGE when the result alone is larger than the store may hold (it could never be paged). */
  async putResult(result: StoredResult, ttlMs: number): Promise<void> {
    this.assertOpen();
    await this.put(
      'result',
      result?.contextId,
      result,
      checkTtl(ttlMs),
      'The result is too large to store for paging.',
    );
  }

  async getResult(contextId: string): Promise<StoredResult | null> {
    return this.get<StoredResult>('result', contextId);
  }

  /** The default reads the whole result and slices it: right for the memory store, which holds the string anyway. */
  async getResultPart(contextId: string, from: number, to: number): Promise<StoredResultPart | null> {
    const window = checkWindow(from, to);
    const result = await this.getResult(contextId);
    if (!result) return null;
    return partOf(result, window.from, window.to);
  }

  /** Keeps only the newest `maxTurns` turns. */
  async putConversation(conversation: Conversation, ttlMs: number, maxTurns: number): Promise<void> {
    this.assertOpen();
    checkMaxTurns(maxTurns);
    if (!Array.isArray(conversation?.turns)) {
      throw new BrutalistError('INVALID_ARGUMENT', 'A conversation needs a turns array.');
    }
    const trimmed: Conversation = { ...conversation, turns: conversation.turns.slice(-maxTurns) };
    await this.put(
      'conversation',
      conversation.contextId,
      trimmed,
      checkTtl(ttlMs),
      'The conversation is too large to store.',
    );
  }

  async getConversation(contextId: string): Promise<Conversation | null> {
    return this.get<Conversation>('conversation', contextId);
  }

  async putRun(record: RunRecord, ttlMs: number): Promise<void> {
    this.assertOpen();
    await this.put(
      'run',
      record?.contextId,
      record,
      checkTtl(ttlMs),
      'The run record is too large to store.',
    );
  }

  /** Stored data is checked on the way back: a record another version wrote differently reads as none. */
  async getRun(contextId: string): Promise<RunRecord | null> {
    const value = await this.get<unknown>('run', contextId);
    return isRunRecord(value) ? value : null;
  }

  /** A new task past taskMaxTotal live ones is refused (TOO_MANY_TASKS): tasks are pinned, so they need a bound. */
  async putTask(task: TaskRecord, ttlMs: number): Promise<void> {
    this.assertOpen();
    const isNew = (await this.get<unknown>('task', checkKey(task?.taskId))) === null;
    if (isNew && (await this.countLive('task')) >= this.taskMaxTotal) {
      throw new BrutalistError(
        'TOO_MANY_TASKS',
        'The server holds the most MCP tasks it may keep; wait for some to expire.',
        { data: { limit: this.taskMaxTotal, scope: 'server' } },
      );
    }
    await this.put('task', task?.taskId, task, checkTtl(ttlMs), 'The task is too large to store.');
  }

  async getTask(taskId: string): Promise<TaskRecord | null> {
    const value = await this.get<unknown>('task', taskId);
    return isTaskRecord(value) ? value : null;
  }

  async putTaskList(list: TaskList, ttlMs: number): Promise<void> {
    this.assertOpen();
    await this.put('tasklist', list?.owner, list, checkTtl(ttlMs), 'The task list is too large to store.');
  }

  async getTaskList(owner: string): Promise<TaskList | null> {
    const value = await this.get<unknown>('tasklist', owner);
    return isTaskList(value) ? value : null;
  }

  /** A cached critique, counted as a hit or a miss for stats(). */
  async getCache(key: string): Promise<CacheEntry | null> {
    const entry = await this.get<CacheEntry>('cache', key);
    if (entry) this.cacheHits++;
    else this.cacheMisses++;
    return entry;
  }
}
