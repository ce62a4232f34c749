/**
 * MCP sessions of the HTTP service: one transport and one server each, bound to the principal that opened it,
 * counted per principal, ended by DELETE, by idle expiry or at shutdown.
 */
import { BrutalistError } from '../errors/index.js';
import type { Clock, TimerHandle } from '../infra/index.js';

/** What a session holds open; `close` ends its transport and server (idempotent). */
export interface SessionResources {
  close(): Promise<void>;
}

export interface Session<R extends SessionResources = SessionResources> {
  readonly id: string;
  readonly principal: string;
  readonly resources: R;
  lastActiveAt: number;
  /** HTTP exchanges (requests, SSE streams) open on it: a session with one open is never idle. */
  open: number;
}

export interface SessionLimits {
  readonly idleMs: number;
  readonly maxSessions: number;
  readonly maxPerPrincipal: number;
}

/** A slot taken before a session exists (so concurrent initializes cannot overshoot the limits). */
export interface Reservation {
  release(): void;
}

const MAX_SWEEP_INTERVAL_MS = 60_000;

export class SessionRegistry<R extends SessionResources = SessionResources> {
  private readonly sessions = new Map<string, Session<R>>();
  private readonly perPrincipal = new Map<string, number>();
  private reserved = 0;
  private sweepTimer: TimerHandle | undefined;
  private closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly limits: SessionLimits,
  ) {
    this.scheduleSweep();
  }

  get size(): number {
    return this.sessions.size;
  }

  countOf(principal: string): number {
    return this.perPrincipal.get(principal) ?? 0;
  }

  /** Takes a slot for a new session of `principal`, or TOO_MANY_SESSIONS. */
  reserve(principal: string): Reservation {
    if (this.closed) throw new BrutalistError('SHUTTING_DOWN');
    const mine = this.countOf(principal);
    if (mine >= this.limits.maxPerPrincipal) {
      throw new BrutalistError('TOO_MANY_SESSIONS', undefined, {
        data: { limit: this.limits.maxPerPrincipal, scope: 'principal' },
      });
    }
    if (this.sessions.size + this.reserved >= this.limits.maxSessions) {
      throw new BrutalistError('TOO_MANY_SESSIONS', undefined, {
        data: { limit: this.limits.maxSessions, scope: 'server' },
      });
    }
    this.reserved++;
    this.perPrincipal.set(principal, mine + 1);
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        this.reserved--;
        this.decrement(principal);
      },
    };
  }

  /** Turns a reservation into a live session. */
  add(id: string, principal: string, resources: R, reservation: Reservation): Session<R> {
    reservation.release();
    const session: Session<R> = { id, principal, resources, lastActiveAt: this.clock.now(), open: 0 };
    this.sessions.set(id, session);
    this.perPrincipal.set(principal, this.countOf(principal) + 1);
    return session;
  }

  /**
   * The session `id` of `principal`; undefined when there is none, it expired, or it is another principal's
   * (the same answer for all three, so an id cannot be probed with a different token).
   */
  get(id: string, principal: string): Session<R> | undefined {
    const session = this.sessions.get(id);
    if (!session || session.principal !== principal) return undefined;
    if (this.expired(session)) {
      void this.end(id);
      return undefined;
    }
    return session;
  }

  /** Marks an exchange open on the session until the returned function is called. */
  enter(session: Session<R>): () => void {
    session.open++;
    session.lastActiveAt = this.clock.now();
    let left = false;
    return () => {
      if (left) return;
      left = true;
      session.open--;
      session.lastActiveAt = this.clock.now();
    };
  }

  /** Forgets the session and closes what it holds (its transport's own close lands here too). */
  async end(id: string): Promise<void> {
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    this.decrement(session.principal);
    await session.resources.close().catch(() => {});
  }

  /** Ends every session and stops the sweep. */
  async closeAll(): Promise<void> {
    this.closed = true;
    if (this.sweepTimer !== undefined) this.clock.clearTimeout(this.sweepTimer);
    await Promise.all([...this.sessions.keys()].map((id) => this.end(id)));
  }

  /** Ends the sessions idle for idleMs; returns how many. */
  sweep(): number {
    let ended = 0;
    for (const session of [...this.sessions.values()]) {
      if (this.expired(session)) {
        ended++;
        void this.end(session.id);
      }
    }
    return ended;
  }

  private expired(session: Session<R>): boolean {
    return session.open === 0 && this.clock.now() - session.lastActiveAt >= this.limits.idleMs;
  }

  private decrement(principal: string): void {
    const left = this.countOf(principal) - 1;
    if (left > 0) this.perPrincipal.set(principal, left);
    else this.perPrincipal.delete(principal);
  }

  private scheduleSweep(): void {
    const every = Math.max(1, Math.min(MAX_SWEEP_INTERVAL_MS, Math.floor(this.limits.idleMs / 2)));
    this.sweepTimer = this.clock.setTimeout(() => {
      if (this.closed) return;
      this.sweep();
      this.scheduleSweep();
    }, every);
  }
}
