/**
 * Graceful drain: counts the MCP requests in flight, refuses new ones with 503 SHUTTING_DOWN + Retry-After once
 * draining began, and waits for the in-flight ones up to a grace period.
 */
import type { ServerResponse } from 'node:http';
import { BrutalistError } from '../errors/index.js';
import type { Clock } from '../infra/index.js';
import { type ProcessHost, realProcess } from './exit.js';

export interface DrainOutcome {
  /** Every request in flight at the start finished within the grace period. */
  readonly drained: boolean;
  /** Requests still open when the grace period ended (0 when drained). */
  readonly remaining: number;
}

export class Drain {
  private inflightCount = 0;
  private drainingNow = false;
  private readonly idleWaiters: Array<() => void> = [];

  constructor(
    private readonly clock: Clock,
    private readonly retryAfterMs: number,
  ) {}

  get inflight(): number {
    return this.inflightCount;
  }

  get draining(): boolean {
    return this.drainingNow;
  }

  /**
   * Admits one request until its response closes, or refuses it while draining (the connection is not reused:
   * the client's retry opens a new one, to another instance behind a balancer).
   */
  enter(res: ServerResponse): void {
    if (this.drainingNow) {
      res.setHeader('Connection', 'close');
      throw new BrutalistError('SHUTTING_DOWN', undefined, { data: { retryAfterMs: this.retryAfterMs } });
    }
    this.inflightCount++;
    res.once('close', () => this.leave());
  }

  /** Refuses from now on; resolves once nothing is in flight or after graceMs, whichever comes first. */
  async start(graceMs: number): Promise<DrainOutcome> {
    this.drainingNow = true;
    if (this.inflightCount === 0) return { drained: true, remaining: 0 };
    const drained = await new Promise<boolean>((resolve) => {
      const timer = this.clock.setTimeout(() => resolve(false), graceMs);
      this.idleWaiters.push(() => {
        this.clock.clearTimeout(timer);
        resolve(true);
      });
    });
    return { drained, remaining: drained ? 0 : this.inflightCount };
  }

  private leave(): void {
    this.inflightCount = Math.max(0, this.inflightCount - 1);
    if (this.inflightCount > 0) return;
    for (const wake of this.idleWaiters.splice(0)) wake();
  }
}

/**
 * Resolves true once `tracker` has no call in flight, or false after graceMs (stdio: stdin EOF lets the answers
 * already being worked on go out before the process ends).
 */
export function untilIdle(
  tracker: { readonly inflight: number; onFinish(listener: () => void): () => void },
  clock: Clock,
  graceMs: number,
): Promise<boolean> {
  if (tracker.inflight === 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (idle: boolean) => {
      unsubscribe();
      clock.clearTimeout(timer);
      resolve(idle);
    };
    const unsubscribe = tracker.onFinish(() => {
      if (tracker.inflight === 0) done(true);
    });
    const timer = clock.setTimeout(() => done(false), graceMs);
  });
}

/**
 * The first SIGTERM/SIGINT runs `shutdown` once, then exits 0 (or 1 when it threw); a second signal exits at once
 * with 128 + signal (130/143) after `force` (which kills the critics' process groups without waiting).
 */
export function drainOnSignal(
  shutdown: () => Promise<void>,
  force: () => void,
  host: ProcessHost = realProcess,
): void {
  let stopping = false;
  // The exit code by the handler's own signal, not by the listener's argument (an emitter may pass none).
  const onSignal = (forcedExitCode: number) => {
    if (stopping) {
      force();
      host.exit(forcedExitCode);
      return;
    }
    stopping = true;
    shutdown().then(
      () => host.exit(0),
      () => host.exit(1),
    );
  };
  host.signals.on('SIGINT', () => onSignal(130));
  host.signals.on('SIGTERM', () => onSignal(143));
}
