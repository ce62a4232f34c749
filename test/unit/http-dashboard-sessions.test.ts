// Dashboard browser sessions on a manual clock: expiry at the TTL, the oldest dropped past maxSessions, logout, and
// cookies that do not name a session.
import { describe, expect, it } from 'vitest';
import { DASHBOARD_COOKIE, DashboardSessions, type Principal } from '../../src/http/index.js';
import { ManualClock } from '../../src/infra/index.js';

const admin = (name: string): Principal => ({ name, scopes: new Set(['admin']) });
/** The Cookie header a browser sends back for a Set-Cookie value. */
const cookieOf = (setCookie: string) => `other=1; ${setCookie.split(';')[0]}`;

describe('DashboardSessions', () => {
  it('sets an HttpOnly SameSite=Strict cookie scoped to /dashboard, Secure only behind https', () => {
    const sessions = new DashboardSessions(new ManualClock(0), { ttlMs: 60_500, maxSessions: 4 });
    const plain = sessions.open(admin('a'), false);
    expect(plain).toMatch(
      new RegExp(`^${DASHBOARD_COOKIE}=[\\w-]{43}; Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age=60$`),
    );
    expect(sessions.open(admin('b'), true)).toMatch(/; Max-Age=60; Secure$/);
  });

  it('knows a session until its TTL, then forgets it', () => {
    const clock = new ManualClock(1_000);
    const sessions = new DashboardSessions(clock, { ttlMs: 10_000, maxSessions: 4 });
    const cookie = cookieOf(sessions.open(admin('ops'), false));
    clock.advance(9_999);
    expect(sessions.principalOf(cookie)?.name).toBe('ops');
    clock.advance(1);
    expect(sessions.principalOf(cookie)).toBeUndefined();
    expect(sessions.size).toBe(0);
  });

  it('drops the oldest session past maxSessions, and prunes expired ones before it', () => {
    const clock = new ManualClock(0);
    const sessions = new DashboardSessions(clock, { ttlMs: 10_000, maxSessions: 2 });
    const first = cookieOf(sessions.open(admin('first'), false));
    clock.advance(6_000);
    const second = cookieOf(sessions.open(admin('second'), false));
    const third = cookieOf(sessions.open(admin('third'), false));
    expect(sessions.principalOf(first)).toBeUndefined();
    expect(sessions.principalOf(second)?.name).toBe('second');
    // A new session first prunes the expired ones: both went at their TTL, so nothing live is dropped.
    clock.advance(10_000);
    sessions.open(admin('fourth'), false);
    expect(sessions.size).toBe(1);
    expect(sessions.principalOf(third)).toBeUndefined();
  });

  it('answers no principal for a missing header, another cookie or an unknown id', () => {
    const sessions = new DashboardSessions(new ManualClock(0), { ttlMs: 10_000, maxSessions: 2 });
    sessions.open(admin('a'), false);
    expect(sessions.principalOf(undefined)).toBeUndefined();
    expect(sessions.principalOf('other=1; =x')).toBeUndefined();
    expect(sessions.principalOf(`${DASHBOARD_COOKIE}=not-a-session`)).toBeUndefined();
  });

  it('ends the session at logout and clears the cookie, with or without one', () => {
    const sessions = new DashboardSessions(new ManualClock(0), { ttlMs: 10_000, maxSessions: 2 });
    const cookie = cookieOf(sessions.open(admin('a'), false));
    const cleared = `${DASHBOARD_COOKIE}=; Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age=0`;
    expect(sessions.close(cookie)).toBe(cleared);
    expect(sessions.principalOf(cookie)).toBeUndefined();
    expect(sessions.close(undefined)).toBe(cleared);
  });
});
