/** Options of the Streamable HTTP service (`serve --http`): bind address, API keys, Host/Origin allowlists, limits. */
import { int, list, MINUTE, SECOND, str } from './spec.js';

export const HTTP_OPTIONS = {
  httpHost: str(
    'BRUTALIST_HTTP_HOST',
    '127.0.0.1',
    'Address `serve --http` binds. A non-loopback address is refused unless API keys are configured.',
  ),
  httpPort: int('BRUTALIST_HTTP_PORT', 7777, 0, 65_535, 'Port `serve --http` listens on (0: any free port).'),
  apiKeysFile: str(
    'BRUTALIST_API_KEYS_FILE',
    '',
    'File of API keys for `serve --http`, lines `name:scopes:sha256-of-token` (make them with `brutalist-mcp keys add`). Empty: no authentication, loopback only.',
  ),
  allowedOrigins: list(
    'BRUTALIST_ALLOWED_ORIGINS',
    [],
    'Exact origins (`https://app.example.com`) whose browser requests `serve --http` accepts; any other `Origin`, and `Origin: null`, gets 403.',
  ),
  allowedHosts: list(
    'BRUTALIST_ALLOWED_HOSTS',
    [],
    '`Host` values `serve --http` answers (`name` or `name:port`); empty: `localhost`, `127.0.0.1` and `[::1]` at the bound port. Anything else gets 403 (DNS rebinding).',
  ),
  httpSessionIdleMs: int(
    'BRUTALIST_HTTP_SESSION_IDLE_MS',
    30 * MINUTE,
    SECOND,
    24 * 60 * MINUTE,
    'An HTTP session with no request for this long (and none open) ends; its id then answers 404. Critiques it started go on. At least waitMs.',
  ),
  httpMaxSessions: int(
    'BRUTALIST_HTTP_MAX_SESSIONS',
    2_000,
    1,
    100_000,
    'HTTP sessions held at once over all principals; one more is refused with 429 TOO_MANY_SESSIONS.',
  ),
  httpMaxSessionsPerPrincipal: int(
    'BRUTALIST_HTTP_MAX_SESSIONS_PER_PRINCIPAL',
    32,
    1,
    100_000,
    'HTTP sessions one principal (API key) may hold at once; one more is refused with 429 TOO_MANY_SESSIONS.',
  ),
  httpMaxJsonDepth: int(
    'BRUTALIST_HTTP_MAX_JSON_DEPTH',
    64,
    4,
    10_000,
    'Deepest nesting of arrays and objects in an HTTP request body; deeper is refused with 400 before parsing.',
  ),
  httpMaxHeaderBytes: int(
    'BRUTALIST_HTTP_MAX_HEADER_BYTES',
    16 * 1024,
    1024,
    1024 * 1024,
    'Largest request head (request line and headers) `serve --http` reads; larger gets 431.',
  ),
  httpHeadersTimeoutMs: int(
    'BRUTALIST_HTTP_HEADERS_TIMEOUT_MS',
    10 * SECOND,
    100,
    10 * MINUTE,
    'A client must send its whole request head within this time, else the connection is closed (slow clients).',
  ),
  httpRequestTimeoutMs: int(
    'BRUTALIST_HTTP_REQUEST_TIMEOUT_MS',
    30 * SECOND,
    100,
    60 * MINUTE,
    'A client must send its whole request (head and body) within this time, else it gets 408 (slow clients).',
  ),
  httpKeepAliveTimeoutMs: int(
    'BRUTALIST_HTTP_KEEP_ALIVE_TIMEOUT_MS',
    5 * SECOND,
    100,
    10 * MINUTE,
    'An idle keep-alive connection between requests is closed after this time.',
  ),
  httpMaxConnectionsPerIp: int(
    'BRUTALIST_HTTP_MAX_CONNECTIONS_PER_IP',
    64,
    0,
    100_000,
    'Open TCP connections one client IP (IPv6: its rateLimitIpv6PrefixBits prefix) may hold; one more is closed at once (0: no cap; trusted proxies are exempt).',
  ),
  httpSseReplayBytes: int(
    'BRUTALIST_HTTP_SSE_REPLAY_BYTES',
    64 * 1024,
    0,
    64 * 1024 * 1024,
    'SSE events (progress, results) one session keeps so a client that reconnects with `Last-Event-ID` gets what it missed; oldest dropped first (0: no resumption).',
  ),
  httpSseKeepAliveMs: int(
    'BRUTALIST_HTTP_SSE_KEEP_ALIVE_MS',
    15 * SECOND,
    1 * SECOND,
    10 * MINUTE,
    'An open SSE stream gets a comment line this often, so proxies and clients do not drop a quiet long critique.',
  ),
} as const;
