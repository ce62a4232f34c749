/** Locks with fencing in the SQLite file: a row per held lock, and each key's latest fence kept past its lock. */
import type Database from 'better-sqlite3';
import { type Clock, newToken } from '../infra/index.js';
import type { Statements } from './sqlite-statements.js';
import type { LockLease } from './types.js';
import { FENCE_RETENTION_MS } from './validate.js';

/** The lock steps on checked arguments; the store validates, maps SQLite errors, and refuses calls once closed. */
export class SqliteLocks {
  private readonly grant: Database.Transaction<(key: string, ttlMs: number) => LockLease | null>;

  constructor(
    db: Database.Database,
    private readonly q: Statements,
    private readonly clock: Clock,
  ) {
    this.grant = db.transaction((key: string, ttlMs: number): LockLease | null => {
      const now = this.clock.now();
      const held = this.q.getLock.get(key) as { expires_at: number } | undefined;
      if (held && held.expires_at > now) return null;
      const fence = Number((this.q.nextFence.get() as { value: string }).value);
      const token = newToken();
      const expiresAt = now + ttlMs;
      this.q.putLock.run(key, token, fence, expiresAt);
      this.q.putFence.run(key, fence, expiresAt + FENCE_RETENTION_MS);
      return { key, token, fence, expiresAt };
    });
  }

  /** Grants the lock unless a live holder has it, with the next fence of the file (one write transaction). */
  acquire(key: string, ttlMs: number): LockLease | null {
    return this.grant.immediate(key, ttlMs);
  }

  extend(lease: LockLease, key: string, ttlMs: number): LockLease | null {
    const now = this.clock.now();
    const expiresAt = now + ttlMs;
    const changed = this.q.extendLock.run(expiresAt, key, lease.token, now).changes;
    if (changed === 0) return null;
    this.q.extendFence.run(expiresAt + FENCE_RETENTION_MS, key, lease.fence);
    return { ...lease, expiresAt };
  }

  /** Deletes the lock when this token holds it; true only if it had not expired yet. */
  release(key: string, token: string): boolean {
    const row = this.q.releaseLock.get(key, token) as { expires_at: number } | undefined;
    return row !== undefined && row.expires_at > this.clock.now();
  }
}
