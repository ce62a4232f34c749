/**
 * OAuth 2.1 resource-server mode: bearer JWTs verified against a JWKS file or URL with a pinned issuer, audience
 * and algorithms, their scopes mapped to this server's, and the RFC 9728 protected-resource metadata.
 */
import { readFileSync } from 'node:fs';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  type FetchImplementation,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import { API_SCOPES, type ApiScope, assignmentOf, type Config } from '../config/index.js';
import { BrutalistError } from '../errors/index.js';
import { type Clock, sha256Hex, systemClock } from '../infra/index.js';
import type { BearerAuthenticator } from './auth.js';
import { API_KEY_TOKEN_PREFIX } from './keys.js';

export type JwtConfig = Pick<
  Config,
  | 'jwtJwksFile'
  | 'jwtJwksUrl'
  | 'jwtIssuer'
  | 'jwtAudience'
  | 'jwtAlgorithms'
  | 'jwtScopeMap'
  | 'jwtClockToleranceMs'
  | 'jwtMaxTokenBytes'
  | 'jwtVerifiedCacheEntries'
  | 'jwtVerifiedCacheMs'
  | 'jwtJwksTimeoutMs'
  | 'jwtJwksCacheMs'
  | 'jwtJwksCooldownMs'
  | 'oauthResource'
  | 'oauthAuthorizationServers'
>;

/** Who a verified token speaks for. */
export interface JwtPrincipal {
  /** The token's `sub`. */
  readonly principal: string;
  /** This server's scopes the token grants (at least one). */
  readonly scopes: readonly ApiScope[];
  readonly expiresAtMs: number;
}

export interface JwtVerifier {
  /**
   * The principal of a bearer JWT; throws TOKEN_INVALID, TOKEN_EXPIRED, INSUFFICIENT_SCOPE (none of this
   * server's scopes) or JWKS_UNAVAILABLE.
   */
  verify(token: string): Promise<JwtPrincipal>;
  /** Signature checks done, answers served from the verified-token cache, and tokens it holds now. */
  stats(): { readonly checked: number; readonly cacheHits: number; readonly cached: number };
}

export interface JwtVerifierOptions {
  /** Time of the `exp`/`nbf` checks. */
  readonly clock?: Clock;
  /** The fetch the JWKS URL is read with (default: global fetch). */
  readonly fetch?: FetchImplementation;
}

/** Longest `sub` accepted: it names sessions, rate-limit buckets and audit lines. */
export const MAX_SUBJECT_CHARS = 256;
const WELL_KNOWN = '/.well-known/oauth-protected-resource';
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
/** An RFC 6749 scope token: printable ASCII without space, `"` or backslash (so it can be quoted in a header). */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Whether the config turns JWT mode on (a JWKS file or URL is set). */
export function isJwtMode(config: Pick<Config, 'jwtJwksFile' | 'jwtJwksUrl'>): boolean {
  return config.jwtJwksFile !== '' || config.jwtJwksUrl !== '';
}

function invalidConfig(option: string, message: string): BrutalistError {
  return new BrutalistError('CONFIG_INVALID', message, { data: { option } });
}

/** The options JWT mode needs together, checked once at start (CONFIG_INVALID naming the option otherwise). */
export function checkJwtConfig(config: JwtConfig): void {
  if (!isJwtMode(config)) return;
  if (config.jwtJwksFile !== '' && config.jwtJwksUrl !== '') {
    throw invalidConfig('jwtJwksUrl', 'set only one of jwtJwksFile and jwtJwksUrl');
  }
  if (config.jwtIssuer === '') throw invalidConfig('jwtIssuer', 'jwtIssuer is required in JWT mode');
  if (config.oauthResource === '') {
    throw invalidConfig('oauthResource', "oauthResource (this server's MCP URL) is required in JWT mode");
  }
  const badScope = [...scopeMapOf(config.jwtScopeMap).keys()].find((name) => !SCOPE_TOKEN.test(name));
  if (badScope !== undefined) {
    throw invalidConfig(
      'jwtScopeMap',
      'jwtScopeMap token scopes must be printable ASCII without space, " or \\',
    );
  }
  if (config.jwtJwksUrl !== '') {
    const url = new URL(config.jwtJwksUrl);
    if (url.protocol !== 'https:' && !LOOPBACK_HOSTS.has(url.hostname)) {
      throw invalidConfig('jwtJwksUrl', 'jwtJwksUrl must be https (plain http only on a loopback host)');
    }
  }
}

