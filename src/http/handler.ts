/**
 * The request pipeline of `serve --http`, one visible order: IP rate limit (not health) → Host → Origin → route →
 * token not in the URL → authenticate (failures charged to the IP) → principal rate limit → body (size, depth,
 * JSON-RPC) → scope → the principal's own session → audit.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  isInitializeRequest,
  isJSONRPCRequest,
  type JSONRPCMessage,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '@modelcontextprotocol/sdk/types.js';
import { BrutalistError, ERROR_CODES, type ErrorCode, toBrutalistError } from '../errors/index.js';
import { type Authenticator, type AuthResult, challenge, scopeChallenge } from './auth.js';
import { parseMessages, readBody, requestIdOf } from './body.js';
import { ToolCallAudit } from './call-audit.js';
import { auditEntries, type ExchangeRecord, type HttpHooks } from './hooks.js';
import { type Principal, TOOL_SCOPES } from './keys.js';
import type { OpsRoutes } from './ops-routes.js';
import type { OriginPolicy } from './origin.js';
import { isRateLimitExempt } from './rate-limit.js';
import { replyError, replyJson } from './reply.js';
import type { Session, SessionRegistry, SessionResources } from './sessions.js';

export interface HttpLimits {
  readonly maxBodyBytes: number;
  readonly maxJsonDepth: number;
  readonly sseKeepAliveMs: number;
}

export interface McpSessionResources extends SessionResources {
  readonly transport: StreamableHTTPServerTransport;
  /** The session's admitted tool calls waiting for their answer's audit line. */
  readonly calls: ToolCallAudit;
}

export interface HandlerOptions {
  readonly limits: HttpLimits;
  readonly origins: OriginPolicy;
  readonly auth: Authenticator;
  readonly sessions: SessionRegistry<McpSessionResources>;
  /** A new MCP server for one session of `principal` (its results belong to principal.name). */
  readonly createServer: (principal: Principal) => Server;
  /** RFC 9728 protected-resource metadata (JWT mode): served unauthenticated at `paths`. */
  readonly metadata?: { readonly paths: readonly string[]; readonly document: Record<string, unknown> };
  /** The WWW-Authenticate value of a 401 or scope 403 (default: the API-key challenge of auth.ts). */
  readonly challenge?: (error: BrutalistError) => string;
  /** Readiness for /readyz when `ops` is not given. */
  readonly ready?: () => Promise<boolean>;
  /** The operator endpoints (health, /metrics, /dashboard: ops-routes.ts). */
  readonly ops?: OpsRoutes;
  /** Counts MCP requests in flight and refuses new ones while draining (transport/drain.ts). */
  readonly drain?: { enter(res: ServerResponse): void };
  readonly hooks?: HttpHooks;
}

const TOKENISH_QUERY = /token|key|auth|bearer|secret|password/i;

/** What one request has established so far, for its audit line. */
interface Exchange {
  readonly ip: string;
  readonly method: string;
  readonly path: string;
  principal: Principal | null;
  sessionId: string | null;
  calls: ExchangeRecord['calls'];
  code: ErrorCode | null;
  /** The tool calls were handed to a session, whose ToolCallAudit writes their lines. */
  admitted: boolean;
}

export class McpHttpHandler {
  constructor(private readonly options: HandlerOptions) {}

