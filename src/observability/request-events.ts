/**
 * The start and end of every tool call as diagnostics events (published by mcp/, read by metrics and the SLO
 * engine), and the one classification of a call's outcome both of them use.
 */
import { performance } from 'node:perf_hooks';
import { ERROR_CODES, type ErrorCode } from '../errors/index.js';
import { diagnosticsChannel, traceStep } from '../infra/index.js';
import { currentRequest } from './request-context.js';

/**
 * How a tool call ended. `ok` and `pending` (answered "running", the critique continues) are good; `cancelled`
 * and `client_error` (bad input, paths, auth) are the caller's and count against no SLO; `unavailable` (refused:
 * queue full, overloaded, circuit open, deadline, store down) and `error` (the critique failed) are ours.
 */
export const REQUEST_OUTCOMES = [
  'ok',
  'pending',
  'cancelled',
  'client_error',
  'unavailable',
  'error',
] as const;
export type RequestOutcome = (typeof REQUEST_OUTCOMES)[number];

/** Codes that mean the service refused or could not take the work at all (the availability SLI). */
const UNAVAILABLE_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'QUEUE_FULL',
  'OVERLOADED',
  'CIRCUIT_OPEN',
  'SHUTTING_DOWN',
  'STATE_UNAVAILABLE',
  'NO_CRITIC_AVAILABLE',
  'DEADLINE_EXCEEDED',
  'INTERNAL_ERROR',
]);

/** The outcome an error code stands for: by its class, 4xx (not 429, 499) being the caller's. */
export function outcomeOfCode(code: ErrorCode): RequestOutcome {
  if (code === 'CANCELLED') return 'cancelled';
  if (UNAVAILABLE_CODES.has(code)) return 'unavailable';
  const status = ERROR_CODES[code].httpStatus;
  return status >= 400 && status < 500 && status !== 429 ? 'client_error' : 'error';
}

export interface RequestStartEvent {
  readonly requestId: string;
  readonly tool: string;
  readonly principal: string;
}

export interface RequestEndEvent {
  readonly requestId: string;
  readonly tool: string;
  readonly principal: string;
  readonly outcome: RequestOutcome;
  /** The error code when the call failed (a registry code). */
  readonly code: ErrorCode | undefined;
  /** The critique domain asked for, when the call named one (free text: label it only from a closed set). */
  readonly domain: string | undefined;
  /** Monotonic milliseconds from the start event to the end event. */
  readonly durationMs: number;
}

export const requestStartChannel = diagnosticsChannel<RequestStartEvent>('brutalist:request:start');
export const requestEndChannel = diagnosticsChannel<RequestEndEvent>('brutalist:request:end');

/** What a tool result says about how the call went (MCP's CallToolResult, read loosely). */
export interface ToolResultShape {
  readonly isError?: boolean;
  readonly structuredContent?: { readonly [key: string]: unknown };
}

/** The outcome and code a formatted tool result carries (`status` and `error.code` in its structured content). */
export function outcomeOfResult(result: ToolResultShape): { outcome: RequestOutcome; code?: ErrorCode } {
  const content = result.structuredContent;
  const status = content?.status;
  if (status === 'running') return { outcome: 'pending' };
  if (status === 'cancelled') return { outcome: 'cancelled' };
  if (!result.isError) return { outcome: 'ok' };
  const error = content?.error;
  const raw = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  const code: ErrorCode =
    typeof raw === 'string' && Object.hasOwn(ERROR_CODES, raw) ? (raw as ErrorCode) : 'INTERNAL_ERROR';
  return { outcome: outcomeOfCode(code), code };
}

/**
 * Runs one tool call (inside its request context) as the `request` trace step, between a start and an end event.
 * Costs three `hasSubscribers` reads when nothing listens. A call that throws ends as `error` with INTERNAL_ERROR
 * and the error is rethrown.
 */
export function observeToolCall<T extends ToolResultShape>(
  call: { readonly principal: string; readonly domain?: unknown },
  fn: () => Promise<T>,
): Promise<T> {
  return traceStep('request', { tool: currentRequest()?.tool ?? '' }, () => publishToolCall(call, fn));
}

async function publishToolCall<T extends ToolResultShape>(
  call: { readonly principal: string; readonly domain?: unknown },
  fn: () => Promise<T>,
): Promise<T> {
  if (!requestStartChannel.hasSubscribers && !requestEndChannel.hasSubscribers) return fn();
  const request = currentRequest();
  const requestId = request?.requestId ?? '';
  const tool = request?.tool ?? '';
  const { principal } = call;
  const domain = typeof call.domain === 'string' ? call.domain : undefined;
  const started = performance.now();
  if (requestStartChannel.hasSubscribers) requestStartChannel.publish({ requestId, tool, principal });
  const end = (outcome: RequestOutcome, code: ErrorCode | undefined) => {
    if (!requestEndChannel.hasSubscribers) return;
    const durationMs = performance.now() - started;
    requestEndChannel.publish({ requestId, tool, principal, outcome, code, domain, durationMs });
  };
  try {
    const result = await fn();
    const { outcome, code } = outcomeOfResult(result);
    end(outcome, code);
    return result;
  } catch (err) {
    end('error', 'INTERNAL_ERROR');
    throw err;
  }
}
