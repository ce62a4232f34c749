/** HTTP answers the service writes itself: JSON-RPC error bodies with the stable code, and small JSON documents. */
import type { ServerResponse } from 'node:http';
import { type BrutalistError, ERROR_CODES } from '../errors/index.js';

/** JSON-RPC error codes: the spec's parse and invalid-request errors, the SDK's "session not found", else -32000. */
export function jsonRpcCodeOf(error: BrutalistError): number {
  switch (error.code) {
    case 'JSON_INVALID':
      return -32700;
    case 'JSONRPC_INVALID':
    case 'JSON_TOO_DEEP':
      return -32600;
    case 'SESSION_NOT_FOUND':
      return -32001;
    default:
      return -32000;
  }
}

/** Writes `error` as a JSON-RPC error response with its HTTP status (unless the response already started). */
export function replyError(
  res: ServerResponse,
  error: BrutalistError,
  options: { id?: string | number | null; headers?: Record<string, string> } = {},
): void {
  const status = ERROR_CODES[error.code].httpStatus;
  const body = {
    jsonrpc: '2.0',
    id: options.id ?? null,
    error: {
      code: jsonRpcCodeOf(error),
      message: error.message,
      data: { code: error.code, retryable: error.retryable, ...error.data },
    },
  };
  replyJson(res, status, body, options.headers);
}

export function replyJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}
