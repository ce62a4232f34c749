/**
 * MCP tasks (spec 2025-11-25) as a second way to wait on a run: a task's id is its run's context id, its status is
 * read from the run (live job, run record, stored result), and only what those do not hold is kept (TaskRecord).
 */
import { BrutalistError, toBrutalistError } from '../errors/index.js';
import { type Clock, newId } from '../infra/index.js';
import type { LockLease, StateStore, TaskList, TaskRecord } from '../state/index.js';
import type { BackgroundRuns } from './background-runs.js';
import type { Config } from './config.js';
import { sleep } from './guarded-runner.js';
import { restoreRunError, runError } from './run-records.js';
import type { CancelledResponse, EngineResult, ToolId } from './types.js';

export type TaskStatus = 'working' | 'completed' | 'failed' | 'cancelled';

/** A task as a client sees it (tasks/get, tasks/list, the answer to a task-augmented call). */
export interface TaskView {
  readonly taskId: string;
  readonly tool: ToolId;
  readonly status: TaskStatus;
  readonly createdAt: number;
  readonly lastUpdatedAt: number;
  readonly ttlMs: number;
  readonly pollIntervalMs: number;
  /** Failed: the error code and its message (sanitized text from the registry or the run). */
  readonly statusMessage?: string;
  /** Failed: the error the task's result is. */
  readonly error?: BrutalistError;
}

export type TaskConfig = Pick<
  Config,
  'taskTtlMs' | 'taskPollIntervalMs' | 'taskMaxPerPrincipal' | 'taskListPageSize' | 'lockTtlMs' | 'lockPollMs'
>;

/** Starts the task's run under a context that waits 0 ms: the run detaches at once (or ends at once). */
export type StartRun = () => Promise<EngineResult>;

const MIN_TASK_TTL_MS = 60_000;

export class Tasks {
  constructor(
    private readonly store: StateStore,
    private readonly runs: BackgroundRuns,
    private readonly clock: Clock,
    private readonly config: TaskConfig,
  ) {}

  /**
   * A task-augmented call: runs `start` (which waits 0 ms) and records the task under the run's context id. A call
   * that fails before a run exists (bad arguments, no critic) becomes a failed task whose result is that error.
   */
  async create(
    owner: string,
    tool: ToolId,
    requestedTtlMs: number | null | undefined,
    start: StartRun,
  ): Promise<TaskView> {
    const ttlMs = this.boundTtl(requestedTtlMs);
    return this.withList(owner, async (list) => {
      const kept = await this.makeRoom(owner, list);
      const task = await this.startRun(owner, tool, ttlMs, start);
      await this.store.putTask(task, ttlMs);
      const tasks = [...kept, { taskId: task.taskId, expiresAt: task.createdAt + ttlMs }];
      await this.store.putTaskList({ owner, tasks }, this.listTtl(tasks));
      return this.viewOf(task);
    });
  }

  /** The task of this owner, or null (unknown, expired, or another principal's). */
  async get(owner: string, taskId: string): Promise<TaskView | null> {
    const task = await this.store.getTask(taskId);
    if (!task || task.owner !== owner) return null;
    return this.viewOf(task);
  }

  /**
   * The task's result as the tool call would have answered: `followUp` waits on the run by its context id. A task
   * that failed before its run began throws its error.
   */
  async result(
    owner: string,
    taskId: string,
    followUp: (tool: ToolId) => Promise<EngineResult>,
  ): Promise<{ readonly tool: ToolId; readonly result: EngineResult }> {
    const task = await this.store.getTask(taskId);
    if (!task || task.owner !== owner) throw new BrutalistError('CONTEXT_NOT_FOUND');
    if (task.error) throw restoreRunError(task.error);
    return { tool: task.tool, result: await followUp(task.tool) };
  }

  /** Stops the task's run (its critics are killed); the task then reads cancelled. */
  async cancel(owner: string, taskId: string): Promise<CancelledResponse> {
    const task = await this.store.getTask(taskId);
    if (!task || task.owner !== owner) throw new BrutalistError('CONTEXT_NOT_FOUND');
    return this.runs.cancel(owner, taskId, task.tool);
  }