  /** Handles one request; never throws (every failure is an answer). */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A target that does not parse (`//[`) is routed nowhere: 404, never a throw.
    const url = URL.parse(req.url ?? '/', 'http://localhost') ?? new URL('http://localhost/?');
    const x: Exchange = {
      ip: req.socket.remoteAddress ?? '',
      method: req.method ?? '',
      path: url.pathname,
      principal: null,
      sessionId: null,
      calls: [],
      code: null,
      admitted: false,
    };
    const origin = req.headers.origin;
    const hooks = this.options.hooks;
    try {
      if (!isRateLimitExempt(x.path)) {
        const limited = await hooks?.rateLimit?.({ ip: x.ip });
        if (limited) throw limited;
      }
      const { origins } = this.options;
      if (!origins.hostAllowed(req.headers.host)) throw new BrutalistError('HOST_NOT_ALLOWED');
      const ownOrigin = this.options.ops?.allowsOrigin(x.path, origin, req.headers.host) ?? false;
      if (!origins.originAllowed(origin) && !ownOrigin) throw new BrutalistError('ORIGIN_NOT_ALLOWED');
      for (const [name, value] of Object.entries(origins.corsHeaders(origin))) res.setHeader(name, value);
      if (this.options.ops?.owns(x.path)) return await this.options.ops.handle(req, res, x.path);
      if (x.path === '/healthz' || x.path === '/readyz') return await this.health(req, res, x.path);
      if (this.options.metadata?.paths.includes(x.path)) return this.metadata(req, res);
      if (x.path !== '/mcp') throw new BrutalistError('NOT_FOUND');
      if (req.method === 'POST') this.options.drain?.enter(res);
      if (req.method === 'OPTIONS') {
        res.writeHead(
          204,
          origin ? origins.preflightHeaders(origin) : { Allow: 'GET, POST, DELETE, OPTIONS' },
        );
        res.end();
        return;
      }
      if ([...url.searchParams.keys()].some((k) => TOKENISH_QUERY.test(k))) {
        throw new BrutalistError('TOKEN_IN_QUERY');
      }
      const auth = await this.options.auth.authenticate(req.headers.authorization);
      if (!auth.ok) {
        const refusal = auth.error ?? unauthenticated(auth);
        // Only the client's failures (401) cost its IP: an unreachable JWKS (503) is ours.
        if (ERROR_CODES[refusal.code].httpStatus !== 401) throw refusal;
        throw (await hooks?.authFailed?.(x.ip)) ?? refusal;
      }
      x.principal = auth.principal;
      const limited = await hooks?.rateLimit?.({ principal: auth.principal.name });
      if (limited) throw limited;
      await this.mcp(req, res, auth.principal, x);
    } catch (err) {
      const error = toBrutalistError(err);
      x.code = error.code;
      const id = error.data.requestId;
      replyError(res, error, {
        id: typeof id === 'string' || typeof id === 'number' ? id : null,
        headers: errorHeaders(error, origin, this.options.challenge),
      });
    } finally {
      this.record(res, x);
    }
  }

  private async mcp(req: IncomingMessage, res: ServerResponse, principal: Principal, x: Exchange) {
    const sessionId = header(req, 'mcp-session-id');
    x.sessionId = sessionId ?? null;
    // Checked before anything else reads the body: a client probing a newer revision (Claude Code 2.1.332 sends
    // `server/discover` with 2026-07-28) learns at once which ones we speak and falls back to initialize.
    const version = header(req, 'mcp-protocol-version');
    if (version !== undefined && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
      req.resume();
      throw new BrutalistError(
        'PROTOCOL_VERSION_UNSUPPORTED',
        `Unsupported MCP-Protocol-Version ${JSON.stringify(version.slice(0, 32))}; supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')}.`,
        { data: { supported: [...SUPPORTED_PROTOCOL_VERSIONS] } },
      );
    }
    if (req.method === 'POST') {
      if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
        throw new BrutalistError('UNSUPPORTED_MEDIA_TYPE');
      }
      const { value, messages } = parseMessages(
        await readBody(req, this.options.limits.maxBodyBytes),
        this.options.limits.maxJsonDepth,
      );
      x.calls = toolCalls(messages);
      checkScopes(principal, x.calls);
      if (sessionId === undefined) {
        if (!messages.some(isInitializeRequest)) throw sessionRequired(requestIdOf(messages[0]));
        return this.open(req, res, principal, value, x);
      }
      return this.inSession(req, res, this.session(sessionId, principal), value, x);
    }
    if (req.method === 'GET' || req.method === 'DELETE') {
      if (sessionId === undefined) throw sessionRequired(null);
      return this.inSession(req, res, this.session(sessionId, principal), undefined, x);
    }
    throw new BrutalistError('METHOD_NOT_ALLOWED');
  }

  private session(id: string, principal: Principal): Session<McpSessionResources> {
    const session = this.options.sessions.get(id, principal.name);
    if (!session) throw new BrutalistError('SESSION_NOT_FOUND');
    return session;
  }

  private async inSession(
    req: IncomingMessage,
    res: ServerResponse,
    session: Session<McpSessionResources>,
    body: unknown,
    x: Exchange,
  ): Promise<void> {
    const leave = this.options.sessions.enter(session);
    res.once('close', leave);
    const { calls } = session.resources;
    const admitted = auditEntries(this.exchangeRecord(res, x)).map((e) => ({ ...e, status: 200 }));
    calls.admit(admitted);
    x.admitted = true;
    const ids = admitted.map((e) => e.requestId ?? '');
    try {
      await session.resources.transport.handleRequest(req, res, body);
    } catch (err) {
      calls.forget(ids); // the pipeline's catch writes the refusal
      throw err;
    } finally {
      if (res.writableEnded) leave();
    }
    // The SDK transport refused the request itself (406, 415, 400...): its calls never ran.
    if (res.statusCode >= 400) calls.refused(ids, res.statusCode);
  }

  /** A new session for an initialize request: its own transport and server, bound to the principal. */
  private async open(
    req: IncomingMessage,
    res: ServerResponse,
    principal: Principal,
    body: unknown,
    x: Exchange,
  ): Promise<void> {
    const { sessions, limits } = this.options;
    const reservation = sessions.reserve(principal.name);
    const server = this.options.createServer(principal);
    let closed: Promise<void> | undefined;
    const calls = new ToolCallAudit((entry) => this.options.hooks?.audit?.(entry));
    const resources: McpSessionResources = {
      calls,
      transport: new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomBytes(32).toString('base64url'),
        keepAliveMs: limits.sseKeepAliveMs,
        onsessioninitialized: (id) => {
          x.sessionId = id;
          sessions.add(id, principal.name, resources, reservation);
        },
      }),
      close: () => {
        closed ??= server.close().then(
          () => calls.close(),
          () => calls.close(),
        );
        return closed;
      },
    };
    // Every answer the session's server sends passes here, so each admitted call gets its outcome line.
    const send = resources.transport.send.bind(resources.transport);
    resources.transport.send = (message, options) => {
      calls.observe(message);
      return send(message, options);
    };
    resources.transport.onclose = () => {
      const id = resources.transport.sessionId;
      if (id) void sessions.end(id);
    };
    try {
      await server.connect(resources.transport);
      await resources.transport.handleRequest(req, res, body);
    } finally {
      if (resources.transport.sessionId === undefined) {
        reservation.release();
        await resources.close();
      }
    }
  }

  private metadata(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new BrutalistError('METHOD_NOT_ALLOWED');
    replyJson(res, 200, this.options.metadata?.document ?? {});
  }

  private async health(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new BrutalistError('METHOD_NOT_ALLOWED');
    if (path === '/healthz') return replyJson(res, 200, { status: 'ok' });
    const ready = (await this.options.ready?.().catch(() => false)) ?? true;
    replyJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready' });
  }

  private record(res: ServerResponse, x: Exchange): void {
    const hooks = this.options.hooks;
    if (!hooks?.audit || x.path === '/healthz' || x.path === '/readyz') return;
    // Admitted calls are written by their session once answered; a refusal is written now.
    if (x.admitted && x.code === null) return;
    for (const entry of auditEntries(this.exchangeRecord(res, x))) hooks.audit(entry);
  }

  private exchangeRecord(res: ServerResponse, x: Exchange): ExchangeRecord {
    return {
      ip: x.ip,
      principal: x.principal?.name,
      session: x.sessionId ?? undefined,
      code: x.code,
      status: res.statusCode,
      calls: x.calls,
    };
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function unauthenticated(auth: AuthResult & { ok: false }): BrutalistError {
  return new BrutalistError('UNAUTHENTICATED', undefined, { data: { reason: auth.reason } });
}

function sessionRequired(id: string | number | null): BrutalistError {
  return new BrutalistError('SESSION_REQUIRED', undefined, { data: { requestId: id } });
}

function toolCalls(messages: readonly JSONRPCMessage[]): ExchangeRecord['calls'] {
  return messages.flatMap((m) => {
    if (!isJSONRPCRequest(m) || m.method !== 'tools/call') return [];
    const params = m.params as { name?: unknown; arguments?: unknown } | undefined;
    return [{ tool: String(params?.name ?? '').slice(0, 64), id: m.id, arguments: params?.arguments }];
  });
}

/** Every tool call in the request must be within the key's scopes; the first one outside names what is missing. */
function checkScopes(principal: Principal, calls: ExchangeRecord['calls']): void {
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
function errorHeaders(
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
