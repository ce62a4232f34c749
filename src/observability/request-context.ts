/**
 * The request a piece of work belongs to: one per tool call, carried by AsyncLocalStorage across awaits. Its id is
 * the call's W3C trace id (continued from an incoming `traceparent`, else new), so logs, errors, spans and the
 * critic's TRACEPARENT all name the same id.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { newSpanId, newTraceId, parseTraceparent, runInTrace, type TraceContext } from '../infra/index.js';

export interface RequestInfo {
  /** The trace id (32 hex digits); returned to the client in error data and stamped on every log line of the call. */
  readonly requestId: string;
  readonly tool: string;
  /** The caller's span, when the call came with a valid `traceparent`: the request span's remote parent. */
  readonly parent: TraceContext | undefined;
}

const storage = new AsyncLocalStorage<RequestInfo>();

/**
 * Runs `fn` as part of a new request for `tool`; everything it starts (promises, timers, events) sees it and its
 * trace context. `traceparent`: the caller's W3C header value (HTTP header or MCP `_meta.traceparent`); one that is
 * missing or malformed starts a new trace.
 */
export function runInRequest<T>(tool: string, fn: (request: RequestInfo) => T, traceparent?: unknown): T {
  const parent = parseTraceparent(traceparent);
  // Without a caller's span, the request's own context gets a fresh span id: what a critic sees as its parent
  // when tracing is off (tracing replaces it with the request span).
  const trace = parent ?? { traceId: newTraceId(), spanId: newSpanId(), sampled: false };
  const request: RequestInfo = { requestId: trace.traceId, tool, parent };
  return storage.run(request, () => runInTrace(trace, () => fn(request)));
}

/** The request the caller runs in, or undefined outside any tool call (startup, sweeps). */
export function currentRequest(): RequestInfo | undefined {
  return storage.getStore();
}
