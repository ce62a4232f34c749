/**
 * Streamable HTTP hosting (`serve --http`): the node:http server, its limits, the pipeline with its guards (rate
 * limits, audit log, API keys and JWTs) and clean shutdown.
 */
import { createServer, type Server as NodeServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../engine/config.js';
import { BrutalistError } from '../errors/index.js';
import {
  Authenticator,
  type BearerAuthenticator,
  ConnectionCap,
  createAuditLog,
  createJwtVerifier,
  createRateLimiter,
  type HttpAuditEntry,
  type HttpHooks,
  ipBucketKey,
  isJwtMode,
  isLoopback,
  jwtAuthenticator,
  KeyRing,
  McpHttpHandler,
  type McpSessionResources,
  OriginPolicy,
  ProxyTrust,
  protectedResourceMetadata,
  protectedResourceMetadataPaths,
  rateLimitError,
  SessionRegistry,
  TOOL_SCOPES,
  wwwAuthenticate,
} from '../http/index.js';
import { type Clock, systemClock } from '../infra/index.js';
import { TOOLS } from '../mcp/index.js';
import {
  createLogger,
  createObservability,
  type Logger,
  type Observability,
} from '../observability/index.js';
import { killAllProcessGroups } from '../process/index.js';
import { type App, createApp } from './app.js';
import { type DrainOutcome, drainOnSignal } from './drain.js';
import { type ProcessHost, realProcess } from './exit.js';
import { createOps, type Ops } from './ops.js';

export interface HttpServiceOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly clock?: Clock;
  readonly cwd?: string;
  /** An app built by the caller (tests); otherwise one is built from `config` and shut down with the service. */
  readonly app?: App;
  readonly logger?: Logger;
  /** More bearer authenticators, tried after the API keys and JWT mode's verifier. */
  readonly authenticators?: readonly BearerAuthenticator[];
  /** Hooks that replace the built-in ones (rate limits, audit log); `audit` is called besides the log. */
  readonly hooks?: HttpHooks;
  /** Metrics and SLOs of a caller-built app (tests); otherwise built with the app (none when `app` is given). */
  readonly observability?: Observability;
}

export interface ServiceDrainOutcome extends DrainOutcome {
  /** Every critique started here (also those answered "running") ended and was recorded within the grace. */
  readonly critiquesSettled: boolean;
}

export interface HttpService {
  /** `http://host:port` as bound. */
  readonly url: string;
  readonly port: number;
  readonly app: App;
  readonly sessions: SessionRegistry<McpSessionResources>;
  /** Health, warmup and the drain (readiness, /metrics, /dashboard). */
  readonly ops: Ops;
  /**
   * Graceful shutdown: readiness false and new MCP requests refused (503 + Retry-After) at once, in-flight ones
   * given up to `graceMs` (default drainGraceMs), then close(). Idempotent.
   */
  drain(graceMs?: number): Promise<ServiceDrainOutcome>;
  /** Stops listening, ends every session, stops critics and closes the store (unless the app was given). */
  close(): Promise<void>;
}

/** Refuses what must never run: a non-loopback bind without authentication. */
export function checkExposure(config: Config, authRequired: boolean): void {
  if (!authRequired && !isLoopback(config.httpHost)) {
    throw new BrutalistError(
      'CONFIG_INVALID',
      `Refusing to serve HTTP on ${config.httpHost} without authentication: set BRUTALIST_API_KEYS_FILE (brutalist-mcp keys add NAME --scopes roast) or bind a loopback address.`,
      { data: { option: 'httpHost' } },
    );
  }
}

