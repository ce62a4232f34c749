/** SessionRegistry with a manual clock: per-principal and server limits, reservations, idle expiry, shutdown. */
import { describe, expect, it } from 'vitest';
import { isBrutalistError } from '../../src/errors/index.js';
import { SessionRegistry } from '../../src/http/index.js';
import { ManualClock } from '../../src/infra/index.js';

const LIMITS = { idleMs: 10_000, maxSessions: 3, maxPerPrincipal: 2 };

function setup(limits = LIMITS) {
  const clock = new ManualClock();
  const registry = new SessionRegistry(clock, limits);
  const closed: string[] = [];
  const open = (id: string, principal: string) =>
    registry.add(id, principal, { close: async () => void closed.push(id) }, registry.reserve(principal));
  return { clock, registry, closed, open };
}

function refusal(fn: () => unknown): { code: string; data: unknown } | undefined {
  try {
    fn();
  } catch (err) {
    if (isBrutalistError(err)) return { code: err.code, data: err.data };
    throw err;
  }
  return undefined;
}

const settle = () => new Promise((r) => setImmediate(r));

describe('SessionRegistry limits', () => {
  it('refuses a principal past maxPerPrincipal, and the server past maxSessions, with TOO_MANY_SESSIONS', () => {
    const { registry, open } = setup();
    open('a1', 'alice');
    open('a2', 'alice');
    expect(refusal(() => registry.reserve('alice'))).toEqual({
      code: 'TOO_MANY_SESSIONS',
      data: { limit: 2, scope: 'principal' },
    });
    const pending = registry.reserve('bob');
    expect(refusal(() => registry.reserve('carol'))).toEqual({
      code: 'TOO_MANY_SESSIONS',
      data: { limit: 3, scope: 'server' },
    });
    pending.release();
    pending.release();
    expect(registry.countOf('bob')).toBe(0);
    expect(registry.reserve('carol')).toBeDefined();
  });

  it('answers nothing for another principal’s session id, the same as for an unknown one', () => {
    const { registry, open } = setup();
    open('a1', 'alice');
    expect(registry.get('a1', 'bob')).toBeUndefined();
    expect(registry.get('zz', 'alice')).toBeUndefined();
    expect(registry.get('a1', 'alice')?.principal).toBe('alice');
  });
});

describe('SessionRegistry idle expiry', () => {
  it('ends a session idle for idleMs on the sweep timer, closing its resources', async () => {
    const { registry, open, clock, closed } = setup();
    open('a1', 'alice');
    clock.advance(4_999);
    expect(registry.get('a1', 'alice')).toBeDefined();
    expect(registry.sweep()).toBe(0); // nothing idle long enough yet
    clock.advance(10_000);
    expect(registry.size).toBe(0); // the sweep timer (every idleMs / 2) ended it
    await settle();
    expect(closed).toEqual(['a1']);
    expect(registry.countOf('alice')).toBe(0);
  });

  it('never ends a session with an exchange open, and counts idleness from when the exchange left', () => {
    const { registry, open, clock } = setup();
    const session = open('a1', 'alice');
    const leave = registry.enter(session);
    clock.advance(60_000);
    expect(registry.sweep()).toBe(0);
    leave();
    leave();
    expect(session.open).toBe(0);
    clock.advance(9_999);
    expect(registry.get('a1', 'alice')).toBeDefined();
    clock.advance(1);
    expect(registry.get('a1', 'alice')).toBeUndefined();
    expect(registry.size).toBe(0);
  });

  it('ends a session found idle on read even between sweeps', async () => {
    const { registry, open, clock, closed } = setup({ ...LIMITS, idleMs: 300_000 });
    open('a1', 'alice');
    // The sweep runs every 60 s at most; read it at exactly idleMs, before a sweep sees it.
    clock.advance(299_999);
    const session = registry.get('a1', 'alice')!;
    registry.enter(session)();
    clock.advance(300_000);
    expect(registry.get('a1', 'alice')).toBeUndefined();
    await settle();
    expect(closed).toEqual(['a1']);
  });
});

describe('SessionRegistry shutdown', () => {
  it('ends every session, stops its sweep and refuses new ones with SHUTTING_DOWN', async () => {
    const { registry, open, clock, closed } = setup();
    open('a1', 'alice');
    open('b1', 'bob');
    await registry.closeAll();
    expect(closed.sort()).toEqual(['a1', 'b1']);
    expect(clock.pendingTimers()).toBe(0);
    expect(refusal(() => registry.reserve('alice'))?.code).toBe('SHUTTING_DOWN');
    await registry.end('a1'); // already gone: nothing to do
  });

  it('ends a session whose resources fail to close all the same', async () => {
    const clock = new ManualClock();
    const registry = new SessionRegistry(clock, LIMITS);
    registry.add(
      'x',
      'alice',
      { close: async () => Promise.reject(new Error('boom')) },
      registry.reserve('alice'),
    );
    await registry.end('x');
    expect(registry.size).toBe(0);
    expect(registry.countOf('alice')).toBe(0);
    await registry.closeAll();
  });
});
