/**
 * The small pieces of the HTTP pipeline (handler.ts): rate-limit charges in flight, request targets and headers,
 * the tool calls and scopes of a body, and the headers of a refusal.
 */
import type { IncomingMessage } from 'node:http';
import { isJSONRPCRequest, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { BrutalistError, ERROR_CODES, toBrutalistError } from '../errors/index.js';
import { type AuthResult, challenge, scopeChallenge } from './auth.js';
import type { ExchangeRecord } from './hooks.js';
import { type Principal, TOOL_SCOPES } from './keys.js';

/** The path of a request target without its query, for the exempt-path check before the URL is parsed. */
export function pathOf(target: string | undefined): string {
  const query = target?.indexOf('?') ?? -1;
  return query < 0 ? (target ?? '/') : (target ?? '').slice(0, query);
}

export type Charge = Promise<BrutalistError | null> | null;

/** A charge that never rejects: a failing limiter (INTERNAL_ERROR) becomes the refusal. */
export function settled(charge: Promise<BrutalistError | null> | undefined): Charge {
  return charge ? charge.catch((err: unknown) => toBrutalistError(err)) : null;
}

export async function limitOf(charge: Charge): Promise<BrutalistError | null> {
  return charge ? await charge : null;
}

export async function throwIfLimited(charge: Charge): Promise<void> {
  const limited = await limitOf(charge);
  if (limited) throw limited;
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function unauthenticated(auth: AuthResult & { ok: false }): BrutalistError {
  return new BrutalistError('UNAUTHENTICATED', undefined, { data: { reason: auth.reason } });
}

export function sessionRequired(id: string | number | null): BrutalistError {
  return new BrutalistError('SESSION_REQUIRED', undefined, { data: { requestId: id } });
}

export function toolCalls(messages: readonly JSONRPCMessage[]): ExchangeRecord['calls'] {
  return messages.flatMap((m) => {
    if (!isJSONRPCRequest(m) || m.method !== 'tools/call') return [];
    const params = m.params as { name?: unknown; arguments?: unknown } | undefined;
    return [{ tool: String(params?.name ?? '').slice(0, 64), id: m.id, arguments: params?.arguments }];
  });
}

/** Every tool call in the request must be within the key's scopes; the first one outside names what is missing. */
export function checkScopes(principal: Principal, calls: ExchangeRecord['calls']): void {
  for (const call of calls) {
    const scope = TOOL_SCOPES[call.tool];
    if (scope !== undefined && !principal.scopes.has(scope)) {
      throw new BrutalistError('INSUFFICIENT_SCOPE', `The tool ${call.tool} needs the scope "${scope}".`, {
        data: { scope, tool: call.tool, requestId: call.id },
      });
    }
  }
}

/** WWW-Authenticate on 401/403-scope, Retry-After on 429 (from data.retryAfterMs). */
export function errorHeaders(
  error: BrutalistError,
  origin: string | undefined,
  challengeOf: ((error: BrutalistError) => string) | undefined,
): Record<string, string> {
  const headers: Record<string, string> = {};
  const status = ERROR_CODES[error.code].httpStatus;
  if (challengeOf && (status === 401 || error.code === 'INSUFFICIENT_SCOPE')) {
    headers['WWW-Authenticate'] = challengeOf(error);
  } else if (error.code === 'UNAUTHENTICATED') {
    const reason = error.data.reason;
    headers['WWW-Authenticate'] = challenge(
      reason === 'malformed' || reason === 'invalid' ? reason : 'missing',
    );
  } else if (error.code === 'INSUFFICIENT_SCOPE') {
    headers['WWW-Authenticate'] = scopeChallenge(String(error.data.scope));
  }
  const retryAfterMs = error.data.retryAfterMs;
  if (typeof retryAfterMs === 'number')
    headers['Retry-After'] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
  // Refused origins get no CORS headers (a browser then hides even the refusal); allowed ones keep theirs.
  if (error.code === 'ORIGIN_NOT_ALLOWED' || origin === undefined) headers.Vary = 'Origin';
  return headers;
}