  /** This owner's tasks, oldest first, a page at a time; the cursor is the id of the last task of the page. */
  async list(owner: string, cursor?: string): Promise<{ tasks: TaskView[]; nextCursor?: string }> {
    const list = await this.store.getTaskList(owner);
    const live = (list?.tasks ?? []).filter((t) => t.expiresAt > this.clock.now());
    const from = cursor === undefined ? 0 : live.findIndex((t) => t.taskId === cursor) + 1;
    if (from === 0 && cursor !== undefined) {
      throw new BrutalistError('INVALID_CURSOR', 'The task list cursor is unknown or expired.');
    }
    const page = live.slice(from, from + this.config.taskListPageSize);
    const views = await Promise.all(page.map((t) => this.get(owner, t.taskId)));
    const tasks = views.filter((v): v is TaskView => v !== null);
    const last = page.at(-1);
    return from + page.length < live.length && last ? { tasks, nextCursor: last.taskId } : { tasks };
  }

  // ---- steps

  private async startRun(owner: string, tool: ToolId, ttlMs: number, start: StartRun): Promise<TaskRecord> {
    const base = { owner, tool, ttlMs, pollIntervalMs: this.config.taskPollIntervalMs };
    try {
      const started = await start();
      return { ...base, taskId: started.contextId, createdAt: this.clock.now() };
    } catch (err) {
      const error = toBrutalistError(err);
      return { ...base, taskId: newId(), createdAt: this.clock.now(), error: runError(error) };
    }
  }

  /** The list without expired tasks, with room for one more: drops the oldest finished task, else refuses. */
  private async makeRoom(owner: string, list: TaskList | null): Promise<TaskList['tasks']> {
    const live = (list?.tasks ?? []).filter((t) => t.expiresAt > this.clock.now());
    if (live.length < this.config.taskMaxPerPrincipal) return live;
    for (const [i, t] of live.entries()) {
      const view = await this.get(owner, t.taskId);
      if (view?.status !== 'working') return [...live.slice(0, i), ...live.slice(i + 1)];
    }
    throw new BrutalistError('TOO_MANY_TASKS', undefined, {
      data: { limit: this.config.taskMaxPerPrincipal },
    });
  }

  private async viewOf(task: TaskRecord): Promise<TaskView> {
    const base = {
      taskId: task.taskId,
      tool: task.tool,
      createdAt: task.createdAt,
      ttlMs: task.ttlMs,
      pollIntervalMs: task.pollIntervalMs,
    };
    if (task.error) return failed(base, task.createdAt, restoreRunError(task.error));
    const state = await this.runs.state(task.owner, task.taskId);
    if (state?.status === 'failed') return failed(base, state.updatedAt, state.error);
    if (state?.status === 'running') return { ...base, status: 'working', lastUpdatedAt: state.updatedAt };
    if (state?.status === 'cancelled')
      return { ...base, status: 'cancelled', lastUpdatedAt: state.updatedAt };
    // Done, or ended in the creating call itself (no record): the stored result says completed.
    const stored = await this.store.getResultPart(task.taskId, 0, 0);
    if (stored && stored.owner === task.owner) {
      return { ...base, status: 'completed', lastUpdatedAt: state?.updatedAt ?? stored.createdAt };
    }
    return failed(base, this.clock.now(), new BrutalistError('CONTEXT_NOT_FOUND'));
  }

  /** Runs `change` while holding this owner's list lock (one writer per list on the whole store). */
  private async withList<T>(owner: string, change: (list: TaskList | null) => Promise<T>): Promise<T> {
    const lease = await this.lock(owner);
    try {
      return await change(await this.store.getTaskList(owner));
    } finally {
      await this.store.releaseLock(lease).catch(() => false);
    }
  }

  private async lock(owner: string): Promise<LockLease> {
    const key = `tasks:${owner}`;
    const until = this.clock.now() + this.config.lockTtlMs;
    for (;;) {
      const lease = await this.store.acquireLock(key, this.config.lockTtlMs);
      if (lease) return lease;
      if (this.clock.now() >= until) {
        throw new BrutalistError('STATE_UNAVAILABLE', 'The task list is busy; retry.');
      }
      await sleep(this.clock, this.config.lockPollMs, new AbortController().signal);
    }
  }

  private boundTtl(requested: number | null | undefined): number {
    if (typeof requested !== 'number' || !Number.isFinite(requested)) return this.config.taskTtlMs;
    return Math.min(this.config.taskTtlMs, Math.max(MIN_TASK_TTL_MS, Math.floor(requested)));
  }

  /** The list lives as long as its longest-lived task. */
  private listTtl(tasks: TaskList['tasks']): number {
    const last = Math.max(...tasks.map((t) => t.expiresAt));
    return Math.max(1, last - this.clock.now());
  }
}

function failed(
  base: Omit<TaskView, 'status' | 'lastUpdatedAt'>,
  at: number,
  error: BrutalistError,
): TaskView {
  return {
    ...base,
    status: 'failed',
    lastUpdatedAt: at,
    statusMessage: `${error.code}: ${error.message}`,
    error,
  };
}