/** The key set of the JWKS file: read once; CONFIG_INVALID (without the path) when it is not one. */
function localKeys(file: string): JWTVerifyGetKey {
  let jwks: JSONWebKeySet;
  try {
    jwks = JSON.parse(readFileSync(file, 'utf8')) as JSONWebKeySet;
    return createLocalJWKSet(jwks);
  } catch (err) {
    throw new BrutalistError('CONFIG_INVALID', 'jwtJwksFile is not a readable JWKS file ({"keys":[...]}).', {
      cause: err,
      data: { option: 'jwtJwksFile' },
    });
  }
}

/**
 * The verifier of `config`, or undefined when JWT mode is off. Checks the config and reads the JWKS file now,
 * so a broken setup fails at start.
 */
export function createJwtVerifier(
  config: JwtConfig,
  options: JwtVerifierOptions = {},
): JwtVerifier | undefined {
  if (!isJwtMode(config)) return undefined;
  checkJwtConfig(config);
  const clock = options.clock ?? systemClock;
  const keys: JWTVerifyGetKey =
    config.jwtJwksFile !== ''
      ? localKeys(config.jwtJwksFile)
      : createRemoteJWKSet(new URL(config.jwtJwksUrl), {
          timeoutDuration: config.jwtJwksTimeoutMs,
          cooldownDuration: config.jwtJwksCooldownMs,
          cacheMaxAge: config.jwtJwksCacheMs,
          ...(options.fetch ? { [customFetch]: options.fetch } : {}),
        });
  const audience = config.jwtAudience !== '' ? config.jwtAudience : config.oauthResource;
  const scopeMap = scopeMapOf(config.jwtScopeMap);
  const verified = new VerifiedTokens(config.jwtVerifiedCacheEntries, config.jwtVerifiedCacheMs, clock);
  let checked = 0;
  let cacheHits = 0;
  return {
    stats: () => ({ checked, cacheHits, cached: verified.size }),
    async verify(token) {
      if (Buffer.byteLength(token) > config.jwtMaxTokenBytes) throw tokenInvalid('too_long');
      const known = verified.get(token);
      if (known) {
        cacheHits++;
        return known;
      }
      checked++;
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer: config.jwtIssuer,
          audience,
          algorithms: [...config.jwtAlgorithms],
          clockTolerance: config.jwtClockToleranceMs / 1000,
          currentDate: new Date(clock.now()),
          requiredClaims: ['exp', 'sub'],
        }));
      } catch (err) {
        throw fromJose(err);
      }
      const sub = payload.sub ?? '';
      if (sub === '' || sub.length > MAX_SUBJECT_CHARS || CONTROL.test(sub)) throw tokenInvalid('subject');
      const scopes = grantedScopes(payload, scopeMap);
      if (scopes.length === 0) {
        throw new BrutalistError('INSUFFICIENT_SCOPE', undefined, { data: { scope: API_SCOPES.join(' ') } });
      }
      const principal = { principal: sub, scopes, expiresAtMs: (payload.exp ?? 0) * 1000 };
      verified.add(token, principal);
      return principal;
    },
  };
}

/**
 * Tokens verified lately, by their sha256 (never the token itself), each until its `exp` or `ttlMs` after the
 * check, whichever comes first; at most `max` (the oldest forgotten first). A client sends the same token with
 * every request, so most requests skip the signature check.
 */
