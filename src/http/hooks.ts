/**
 * Where the rate limiter and the audit log plug into the HTTP pipeline, typed structurally so the limiter and log
 * modules (rate-limit.ts, audit.ts) can be passed in as they are; and the audit entries one request yields.
 */
import type { BrutalistError, ErrorCode } from '../errors/index.js';
import type { AuditEntry as HttpAuditEntry, AuditEvent as HttpAuditEvent } from './audit.js';

/** One audit line as the pipeline knows it (the log adds the time and hashes `target`): audit.ts's entry. */
export type { AuditEntry as HttpAuditEntry, AuditEvent as HttpAuditEvent } from './audit.js';

export interface HttpHooks {
  /**
   * Charges one request: `{ip}` first thing for every path but /healthz and /readyz, then `{principal}` once the
   * request is authenticated. A refusal (TOO_MANY_REQUESTS with data.retryAfterMs) is answered 429 with
   * Retry-After, null lets the request through.
   */
  rateLimit?(subject: { readonly principal?: string; readonly ip?: string }): Promise<BrutalistError | null>;
  /**
   * Milliseconds until `ip`'s budget returns when this process already knows it is spent, else 0: such a request
   * is refused 429 from prepared bytes before anything else (no await, no body, `Connection: close`).
   */
  spentIpMs?(ip: string): number;
  /** After a failed authentication (the IP bucket counts failures); a refusal answers 429 instead of 401. */
  authFailed?(ip: string): Promise<BrutalistError | null>;
  /** Every security decision and every admitted tool call; never throws, never waits. */
  audit?(entry: HttpAuditEntry): void;
}

/** What one request established, from which its audit entries are made. */
export interface ExchangeRecord {
  readonly ip: string;
  readonly principal: string | undefined;
  readonly session: string | undefined;
  readonly code: ErrorCode | null;
  readonly status: number;
  readonly calls: readonly { tool: string; id: string | number; arguments: unknown }[];
}

const EVENT_OF: Partial<Record<ErrorCode, HttpAuditEvent>> = {
  HOST_NOT_ALLOWED: 'host',
  ORIGIN_NOT_ALLOWED: 'origin',
  UNAUTHENTICATED: 'auth',
  TOKEN_IN_QUERY: 'auth',
  TOKEN_INVALID: 'auth',
  TOKEN_EXPIRED: 'auth',
  JWKS_UNAVAILABLE: 'auth',
  TOO_MANY_REQUESTS: 'rate_limit',
  TOO_MANY_CONNECTIONS: 'connection',
  INSUFFICIENT_SCOPE: 'scope',
  SESSION_NOT_FOUND: 'session',
  SESSION_REQUIRED: 'session',
  EVENT_ID_UNKNOWN: 'session',
  TOO_MANY_SESSIONS: 'session',
  PROTOCOL_VERSION_UNSUPPORTED: 'session',
  INPUT_TOO_LARGE: 'request_limit',
  JSON_INVALID: 'request_limit',
  JSON_TOO_DEEP: 'request_limit',
  JSONRPC_INVALID: 'request_limit',
  UNSUPPORTED_MEDIA_TYPE: 'request_limit',
};

/**
 * A refusal is one `deny` line; an admitted request is one `allow` entry per tool call it carries (none else),
 * which the session's ToolCallAudit turns into its outcome line.
 */
export function auditEntries(x: ExchangeRecord): HttpAuditEntry[] {
  const common = {
    ip: x.ip,
    status: x.status,
    ...(x.principal === undefined ? {} : { principal: x.principal }),
    ...(x.session === undefined ? {} : { session: x.session }),
  };
  if (x.code !== null) {
    const event = EVENT_OF[x.code] ?? (x.status === 429 ? 'rate_limit' : 'request_limit');
    const call = x.calls[0];
    return [
      {
        ...common,
        event,
        decision: 'deny',
        code: x.code,
        ...(call ? { tool: call.tool, requestId: String(call.id) } : {}),
      },
    ];
  }
  return x.calls.map((call) => ({
    ...common,
    event: 'tool_call',
    decision: 'allow',
    tool: call.tool,
    requestId: String(call.id),
    ...argumentsOf(call.arguments),
  }));
}

/** The critics and target a tool call names (the arguments themselves never reach the log). */
function argumentsOf(args: unknown): { critics?: string[]; target?: string } {
  if (typeof args !== 'object' || args === null) return {};
  const a = args as { clis?: unknown; agents?: unknown; target?: unknown };
  const list = Array.isArray(a.clis) ? a.clis : Array.isArray(a.agents) ? a.agents : [];
  const critics = list.filter((c): c is string => typeof c === 'string').map((c) => c.slice(0, 32));
  return {
    ...(critics.length > 0 ? { critics: critics.slice(0, 16) } : {}),
    ...(typeof a.target === 'string' ? { target: a.target } : {}),
  };
}
