/** Retries: which failures are transient, exponential backoff with full jitter, and a per-key retry budget. */
import { ExponentialBackoff, type GeneratorFn, type IBackoff, noJitterGenerator } from 'cockatiel';
import type { BrutalistError } from '../errors/index.js';
import type { Clock } from '../infra/index.js';

/** Codes that mean "the process died before saying anything": worth one more try when no output arrived. */
const CRASH_CODES = new Set(['CLI_KILLED', 'CLI_FAILED', 'CLI_SPAWN_FAILED']);

/** Runs that ended on one of our watchdogs: the CLI already spent that time retrying on its own. */
const WATCHDOG_EXITS = new Set(['stalled', 'timeout']);

/**
 * Transient: RATE_LIMITED (unless the CLI already retried it until a watchdog stopped it), or a crash before any
 * output. Never QUEUE_FULL, CIRCUIT_OPEN, OVERLOADED, validation errors, cancellation or deadline expiry: those
 * say retrying now cannot help.
 */
export function isTransient(error: BrutalistError, outputBytes: number): boolean {
  if (error.code === 'RATE_LIMITED') return !WATCHDOG_EXITS.has(String(error.data.exitClass));
  return CRASH_CODES.has(error.code) && outputBytes === 0;
}

export interface BackoffOptions {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Uniform in [0, 1); injectable so tests can pin the jitter. */
  readonly random?: () => number;
}

/**
 * Delays before retry 1, 2, ...: "full jitter" (uniform in [0, min(max, base × 2^n)) ), the schedule of
 * cockatiel's ExponentialBackoff with a jitter source we can inject.
 */
export function fullJitterBackoff(options: BackoffOptions): { next(): number } {
  const random = options.random ?? Math.random;
  const generator: GeneratorFn<number> = (state, opts) => {
    const [ceiling, next] = noJitterGenerator(state, opts);
    return [Math.floor(random() * ceiling), next];
  };
  const factory = new ExponentialBackoff<number>({
    initialDelay: options.baseDelayMs,
    maxDelay: options.maxDelayMs,
    exponent: 2,
    generator,
  });
  let backoff: IBackoff<unknown> | undefined;
  return {
    next: () => {
      backoff = backoff ? backoff.next(undefined) : factory.next();
      return backoff.duration;
    },
  };
}

export interface RetryBudgetOptions {
  /** Retries allowed per window as a percentage of first attempts in it. */
  readonly ratioPct: number;
  /** Retries allowed per window regardless of traffic (the budget is the larger of the two). */
  readonly minPerWindow: number;
  readonly windowMs: number;
}

/** Buckets the budget window is split into: memory stays constant whatever the traffic. */
const BUCKETS = 12;

/**
 * Caps retries of one key to max(minPerWindow, ratioPct% of first attempts) over a sliding window (kept in
 * BUCKETS time buckets), so a failing vendor sees at most that many extra calls however many callers retry.
 */
export class RetryBudget {
  private readonly bucketMs: number;
  private readonly requests = new Array<number>(BUCKETS).fill(0);
  private readonly retries = new Array<number>(BUCKETS).fill(0);
  private bucketIndex = 0;
  private bucketStart: number;

  constructor(
    private readonly options: RetryBudgetOptions,
    private readonly clock: Clock,
  ) {
    this.bucketMs = Math.max(1, Math.ceil(options.windowMs / BUCKETS));
    this.bucketStart = clock.now();
  }

  /** Counts a first attempt. */
  recordRequest(): void {
    this.roll();
    this.requests[this.bucketIndex]!++;
  }

  /** Takes one retry from the budget; false when it is spent. */
  tryRetry(): boolean {
    const { requests, retries } = this.usage();
    const allowed = Math.max(this.options.minPerWindow, Math.floor((requests * this.options.ratioPct) / 100));
    if (retries >= allowed) return false;
    this.retries[this.bucketIndex]!++;
    return true;
  }

  /** First attempts and retries in the current window. */
  usage(): { requests: number; retries: number } {
    this.roll();
    return { requests: sum(this.requests), retries: sum(this.retries) };
  }

  /** Advances to the bucket of `now`, clearing the buckets that fell out of the window. */
  private roll(): void {
    const steps = Math.floor((this.clock.now() - this.bucketStart) / this.bucketMs);
    if (steps <= 0) return;
    for (let i = 0; i < Math.min(steps, BUCKETS); i++) {
      this.bucketIndex = (this.bucketIndex + 1) % BUCKETS;
      this.requests[this.bucketIndex] = 0;
      this.retries[this.bucketIndex] = 0;
    }
    this.bucketStart += steps * this.bucketMs;
  }
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
