/**
 * Result formatting: engine responses and errors become MCP CallToolResults. The text the model should read is in
 * content[0].text and, first, in structuredContent.text (Claude Code and Codex hand the model only the JSON of
 * structuredContent; Gemini CLI and the Inspector show content).
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { CancelledResponse, EngineResult, PendingResponse, ToolResponse } from '../engine/index.js';
import { toBrutalistError } from '../errors/index.js';
import { sanitizeData, sanitizeText } from '../security/index.js';
import type { ToolResultContent } from './result-schema.js';
import { callUsage, criticUsage } from './usage-schema.js';

export interface SanitizeScope {
  readonly roots: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  /** The tool call's id (observability/request-context): sent as `data.requestId` so the log line can be found. */
  readonly requestId?: string | undefined;
}

/** Any answer of `roast` / `roast_cli_debate`: a page, "still running", or "cancelled". */
export function formatResult(
  tool: string,
  result: EngineResult,
  streamed: { droppedEvents: number } = { droppedEvents: 0 },
): CallToolResult {
  switch (result.status) {
    case 'done':
      return formatResponse(tool, result, streamed);
    case 'running':
      return formatPending(tool, result);
    case 'cancelled':
      return formatCancelled(tool, result);
  }
}

/** Not done within this call's wait: how long it has run, who is at work, and exactly the call that waits for it. */
export function formatPending(tool: string, pending: PendingResponse): CallToolResult {
  const seconds = Math.round(pending.elapsedMs / 1000);
  const who = pending.running.length > 0 ? `${pending.running.join(', ')} at work` : 'waiting for a critic';
  const wait = JSON.stringify({ context_id: pending.contextId });
  const cancel = JSON.stringify({ context_id: pending.contextId, cancel: true });
  const text = [
    `**The critique is still running** (${seconds} s so far; ${who}). It goes on on the server.`,
    `To get it, call \`${tool}\` with \`${wait}\`: that call waits up to ${Math.round(pending.waitMs / 1000)} s and returns the critique when it is done (or this note again; then call again).`,
    `To stop it: \`${tool}\` with \`${cancel}\`.`,
  ].join('\n');
  return result(text, {
    text,
    status: 'running',
    contextId: pending.contextId,
    tool: pending.tool,
    elapsedMs: pending.elapsedMs,
    running: pending.running,
  });
}

export function formatCancelled(tool: string, cancelled: CancelledResponse): CallToolResult {
  const text = `The critique ${cancelled.contextId} was cancelled; its critics were stopped and nothing was stored. Call \`${tool}\` with the original arguments to start a new one.`;
  return result(text, { text, status: 'cancelled', contextId: cancelled.contextId, tool: cancelled.tool });
}

/** A page of a critique: the text, a footer saying how to get more, and the metadata as structuredContent. */
export function formatResponse(
  tool: string,
  response: ToolResponse,
  streamed: { droppedEvents: number } = { droppedEvents: 0 },
): CallToolResult {
  const { page } = response;
  const end = page.offset + response.text.length;
  const footer: string[] = [];
  if (page.nextOffset !== null) {
    footer.push(
      `**Page: characters ${page.offset}–${end} of ${page.totalChars} (~${page.estimatedTotalTokens} tokens in all).**`,
      `Next page: call \`${tool}\` with \`{"cursor": "${page.nextCursor}"}\` or \`{"context_id": "${response.contextId}", "offset": ${page.nextOffset}}\`.`,
    );
  } else if (page.offset > 0) {
    footer.push(`**Last page: characters ${page.offset}–${end} of ${page.totalChars}.**`);
  }
  if (response.meta.cached) {
    footer.push(
      `_Served from cache (${Math.round((response.meta.cacheAgeMs ?? 0) / 1000)} s old); pass \`force_refresh: true\` for a fresh run._`,
    );
  }
  for (const skipped of response.meta.skipped) footer.push(`_Skipped ${skipped.critic}: ${skipped.code}._`);
  for (const note of response.meta.notes) footer.push(`_${note}_`);
  if (tool === 'roast' && page.offset === 0) {
    footer.push(
      `_context_id: ${response.contextId} (pass it with \`resume: true\` and a follow-up in \`context\` to continue)._`,
    );
  }
  const text = footer.length > 0 ? `${response.text}\n\n---\n${footer.join('\n')}` : response.text;
  const structured: ToolResultContent = {
    text,
    status: 'done',
    contextId: response.contextId,
    page: { ...response.page },
    ...response.meta,
    // Copied: interfaces (TokenUsage, the counts) are not widened by TypeScript to the schema's open records.
    critics: response.meta.critics.map((c) => ({ ...c, usage: criticUsage(c.usage) })),
    // A cached critique ran nothing for this call: its totals count no run (critics[] keep what they reported).
    usage: callUsage(response.meta.cached ? [] : response.meta.critics),
    sanitized: { ...response.meta.sanitized },
    redactedInput: { ...response.meta.redactedInput },
    droppedEvents: streamed.droppedEvents,
  };
  return result(text, structured);
}

/** One text, shown in both places. */
function result(text: string, structured: ToolResultContent, isError = false): CallToolResult {
  return {
    ...(isError ? { isError: true } : {}),
    content: [{ type: 'text', text }],
    structuredContent: structured as Record<string, unknown>,
  };
}

/**
 * Any error as a tool result: isError, a stable code, and only sanitized text and data. The text ends with the
 * cause (`data.exitClass` and `data.detail`, when the error has them) and the request id, since some clients show
 * the model nothing else.
 */
export function formatError(err: unknown, scope: SanitizeScope): CallToolResult {
  const error = toBrutalistError(err);
  const options = { roots: scope.roots, env: scope.env };
  const message = sanitizeText(error.message, options);
  const data = sanitizeData(
    { ...error.data, ...(scope.requestId ? { requestId: scope.requestId } : {}) },
    options,
  ) as Record<string, unknown>;
  const hint = error.retryable ? ' (retryable)' : '';
  const lines = [`Error ${error.code}${hint}: ${message}`];
  const cause = causeLine(data);
  if (cause) lines.push(`Cause: ${cause}`);
  if (typeof data.requestId === 'string') lines.push(`Request id: ${data.requestId}`);
  const text = lines.join('\n');
  return result(
    text,
    { text, status: 'error', error: { code: error.code, message, retryable: error.retryable, data } },
    true,
  );
}

/**
 * `exit:1: <detail>`, or either part alone; undefined when the error says nothing beyond its code. `data` must be
 * sanitized already. The terminal commands print it too, as `Cause: ...` under the error line.
 */
export function causeLine(data: Record<string, unknown>): string | undefined {
  const exitClass = typeof data.exitClass === 'string' ? data.exitClass : undefined;
  const detail = typeof data.detail === 'string' && data.detail.length > 0 ? data.detail : undefined;
  if (detail) return exitClass ? `${exitClass}: ${detail}` : detail;
  return exitClass && exitClass !== 'unavailable' ? exitClass : undefined;
}
