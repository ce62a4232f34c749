/**
 * The request pipeline of `serve --http`, one visible order: an address known over its budget is refused from
 * prepared bytes → IP charge sent (not health) → Host → Origin → route → token not in the URL → authenticate
 * (failures charged to the IP) → IP and principal charges awaited together → body (size, depth, JSON-RPC) → scope →
 * the principal's own session → audit.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import { BrutalistError, ERROR_CODES, type ErrorCode, toBrutalistError } from '../errors/index.js';
import type { Authenticator } from './auth.js';
import { parseMessages, readBody, requestIdOf } from './body.js';
import { ToolCallAudit } from './call-audit.js';
import { BoundedEventStore } from './event-store.js';
import { auditEntries, type ExchangeRecord, type HttpHooks } from './hooks.js';
import type { Principal } from './keys.js';
import type { OpsRoutes } from './ops-routes.js';
import type { OriginPolicy } from './origin.js';
import {
  checkScopes,
  errorHeaders,
  header,
  limitOf,
  pathOf,
  sessionRequired,
  settled,
  throwIfLimited,
  toolCalls,
  unauthenticated,
} from './pipeline-parts.js';
import { isRateLimitExempt } from './rate-limit.js';
import { RefusalTally, refuseSpentIp } from './refusals.js';
import { replyError, replyJson } from './reply.js';
import type { Session, SessionRegistry, SessionResources } from './sessions.js';

export interface HttpLimits {
  readonly maxBodyBytes: number;
  readonly maxJsonDepth: number;
  readonly sseKeepAliveMs: number;
  /** Bytes of SSE events a session keeps for `Last-Event-ID` resumption (0: no resumption). */
  readonly sseReplayBytes?: number;
  /** Addresses whose repeated refusals are tallied at once (more: all tallies are written out). */
  readonly maxTalliedAddresses?: number;
}

export interface McpSessionResources extends SessionResources {
  readonly transport: StreamableHTTPServerTransport;
  /** The session's admitted tool calls waiting for their answer's audit line. */
  readonly calls: ToolCallAudit;
  /** What the session's SSE streams sent, for Last-Event-ID resumption (absent when sseReplayBytes is 0). */
  readonly events?: BoundedEventStore;
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
  /** The client address of a request (trusted proxies); default the socket's peer. */
  readonly clientIp?: (req: IncomingMessage) => string;
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
  private readonly tally: RefusalTally;

  constructor(private readonly options: HandlerOptions) {
    this.tally = new RefusalTally(options.limits.maxTalliedAddresses ?? 10_000, (entry) =>
      options.hooks?.audit?.(entry),
    );
  }

  /** Handles one request; never throws (every failure is an answer). */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const ip = this.options.clientIp?.(req) ?? req.socket.remoteAddress ?? '';
    const exempt = isRateLimitExempt(pathOf(req.url));
    if (!exempt && this.refusedAsSpent(req, res, ip)) return;
    // A target that does not parse (`//[`) is routed nowhere: 404, never a throw.
    const url = URL.parse(req.url ?? '/', 'http://localhost') ?? new URL('http://localhost/?');
    const x: Exchange = {
      ip,
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
    // Charged now, awaited with the principal's charge: one store round trip of latency, not two in a row.
    const ipCharge = exempt ? null : settled(hooks?.rateLimit?.({ ip }));
    try {
      const { origins } = this.options;
      if (!origins.hostAllowed(req.headers.host)) throw new BrutalistError('HOST_NOT_ALLOWED');
      const ownOrigin = this.options.ops?.allowsOrigin(x.path, origin, req.headers.host) ?? false;
      if (!origins.originAllowed(origin) && !ownOrigin) throw new BrutalistError('ORIGIN_NOT_ALLOWED');
      for (const [name, value] of Object.entries(origins.corsHeaders(origin))) res.setHeader(name, value);
      // Only an MCP request that is not a preflight has more to check before its IP charge is settled.
      if (x.path !== '/mcp' || req.method === 'OPTIONS') await throwIfLimited(ipCharge);
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
        await throwIfLimited(ipCharge);
        const refusal = auth.error ?? unauthenticated(auth);
        // Only the client's failures (401) cost its IP: an unreachable JWKS (503) is ours.
        if (ERROR_CODES[refusal.code].httpStatus !== 401) throw refusal;
        throw (await hooks?.authFailed?.(ip)) ?? refusal;
      }
      x.principal = auth.principal;
      const principalCharge = settled(hooks?.rateLimit?.({ principal: auth.principal.name }));
      await throwIfLimited(ipCharge);
      await throwIfLimited(principalCharge);
      await this.mcp(req, res, auth.principal, x);
    } catch (err) {
      // The IP's refusal comes first, as if it had been awaited before anything else.
      const error = (await limitOf(ipCharge)) ?? toBrutalistError(err);
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

  /**
   * An address whose budget this process already knows is spent gets its 429 from prepared bytes, before anything
   * else is read, and its connection closed; its audit lines are tallied. False when the request goes on.
   */
  private refusedAsSpent(req: IncomingMessage, res: ServerResponse, ip: string): boolean {
    const hooks = this.options.hooks;
    const retryAfterMs = hooks?.spentIpMs?.(ip) ?? 0;
    if (retryAfterMs <= 0) {
      this.tally.settle(ip);
      return false;
    }
    refuseSpentIp(res, retryAfterMs, req.headers.origin);
    if (hooks?.audit) {
      this.tally.refused(ip, () => ({
        event: 'rate_limit',
        decision: 'deny',
        code: 'TOO_MANY_REQUESTS',
        ip,
        status: 429,
      }));
    }
    return true;
  }

  /** A connection closed by the per-address cap (connections.ts): tallied like a spent budget's refusals. */
  connectionRefused(ip: string, key: string): void {
    if (!this.options.hooks?.audit) return;
    this.tally.refused(`connection:${key}`, () => ({
      event: 'connection',
      decision: 'deny',
      code: 'TOO_MANY_CONNECTIONS',
      ip,
    }));
  }

  /** A connection the cap let in: the address's tallied connection refusals, if any, are written. */
  connectionAdmitted(key: string): void {
    this.tally.settle(`connection:${key}`);
  }

  /** Writes the tallied refusals' counts (at shutdown, before the audit log closes). */
  flushAudit(): void {
    this.tally.flush();
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
      const session = this.session(sessionId, principal);
      const lastEventId = header(req, 'last-event-id');
      if (
        req.method === 'GET' &&
        lastEventId !== undefined &&
        !session.resources.events?.knows(lastEventId)
      ) {
        throw new BrutalistError('EVENT_ID_UNKNOWN');
      }
      return this.inSession(req, res, session, undefined, x);
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
    const events = limits.sseReplayBytes ? new BoundedEventStore(limits.sseReplayBytes) : undefined;
    const resources: McpSessionResources = {
      calls,
      ...(events ? { events } : {}),
      transport: new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomBytes(32).toString('base64url'),
        keepAliveMs: limits.sseKeepAliveMs,
        ...(events ? { eventStore: events } : {}),
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