class VerifiedTokens {
  private readonly entries = new Map<
    string,
    { readonly principal: JwtPrincipal; readonly untilMs: number }
  >();

  constructor(
    private readonly max: number,
    private readonly ttlMs: number,
    private readonly clock: Clock,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(token: string): JwtPrincipal | undefined {
    if (this.max === 0) return undefined;
    const key = sha256Hex(token);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (this.clock.now() < entry.untilMs) return entry.principal;
    this.entries.delete(key);
    return undefined;
  }

  add(token: string, principal: JwtPrincipal): void {
    if (this.max === 0) return;
    while (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
    const untilMs = Math.min(principal.expiresAtMs, this.clock.now() + this.ttlMs);
    this.entries.set(sha256Hex(token), { principal, untilMs });
  }
}

/** Principal names of JWT subjects start with this; API-key names cannot hold `:`, so the two never collide. */
export const JWT_PRINCIPAL_PREFIX = 'jwt:';

/**
 * The verifier as an authenticator of the HTTP pipeline: a JWT's principal is `jwt:<sub>`; an API-key token
 * (`bmk_…`) is not its kind (null, so a wrong key stays UNAUTHENTICATED); its refusals are thrown as they are.
 */
export function jwtAuthenticator(verifier: JwtVerifier): BearerAuthenticator {
  return async (token) => {
    if (token.startsWith(API_KEY_TOKEN_PREFIX)) return null;
    const verified = await verifier.verify(token);
    return { name: `${JWT_PRINCIPAL_PREFIX}${verified.principal}`, scopes: new Set(verified.scopes) };
  };
}

/** Throws INSUFFICIENT_SCOPE naming `scope` unless `principal` holds it. */
export function requireScope(principal: Pick<JwtPrincipal, 'scopes'>, scope: ApiScope): void {
  if (!principal.scopes.includes(scope)) {
    throw new BrutalistError('INSUFFICIENT_SCOPE', `The token lacks the ${scope} scope this call needs.`, {
      data: { scope },
    });
  }
}

/** token scope → our scope, from `token-scope=ours` items (validated by the config schema). */
function scopeMapOf(items: readonly string[]): ReadonlyMap<string, ApiScope[]> {
  const map = new Map<string, ApiScope[]>();
  for (const item of items) {
    const pair = assignmentOf(item, API_SCOPES);
    if (!pair) continue;
    map.set(pair.key, [...(map.get(pair.key) ?? []), pair.value]);
  }
  return map;
}

/** Our scopes granted by the token's `scope` (space-separated, RFC 9068) or `scp` (string or list) claim. */
function grantedScopes(payload: JWTPayload, map: ReadonlyMap<string, ApiScope[]>): ApiScope[] {
  const named: string[] = [];
  for (const claim of [payload.scope, payload.scp]) {
    if (typeof claim === 'string') named.push(...claim.split(' '));
    else if (Array.isArray(claim)) named.push(...claim.filter((s): s is string => typeof s === 'string'));
  }
  const granted = new Set<ApiScope>();
  for (const name of named) for (const scope of map.get(name) ?? []) granted.add(scope);
  return API_SCOPES.filter((s) => granted.has(s));
}

function tokenInvalid(reason: string): BrutalistError {
  return new BrutalistError('TOKEN_INVALID', undefined, { data: { reason } });
}

/** jose's error codes → ours; the reason names what failed, never the token or the keys. */
function fromJose(err: unknown): BrutalistError {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  const claim = typeof err === 'object' && err !== null && 'claim' in err ? String(err.claim) : '';
  const options = { cause: err };
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return new BrutalistError('TOKEN_EXPIRED', undefined, { ...options, data: { reason: 'expired' } });
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (claim === 'nbf') {
        return new BrutalistError('TOKEN_EXPIRED', undefined, {
          ...options,
          data: { reason: 'not_yet_valid' },
        });
      }
      return withCause(tokenInvalid(CLAIM_REASONS[claim] ?? 'claims'), err);
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return withCause(tokenInvalid('signature'), err);
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return withCause(tokenInvalid('unknown_key'), err);
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return withCause(tokenInvalid('algorithm'), err);
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
    case 'ERR_JWK_INVALID':
      return withCause(tokenInvalid('malformed'), err);
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JWKS_INVALID':
      return new BrutalistError('JWKS_UNAVAILABLE', undefined, options);
    default:
      // Another jose error is about the token; anything else came from fetching the JWKS URL (refused, reset).
      if (code.startsWith('ERR_J')) return withCause(tokenInvalid('malformed'), err);
      return new BrutalistError('JWKS_UNAVAILABLE', undefined, options);
  }
}

const CLAIM_REASONS: Readonly<Record<string, string>> = { iss: 'issuer', aud: 'audience', sub: 'subject' };

function withCause(error: BrutalistError, cause: unknown): BrutalistError {
  return new BrutalistError(error.code, error.message, { data: error.data, cause });
}

/** The RFC 9728 metadata URL of `resource`: the well-known path inserted before the resource's path. */
export function protectedResourceMetadataUrl(config: Pick<Config, 'oauthResource'>): string {
  const url = new URL(config.oauthResource);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return `${url.origin}${WELL_KNOWN}${path}`;
}

/** Paths the metadata is served at: the RFC 9728 one for the resource, and the bare well-known path. */
export function protectedResourceMetadataPaths(config: Pick<Config, 'oauthResource'>): string[] {
  const path = new URL(protectedResourceMetadataUrl(config)).pathname;
  return path === WELL_KNOWN ? [WELL_KNOWN] : [path, WELL_KNOWN];
}

/** The RFC 9728 protected-resource metadata document (JSON) for `/.well-known/oauth-protected-resource`. */
export function protectedResourceMetadata(
  config: Pick<Config, 'oauthResource' | 'oauthAuthorizationServers' | 'jwtIssuer' | 'jwtScopeMap'>,
): Record<string, unknown> {
  const servers =
    config.oauthAuthorizationServers.length > 0 ? config.oauthAuthorizationServers : [config.jwtIssuer];
  return {
    resource: config.oauthResource,
    authorization_servers: [...servers],
    scopes_supported: [...scopeMapOf(config.jwtScopeMap).keys()],
    bearer_methods_supported: ['header'],
    resource_name: 'brutalist-mcp',
  };
}

/**
 * The WWW-Authenticate value of a 401 or 403 in JWT mode (RFC 6750 §3 with RFC 9728's resource_metadata):
 * `invalid_token` for a bad or expired token, `insufficient_scope` with the token scopes that would grant it.
 */
export function wwwAuthenticate(
  config: Pick<Config, 'oauthResource' | 'jwtScopeMap'>,
  error?: BrutalistError,
): string {
  // Without a resource URL (JWT mode off) there is no metadata to point at: a plain RFC 6750 challenge.
  const parts =
    config.oauthResource === '' ? [] : [`resource_metadata="${protectedResourceMetadataUrl(config)}"`];
  if (error?.code === 'TOKEN_INVALID' || error?.code === 'TOKEN_EXPIRED') parts.push('error="invalid_token"');
  // RFC 6750 §3.1: a header that is not `Bearer <token>` is a malformed request, not a bad token.
  if (error?.code === 'UNAUTHENTICATED' && error.data.reason === 'malformed') {
    parts.push('error="invalid_request"');
  }
  if (error?.code === 'INSUFFICIENT_SCOPE') {
    const wanted = typeof error.data.scope === 'string' ? error.data.scope.split(' ') : [];
    const tokenScopes = [...scopeMapOf(config.jwtScopeMap)]
      .filter(([, ours]) => ours.some((s) => wanted.includes(s)))
      .map(([name]) => name);
    parts.push('error="insufficient_scope"', `scope="${tokenScopes.join(' ')}"`);
  }
  return parts.length === 0 ? 'Bearer' : `Bearer ${parts.join(', ')}`;
}