export async function startHttpService(
  config: Config,
  options: HttpServiceOptions = {},
): Promise<HttpService> {
  const env = options.env ?? process.env;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger({ level: config.logLevel, env });
  const keys =
    config.apiKeysFile === ''
      ? undefined
      : new KeyRing(config.apiKeysFile, (error) =>
          logger.error({ event: 'api_keys_unreadable', code: error.code }, error.message),
        );
  const jwt = createJwtVerifier(config, { clock });
  const auth = new Authenticator(keys, [
    ...(jwt ? [jwtAuthenticator(jwt)] : []),
    ...(options.authenticators ?? []),
  ]);
  checkExposure(config, auth.required);
  const observability =
    options.observability ??
    (options.app ? undefined : createObservability(config, { tools: Object.keys(TOOLS), clock, logger }));
  const proxies = new ProxyTrust(config.trustProxy);
  const app =
    options.app ??
    createApp(config, {
      env,
      clock,
      logger,
      ...(observability ? { observability } : {}),
      ...(options.cwd ? { cwd: options.cwd } : {}),
    });
  const sessions = new SessionRegistry<McpSessionResources>(clock, {
    idleMs: config.httpSessionIdleMs,
    maxSessions: config.httpMaxSessions,
    maxPerPrincipal: config.httpMaxSessionsPerPrincipal,
  });
  let handler: McpHttpHandler | undefined;
  const server = createServer(
    {
      maxHeaderSize: config.httpMaxHeaderBytes,
      headersTimeout: config.httpHeadersTimeoutMs,
      requestTimeout: config.httpRequestTimeoutMs,
      keepAliveTimeout: config.httpKeepAliveTimeoutMs,
      // node checks the two timeouts above only this often (default 30 s): often enough to honour them.
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(config.httpHeadersTimeoutMs / 2))),
      // A missing Host gets our 403 (with the JSON-RPC body), not node's bare 400.
      requireHostHeader: false,
    },
    (req, res) => void handler?.handle(req, res),
  );
  const connections = new ConnectionCap({
    maxPerKey: config.httpMaxConnectionsPerIp,
    keyOf: (ip) => ipBucketKey(ip, config.rateLimitIpv6PrefixBits),
    exempt: (ip) => proxies.trusts(ip),
    onRefused: (ip, key) => handler?.connectionRefused(ip, key),
    onAdmitted: (key) => handler?.connectionAdmitted(key),
  });
  server.on('connection', (socket) => connections.admit(socket));
  let port: number;
  try {
    port = await listen(server, config.httpPort, config.httpHost);
  } catch (err) {
    // Nothing is served: what was built for it goes (the store, the health timers), and the operator reads why.
    if (!options.app) await app.shutdown();
    throw listenError(config, err);
  }
  // Rate limits count in Redis when redisUrl is set (the state store's connection settings, its own connection).
  const guardLog = (line: string) => logger.warn({ event: 'http_guard' }, line);
  const limiter = createRateLimiter(config, { log: guardLog });
  const auditLog = createAuditLog(config, { clock, env, log: guardLog });
  const authFailed = async (ip: string) => rateLimitError(await limiter.recordAuthFailure(ip));
  const ops = createOps({ config, app, observability, auth, clock, authFailed });
  const wantsAudit =
    config.auditLog !== '' || logger.isLevelEnabled('info') || options.hooks?.audit !== undefined;
  handler = new McpHttpHandler({
    limits: {
      maxBodyBytes: config.maxMessageBytes,
      maxJsonDepth: config.httpMaxJsonDepth,
      sseKeepAliveMs: config.httpSseKeepAliveMs,
      maxTalliedAddresses: config.rateLimitBlockedEntries,
      sseReplayBytes: config.httpSseReplayBytes,
    },
    clientIp: (req) => proxies.clientOf(req),
    origins: new OriginPolicy({
      allowedHosts: config.allowedHosts,
      allowedOrigins: config.allowedOrigins,
      port,
    }),
    auth,
    sessions,
    ops: ops.routes,
    drain: ops.drain,
    // tools/list shows only what the principal's scopes allow (calls are checked by the pipeline).
    createServer: (principal) =>
      app.createServer(principal.name, {
        toolListed: (name) => {
          const scope = TOOL_SCOPES[name];
          return scope === undefined || principal.scopes.has(scope);
        },
      }),
    ...(jwt
      ? {
          metadata: {
            paths: protectedResourceMetadataPaths(config),
            document: protectedResourceMetadata(config),
          },
          challenge: (error) => wwwAuthenticate(config, error),
        }
      : {}),
    hooks: {
      rateLimit: async (subject) => rateLimitError(await limiter.checkRequest(subject)),
      spentIpMs: (ip) => {
        const spent = limiter.blockedIp(ip);
        return spent && !spent.allowed ? spent.retryAfterMs : 0;
      },
      authFailed,
      ...options.hooks,
      // Built only when someone reads it: the audit file, the server log at info, or a caller's hook.
      ...(wantsAudit ? { audit } : {}),
    },
  });
  function audit(entry: HttpAuditEntry): void {
    // Refusals also go to the server log (code, status, IP, principal: never headers, body or token).
    if (entry.decision === 'deny') {
      const { event, code, status, ip, principal, repeated } = entry;
      logger.info(
        { event: 'http_denied', check: event, code, status, ip, principal, repeated },
        'http request refused',
      );
    }
    auditLog.write(entry);
    options.hooks?.audit?.(entry);
  }
  const host = config.httpHost.includes(':') ? `[${config.httpHost}]` : config.httpHost;
  let closing: Promise<void> | undefined;
  let draining: Promise<ServiceDrainOutcome> | undefined;
  const service: HttpService = {
    url: `http://${host}:${port}`,
    port,
    app,
    sessions,
    ops,
    drain(graceMs = config.drainGraceMs) {
      draining ??= (async () => {
        ops.health.markDraining();
        const startedAt = clock.now();
        const requests = await ops.drain.start(graceMs);
        // Critiques already handed out as context ids run on within the same grace: their records then hold the
        // result for a client that fetches it from another instance (or this one after a restart).
        const critiquesSettled =
          requests.drained &&
          (await app.engine.untilCritiquesSettled(Math.max(0, graceMs - (clock.now() - startedAt))));
        const outcome = { ...requests, critiquesSettled };
        if (requests.drained && !critiquesSettled) {
          logger.warn({ event: 'drain_timeout', critiques: 'running' }, 'drain grace period over');
        }
        if (!requests.drained) {
          logger.warn({ event: 'drain_timeout', remaining: outcome.remaining }, 'drain grace period over');
          // Critics first, so the requests still open get their error answers before the connections close.
          await killAllProcessGroups(config.killGraceMs);
          await ops.drain.start(config.killGraceMs);
        }
        await service.close();
        return outcome;
      })();
      return draining;
    },
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        await sessions.closeAll();
        server.closeAllConnections();
        await stopped;
        limiter.close();
        handler?.flushAudit();
        await auditLog.close();
        if (!options.app) await app.shutdown();
        ops.health.close();
      })();
      return closing;
    },
  };
  return service;
}

