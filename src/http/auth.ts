/**
 * Who a request is: the bearer token checked against the API keys, then against any alternative authenticator
 * (the OAuth/JWT resource-server mode plugs in here); with no keys configured, the loopback user.
 */
import { bearerOf, type KeyRing, type Principal, SCOPES } from './keys.js';

/** An alternative way to accept a bearer token (e.g. a JWT checked against a JWKS): its principal, or null. */
export type BearerAuthenticator = (token: string) => Promise<Principal | null>;

export type AuthResult =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly reason: 'missing' | 'malformed' | 'invalid' };

/** The principal of every request when authentication is off (loopback only): the local user, every scope. */
export const LOCAL_PRINCIPAL: Principal = Object.freeze({ name: 'local', scopes: new Set(SCOPES) });

export class Authenticator {
  constructor(
    private readonly keys: KeyRing | undefined,
    private readonly alternatives: readonly BearerAuthenticator[] = [],
  ) {}

  /** Whether requests must carry a token (keys or an alternative configured). */
  get required(): boolean {
    return this.keys !== undefined || this.alternatives.length > 0;
  }

  async authenticate(authorization: string | undefined): Promise<AuthResult> {
    if (!this.required) return { ok: true, principal: LOCAL_PRINCIPAL };
    const token = bearerOf(authorization);
    if (token === undefined) return { ok: false, reason: 'missing' };
    if (token === null) return { ok: false, reason: 'malformed' };
    const principal = this.keys?.authenticate(token) ?? null;
    if (principal) return { ok: true, principal };
    for (const alternative of this.alternatives) {
      const other = await alternative(token).catch(() => null);
      if (other) return { ok: true, principal: other };
    }
    return { ok: false, reason: 'invalid' };
  }
}

const REALM = 'Bearer realm="brutalist-mcp"';

/** RFC 6750 challenge for a 401 (no error attribute when no credentials were sent). */
export function challenge(reason: 'missing' | 'malformed' | 'invalid'): string {
  if (reason === 'missing') return REALM;
  return `${REALM}, error="${reason === 'malformed' ? 'invalid_request' : 'invalid_token'}"`;
}

/** RFC 6750 challenge for a 403 naming the scope the call needs. */
export function scopeChallenge(scope: string): string {
  return `${REALM}, error="insufficient_scope", scope="${scope}"`;
}
