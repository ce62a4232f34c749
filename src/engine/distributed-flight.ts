/** Single-flight across processes: one lock per request key in the shared store, fenced cache writes, bounded waits. */
import { BrutalistError, isBrutalistError } from '../errors/index.js';
import type { Clock } from '../infra/index.js';
import type { LockLease, StateStore } from '../state/index.js';

export interface DistributedFlightOptions {
  /** Lease length; renewed every third of it while the work runs, so a dead holder frees the key after it. */
  readonly lockTtlMs: number;
  /** How often a waiter looks for the holder's result (and for a free lock). */
  readonly lockPollMs: number;
  /** Longest a waiter waits on a live holder before running the work itself. */
  readonly maxWaitMs: number;
}

export type FlightOutcome<T> =
  | { readonly kind: 'ran'; readonly value: T; readonly fence: number | undefined }
  | { readonly kind: 'shared'; readonly value: T };

/**
 * Runs `work` under the store lock on `key`, so the same request arriving at several instances runs once:
 * the holder runs it and publishes its result (writes the cache with its fence) inside `work`, before the lock
 * is released; the others poll `readShared` (the cache) until the entry appears, and take the lock themselves
 * when the holder released it without a result or died (its lease lapsed). Whoever wins the lock reads the
 * shared result once more before running: a holder may have published and released between a waiter's last
 * poll and its acquire. A waiter gives up waiting after maxWaitMs and runs the work unlocked. A store that is
 * unavailable means no sharing: the work runs unlocked at once.
 */
export class DistributedFlight {
  constructor(
    private readonly store: StateStore,
    private readonly clock: Clock,
    private readonly options: DistributedFlightOptions,
  ) {}

  async run<T>(
    key: string,
    signal: AbortSignal,
    readShared: () => Promise<T | null>,
    work: (fence: number | undefined) => Promise<T>,
  ): Promise<FlightOutcome<T>> {
    const waitUntil = this.clock.now() + this.options.maxWaitMs;
    for (;;) {
      let lease: LockLease | null;
      try {
        lease = await this.store.acquireLock(key, this.options.lockTtlMs);
      } catch (err) {
        if (!isUnavailable(err)) throw err;
        return { kind: 'ran', value: await work(undefined), fence: undefined };
      }
      if (lease) {
        const published = await this.readSafely(readShared).catch(async (err: unknown) => {
          await this.store.releaseLock(lease).catch(() => false);
          throw err;
        });
        if (published !== null) {
          await this.store.releaseLock(lease).catch(() => false);
          return { kind: 'shared', value: published };
        }
        return { kind: 'ran', value: await this.holding(lease, work), fence: lease.fence };
      }
      if (this.clock.now() >= waitUntil)
        return { kind: 'ran', value: await work(undefined), fence: undefined };
      await this.sleep(this.options.lockPollMs, signal);
      const shared = await this.readSafely(readShared);
      if (shared !== null) return { kind: 'shared', value: shared };
    }
  }

  /** The shared result, or null when there is none yet or the store cannot say. */
  private readSafely<T>(readShared: () => Promise<T | null>): Promise<T | null> {
    return readShared().catch((err: unknown) => {
      if (isUnavailable(err)) return null;
      throw err;
    });
  }

  private async holding<T>(lease: LockLease, work: (fence: number) => Promise<T>): Promise<T> {
    let current: LockLease | null = lease;
    let timer = this.clock.setTimeout(renew, Math.max(1, Math.floor(this.options.lockTtlMs / 3)));
    const self = this;
    function renew(): void {
      if (!current) return;
      void self.store
        .extendLock(current, self.options.lockTtlMs)
        .catch(() => current)
        .then((next) => {
          // A lost lease is not fatal: the work goes on, and its fence is refused at the cache write.
          current = next;
          if (current)
            timer = self.clock.setTimeout(renew, Math.max(1, Math.floor(self.options.lockTtlMs / 3)));
        });
    }
    try {
      return await work(lease.fence);
    } finally {
      this.clock.clearTimeout(timer);
      const held = current;
      current = null;
      if (held) await this.store.releaseLock(held).catch(() => false);
    }
  }

  private sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(new BrutalistError('CANCELLED'));
        return;
      }
      const onAbort = () => {
        this.clock.clearTimeout(timer);
        reject(new BrutalistError('CANCELLED'));
      };
      const timer = this.clock.setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function isUnavailable(err: unknown): boolean {
  return isBrutalistError(err) && err.code === 'STATE_UNAVAILABLE';
}