/** A port or address that cannot be bound, as the operator's configuration error (not INTERNAL_ERROR). */
function listenError(config: Config, err: unknown): BrutalistError {
  const code = (err as NodeJS.ErrnoException).code ?? 'unknown';
  const why =
    code === 'EADDRINUSE'
      ? 'the port is in use'
      : code === 'EACCES'
        ? 'binding it is not permitted'
        : code === 'EADDRNOTAVAIL'
          ? 'the address is not on this host'
          : 'it could not be bound';
  return new BrutalistError(
    'CONFIG_INVALID',
    `Cannot serve HTTP on ${config.httpHost} port ${config.httpPort}: ${why} (${code}). Choose another --port or BRUTALIST_HTTP_HOST.`,
    { data: { option: 'httpPort', errno: code }, cause: err },
  );
}

function listen(server: NodeServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** `serve --http`: serves until SIGINT/SIGTERM, then drains and exits 0; a second signal kills and exits at once. */
export async function serveHttp(
  config: Config,
  env: NodeJS.ProcessEnv = process.env,
  hostOverrides: Partial<HttpHost> = {},
): Promise<HttpService> {
  const host: HttpHost = { stderr: process.stderr, ...realProcess, ...hostOverrides };
  const logger = host.logger ?? createLogger({ level: config.logLevel, env });
  const service = await startHttpService(config, { env, logger });
  const modes = [...(config.apiKeysFile === '' ? [] : ['API keys']), ...(isJwtMode(config) ? ['JWT'] : [])];
  const auth = modes.length === 0 ? 'off (loopback only)' : modes.join(' + ');
  host.stderr.write(`brutalist-mcp: serving MCP on ${service.url}/mcp (authentication: ${auth})\n`);
  drainOnSignal(
    async () => {
      logger.info({ event: 'drain_start', graceMs: config.drainGraceMs }, 'draining');
      const outcome = await service.drain();
      logger.info({ event: 'drain_done', ...outcome }, 'drained; exiting');
    },
    () => void killAllProcessGroups(0),
    host,
  );
  return service;
}

/** The process `serve --http` runs in: the real one by default; a test's own in process. */
export interface HttpHost extends ProcessHost {
  readonly stderr: { write(text: string): unknown };
  readonly logger?: Logger;
}
