/**
 * Browser sessions of `/dashboard`: an admin token posted once to the login form buys a random session id, kept
 * in an HttpOnly SameSite=Strict cookie scoped to /dashboard; the token itself never reaches the browser's storage.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../infra/index.js';
import type { Principal } from './keys.js';

export const DASHBOARD_COOKIE = 'brutalist_dashboard';

export interface DashboardSessionOptions {
  readonly ttlMs: number;
  readonly maxSessions: number;
}

export class DashboardSessions {
  /** Insertion order is age order: the first entry is the oldest. */
  private readonly sessions = new Map<string, { principal: Principal; expiresAt: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly options: DashboardSessionOptions,
  ) {}

  /** A new session for `principal`; returns its Set-Cookie value. Past maxSessions the oldest is dropped. */
  open(principal: Principal, secure: boolean): string {
    this.prune();
    while (this.sessions.size >= this.options.maxSessions) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(id, { principal, expiresAt: this.clock.now() + this.options.ttlMs });
    const maxAgeS = Math.floor(this.options.ttlMs / 1000);
    const attributes = `Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure ? '; Secure' : ''}`;
    return `${DASHBOARD_COOKIE}=${id}; ${attributes}`;
  }

  /** The principal of the request's dashboard cookie, if it names a live session. */
  principalOf(cookieHeader: string | undefined): Principal | undefined {
    const id = cookieValue(cookieHeader, DASHBOARD_COOKIE);
    if (id === undefined) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    if (session.expiresAt <= this.clock.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    return session.principal;
  }

  /** Ends the request's session; returns the Set-Cookie value that clears the cookie. */
  close(cookieHeader: string | undefined): string {
    const id = cookieValue(cookieHeader, DASHBOARD_COOKIE);
    if (id !== undefined) this.sessions.delete(id);
    return `${DASHBOARD_COOKIE}=; Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age=0`;
  }

  get size(): number {
    return this.sessions.size;
  }

  private prune(): void {
    const now = this.clock.now();
    for (const [id, session] of this.sessions) if (session.expiresAt <= now) this.sessions.delete(id);
  }
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}
