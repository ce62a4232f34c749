/** Options of the HTTP service's guards: rate limits, the audit log and OAuth resource-server (JWT) mode. */
import { z } from 'zod';
import { API_SCOPES, JWT_ALGORITHMS } from './names.js';
import { assignments, int, list, MIB, MINUTE, type OptionSpec, ranking, SECOND, str, url } from './spec.js';

/** An integer number of milliseconds that is a whole number of seconds (the shared limiter counts in seconds). */
function wholeSeconds(env: string, def: number, min: number, max: number, description: string) {
  const error = `a multiple of 1000 between ${min} and ${max}`;
  const schema = z
    .number({ error })
    .int({ error })
    .min(min, { error })
    .max(max, { error })
    .refine((ms) => ms % SECOND === 0, { error });
  const spec: OptionSpec<number> = { kind: 'int', env, default: def, description, schema };
  return spec;
}

export const GUARD_OPTIONS = {
  // ---- rate limits (docs/security.md#rate-limits)
  rateLimitWindowMs: wholeSeconds(
    'BRUTALIST_RATE_LIMIT_WINDOW_MS',
    MINUTE,
    SECOND,
    24 * 60 * MINUTE,
    'Length of one rate-limit window (whole seconds); each principal and each client IP get a fresh budget per window.',
  ),
  rateLimitPrincipalRequests: int(
    'BRUTALIST_RATE_LIMIT_PRINCIPAL_REQUESTS',
    600,
    0,
    10_000_000,
    'HTTP requests one principal (API key or JWT subject) may make per window; past it 429 with Retry-After (0: no limit).',
  ),
  rateLimitIpRequests: int(
    'BRUTALIST_RATE_LIMIT_IP_REQUESTS',
    1_200,
    0,
    10_000_000,
    'Points one client IP (IPv6: its network prefix) may spend per window; a request costs 1, an authentication failure more (0: no limit).',
  ),
  rateLimitAuthFailureCost: int(
    'BRUTALIST_RATE_LIMIT_AUTH_FAILURE_COST',
    20,
    1,
    1_000_000,
    "Points an authentication failure takes from the client IP's budget (so a token-guessing IP is stopped after a few dozen tries).",
  ),
  rateLimitIpv6PrefixBits: int(
    'BRUTALIST_RATE_LIMIT_IPV6_PREFIX_BITS',
    64,
    32,
    128,
    'IPv6 clients share one IP budget per network prefix of this many bits (one host usually holds a whole /64).',
  ),
  rateLimitBlockedEntries: int(
    'BRUTALIST_RATE_LIMIT_BLOCKED_ENTRIES',
    10_000,
    0,
    1_000_000,
    'Spent budgets (principal or IP) this process remembers until their window ends, so a client over its limit is refused without a Redis call or a body read (0: ask the store every time).',
  ),
  trustProxy: list(
    'BRUTALIST_TRUST_PROXY',
    [],
    'Addresses or CIDRs (`10.0.0.0/8`, `::1`) of reverse proxies whose `X-Forwarded-For` names the client for the IP budget and the audit log; empty: the socket peer is the client.',
  ),
  // ---- audit log (docs/security.md#audit-log)
  auditLog: str(
    'BRUTALIST_AUDIT_LOG',
    '',
    'File of the audit log (one JSON line per tool call and per security decision over HTTP); empty: no audit log.',
  ),
  auditMaxFileBytes: int(
    'BRUTALIST_AUDIT_MAX_FILE_BYTES',
    64 * MIB,
    1_024,
    64 * 1024 * MIB,
    'Size at which the audit log is rotated (`audit.log` → `audit.log.1` …); a file exceeds it by at most one line.',
  ),
  auditKeptFiles: int(
    'BRUTALIST_AUDIT_KEPT_FILES',
    10,
    1,
    1_000,
    'Rotated audit files kept (`.1` newest … `.N` oldest); older ones are deleted.',
  ),
  auditMaxFieldChars: int(
    'BRUTALIST_AUDIT_MAX_FIELD_CHARS',
    256,
    16,
    4_096,
    'Longest text field of an audit line (principal, tool, session...); longer values are cut and marked with `…`.',
  ),
  auditMaxPendingBytes: int(
    'BRUTALIST_AUDIT_MAX_PENDING_BYTES',
    4 * MIB,
    64 * 1024,
    1024 * MIB,
    'Audit bytes waiting for the disk at most; past it lines are dropped and counted in an `audit_dropped` line.',
  ),
  // ---- OAuth 2.1 resource-server mode (docs/security.md#oauth-resource-server-mode)
  jwtJwksFile: str(
    'BRUTALIST_JWT_JWKS_FILE',
    '',
    'JWKS file (JSON `{"keys":[...]}`) whose public keys sign accepted bearer JWTs; read at start. Set this or jwtJwksUrl to turn JWT mode on.',
  ),
  jwtJwksUrl: url(
    'BRUTALIST_JWT_JWKS_URL',
    'JWKS URL of the authorization server (https; http only on a loopback host); fetched on demand and cached.',
  ),
  jwtIssuer: str(
    'BRUTALIST_JWT_ISSUER',
    '',
    'The `iss` every accepted JWT must carry (the authorization server); required in JWT mode.',
  ),
  jwtAudience: str(
    'BRUTALIST_JWT_AUDIENCE',
    '',
    'The `aud` every accepted JWT must carry (empty: oauthResource, as RFC 8707 resource indicators give).',
  ),
  jwtAlgorithms: ranking(
    'BRUTALIST_JWT_ALGORITHMS',
    ['RS256', 'ES256', 'EdDSA'],
    'Signature algorithms accepted for JWTs (asymmetric only; `none` and HMAC are never accepted).',
    JWT_ALGORITHMS,
  ),
  jwtScopeMap: assignments(
    'BRUTALIST_JWT_SCOPE_MAP',
    ['roast=roast', 'debate=debate', 'admin=admin'],
    "How the token's scopes (`scope` or `scp` claim) map to this server's scopes, as `token-scope=roast|debate|admin` items.",
    'token-scope',
    API_SCOPES,
  ),
  jwtClockToleranceMs: int(
    'BRUTALIST_JWT_CLOCK_TOLERANCE_MS',
    30 * SECOND,
    0,
    5 * MINUTE,
    'Clock skew allowed when checking `exp` and `nbf` of a JWT.',
  ),
  jwtMaxTokenBytes: int(
    'BRUTALIST_JWT_MAX_TOKEN_BYTES',
    8_192,
    256,
    65_536,
    'Longest bearer JWT read; a longer one is refused before it is parsed.',
  ),
  jwtVerifiedCacheEntries: int(
    'BRUTALIST_JWT_VERIFIED_CACHE_ENTRIES',
    1_000,
    0,
    1_000_000,
    'Verified tokens remembered (by hash) so a client reusing its token skips the signature check; 0 disables.',
  ),
  jwtVerifiedCacheMs: int(
    'BRUTALIST_JWT_VERIFIED_CACHE_MS',
    MINUTE,
    SECOND,
    60 * MINUTE,
    'How long a verified token is remembered (never past its `exp`); a key removed from the JWKS stops working after this.',
  ),
  jwtJwksTimeoutMs: int(
    'BRUTALIST_JWT_JWKS_TIMEOUT_MS',
    5 * SECOND,
    100,
    MINUTE,
    'Longest wait for the JWKS URL to answer; past it the request fails with JWKS_UNAVAILABLE.',
  ),
  jwtJwksCacheMs: int(
    'BRUTALIST_JWT_JWKS_CACHE_MS',
    10 * MINUTE,
    SECOND,
    24 * 60 * MINUTE,
    'How long keys fetched from the JWKS URL are used before they are fetched again.',
  ),
  jwtJwksCooldownMs: int(
    'BRUTALIST_JWT_JWKS_COOLDOWN_MS',
    30 * SECOND,
    0,
    10 * MINUTE,
    'Least time between two fetches of the JWKS URL when a token names an unknown key (bounds refetch floods).',
  ),
  oauthResource: url(
    'BRUTALIST_OAUTH_RESOURCE',
    "This server's MCP endpoint URL as clients see it (e.g. `https://critic.example.com/mcp`); the `resource` of the RFC 9728 metadata.",
  ),
  oauthAuthorizationServers: list(
    'BRUTALIST_OAUTH_AUTHORIZATION_SERVERS',
    [],
    'Issuer URLs listed as `authorization_servers` in the RFC 9728 metadata (empty: jwtIssuer).',
  ),
} as const;
