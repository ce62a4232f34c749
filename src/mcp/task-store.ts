/**
 * The SDK's experimental TaskStore over the engine's tasks, bound to one principal: tasks/get, tasks/result,
 * tasks/list and tasks/cancel read and stop runs in our StateStore, so a task outlives its session and its process.
 */
import type {
  CreateTaskOptions,
  TaskStore,
} from '@modelcontextprotocol/sdk/experimental/tasks/interfaces.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Request, RequestId, Result, Task } from '@modelcontextprotocol/sdk/types.js';
import {
  ListTasksRequestSchema,
  McpError,
  ErrorCode as RpcErrorCode,
} from '@modelcontextprotocol/sdk/types.js';
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

  /**
   * Never null: an unknown task is our CONTEXT_NOT_FOUND as a JSON-RPC error with `data.code`, so tasks/get,
   * tasks/result and tasks/cancel answer it alike (the SDK rethrows an McpError as it is).
   */
  async getTask(taskId: string): Promise<Task> {
    return rpcErrors(async () => {
      const view = await this.engine.tasks.get(this.caller.owner, taskId);
      if (!view) {
        throw new BrutalistError(
          'CONTEXT_NOT_FOUND',
          "No such task for this caller (unknown, expired, or another principal's).",
        );
      }
      return toTask(view, await this.caller.scope());
    });
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
    await rpcErrors(async () => {
      if (status !== 'cancelled') {
        throw new BrutalistError('INVALID_ARGUMENT', `A task cannot be set to ${status}.`);
      }
      await this.engine.tasks.cancel(this.caller.owner, taskId);
    });
  }

  async listTasks(cursor?: string): Promise<{ tasks: Task[]; nextCursor?: string }> {
    return rpcErrors(async () => {
      const scope = await this.caller.scope();
      const page = await this.engine.tasks.list(this.caller.owner, cursor);
      return {
        tasks: page.tasks.map((view) => toTask(view, scope)),
        ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
      };
    });
  }
}

/**
 * tasks/list through our store with its errors kept: the SDK's own handler re-wraps every error (INVALID_CURSOR,
 * STATE_UNAVAILABLE) as a bare -32602 without `data.code`.
 */
export function serveTaskList(server: Server, store: PrincipalTaskStore): void {
  server.setRequestHandler(ListTasksRequestSchema, async (request) => ({
    ...(await store.listTasks(request.params?.cursor)),
    _meta: {},
  }));
}

/** Runs `work`, turning our errors into JSON-RPC errors that keep `data.code` (see taskRpcError). */
async function rpcErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof McpError) throw err;
    throw taskRpcError(err);
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
 * A tasks/* failure, or a task that could not be created (TOO_MANY_TASKS, the store down), as a JSON-RPC error: no
 * task result exists to carry it. The message is the error's safe text; `data.code` is our stable code, with the
 * error's own data (limit, field…) beside it.
 */
export function taskRpcError(err: unknown): McpError {
  const error = toBrutalistError(err);
  const invalid = error.code.startsWith('INVALID_') || error.code === 'CONTEXT_NOT_FOUND';
  const rpc = invalid ? RpcErrorCode.InvalidParams : RpcErrorCode.InternalError;
  return new McpError(rpc, error.message, { ...error.data, code: error.code, retryable: error.retryable });
}
