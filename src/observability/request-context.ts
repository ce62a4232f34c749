/** The request a piece of work belongs to: an id per tool call, carried by AsyncLocalStorage across awaits. */
import { AsyncLocalStorage } from 'node:async_hooks';
import { newId } from '../infra/index.js';

export interface RequestInfo {
  /** Unique per tool call; returned to the client in error data and stamped on every log line of the call. */
  readonly requestId: string;
  readonly tool: string;
}

const storage = new AsyncLocalStorage<RequestInfo>();

/** Runs `fn` as part of a new request for `tool`; everything it starts (promises, timers, events) sees it. */
export function runInRequest<T>(tool: string, fn: (request: RequestInfo) => T, requestId = newId()): T {
  const request: RequestInfo = { requestId, tool };
  return storage.run(request, fn, request);
}

/** The request the caller runs in, or undefined outside any tool call (startup, sweeps). */
export function currentRequest(): RequestInfo | undefined {
  return storage.getStore();
}
