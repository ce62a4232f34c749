/**
 * The SDK's experimental TaskStore over the engine's tasks, bound to one principal: tasks/get, tasks/result,
 * tasks/list and tasks/cancel read and stop runs in our StateStore, so a task outlives its session and its process.
 */
import type {
  CreateTaskOptions,
  TaskStore,
} from '@modelcontextprotocol/sdk/experimental/tasks/interfaces.js';
import type { Request, RequestId, Result, Task } from '@modelcontextprotocol/sdk/types.js';
import { McpError, ErrorCode as RpcErrorCode } from '@modelcontextprotocol/sdk/types.js';
import type { Engine, RequestContext, TaskView } from '../engine/index.js';
import { BrutalistError, toBrutalistError } from '../errors/index.js';
import { sanitizeText } from '../security/index.js';
import { formatError, formatResult, type SanitizeScope } from './format.js';

/** What a task operation runs with: who asks, and the roots and env its text is scrubbed of. */
export interface TaskCaller {
  readonly owner: string;
  readonly scope: () => Promise<SanitizeScope>;
}

/** The session id the SDK passes is ignored: a task belongs to its principal, across sessions and restarts. */
export class PrincipalTaskStore implements TaskStore {
  constructor(
    private readonly engine: Engine,
    private readonly caller: TaskCaller,
  ) {}

  /** Not used: task-augmented tools/call creates its task through the engine (createMcpServer). */
  async createTask(_params: CreateTaskOptions, _id: RequestId, _request: Request): Promise<Task> {
    throw new BrutalistError('INTERNAL_ERROR', 'Tasks are created by tools/call.');
  }

  async getTask(taskId: string): Promise<Task | null> {
    const view = await this.engine.tasks.get(this.caller.owner, taskId);
    return view && toTask(view, await this.caller.scope());
  }

  /** Not used: a task's outcome is its run's, written by the run itself. */
  async storeTaskResult(): Promise<void> {
    throw new BrutalistError('INTERNAL_ERROR', 'Task results are stored by their runs.');
  }

  /** The result its tools/call would have answered (the SDK asks once the task is terminal). */
  async getTaskResult(taskId: string): Promise<Result> {
    const scope = await this.caller.scope();
    const ctx: RequestContext = {
      owner: this.caller.owner,
      roots: scope.roots,
      signal: new AbortController().signal,
    };
    try {
      const { tool, result } = await this.engine.taskResult(taskId, ctx);
      return formatResult(tool, result);
    } catch (err) {
      return formatError(err, scope);
    }
  }

  /** Only a cancel comes here (from tasks/cancel): it stops the run and kills its critics. */
  async updateTaskStatus(taskId: string, status: Task['status']): Promise<void> {
    if (status !== 'cancelled') {
      throw new BrutalistError('INVALID_ARGUMENT', `A task cannot be set to ${status}.`);
    }
    await this.engine.tasks.cancel(this.caller.owner, taskId);
  }

  async listTasks(cursor?: string): Promise<{ tasks: Task[]; nextCursor?: string }> {
    const scope = await this.caller.scope();
    const page = await this.engine.tasks.list(this.caller.owner, cursor);
    return {
      tasks: page.tasks.map((view) => toTask(view, scope)),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  }
}

/** A task as the protocol shows it; a failure's message is scrubbed like any error text. */
export function toTask(view: TaskView, scope: SanitizeScope): Task {
  return {
    taskId: view.taskId,
    status: view.status,
    ttl: view.ttlMs,
    createdAt: new Date(view.createdAt).toISOString(),
    lastUpdatedAt: new Date(view.lastUpdatedAt).toISOString(),
    pollInterval: view.pollIntervalMs,
    ...(view.statusMessage
      ? { statusMessage: sanitizeText(view.statusMessage, { roots: scope.roots, env: scope.env }) }
      : {}),
  };
}

/**
 * A task that could not be created (TOO_MANY_TASKS, the store down) as a JSON-RPC error: no task exists to carry
 * it. The message is the error's safe text; `data.code` is our stable code.
 */
export function taskCreationError(err: unknown): McpError {
  const error = toBrutalistError(err);
  const rpc = error.code.startsWith('INVALID_') ? RpcErrorCode.InvalidParams : RpcErrorCode.InternalError;
  return new McpError(rpc, error.message, { code: error.code, retryable: error.retryable });
}
