/** The guard's policies, each one `execute(fn, attempt)`, and `wrap` that composes them outermost first. */
import { BrutalistError, toBrutalistError } from '../errors/index.js';
import { type Clock, traceStep } from '../infra/index.js';
import type { AdmissionQueue } from './admission.js';
import type { CircuitBreaker } from './breaker.js';
import { retryChannel } from './events.js';
import { outcomeOf } from './outcome.js';
import { isTransient, type RetryBudget } from './retry.js';
import type { LoadShedder } from './shedder.js';

/** One guarded call of one key (a critic), shared by its policies; retry hands each attempt a fresh copy. */
export interface Attempt {
  readonly key: string;
  readonly priority: number;
  readonly caller: string;
  readonly deadlineAt: number;
  readonly signal: AbortSignal;
  readonly onQueued?: (position: number, estimatedWaitMs: number | undefined) => void;
  /** Set by admission when the slot is granted: the breaker and the deadline judge the run from here. */
  startedAt?: number;
  /** Output bytes this attempt produced (a crash after output is not retried). */
  outputBytes: number;
}

export interface Policy {
  execute<T>(fn: (attempt: Attempt) => Promise<T>, attempt: Attempt): Promise<T>;
}

/** `wrap(a, b, c).execute(fn)` runs a(b(c(fn))): the first policy is the outermost. */
export function wrap(...policies: readonly Policy[]): Policy {
  return {
    execute: (fn, attempt) =>
      policies.reduceRight<typeof fn>((inner, policy) => (a) => policy.execute(inner, a), fn)(attempt),
  };
}

export function deadlineExceeded(
  key: string,
  phase: 'admission' | 'running',
  cause?: unknown,
): BrutalistError {
  return new BrutalistError(
    'DEADLINE_EXCEEDED',
    phase === 'running'
      ? `${key} was stopped at the request deadline.`
      : 'The request deadline passed before the critic could start.',
    { data: { critic: key, phase }, ...(cause ? { cause } : {}) },
  );
}

/**
 * Refuses an attempt that is cancelled or past its deadline, and names a CLI_TIMEOUT that the request deadline
 * (not the CLI's own `cliTimeoutMs`) caused DEADLINE_EXCEEDED — after the breaker has counted it as a timeout.
 */
export function deadlinePolicy(clock: Clock, cliTimeoutMs: number): Policy {
  return {
    async execute(fn, attempt) {
      if (attempt.signal.aborted) throw new BrutalistError('CANCELLED');
      if (clock.now() >= attempt.deadlineAt) throw deadlineExceeded(attempt.key, 'admission');
      try {
        return await fn(attempt);
      } catch (err) {
        const error = toBrutalistError(err);
        const { startedAt } = attempt;
        if (
          error.code === 'CLI_TIMEOUT' &&
          startedAt !== undefined &&
          attempt.deadlineAt - startedAt < cliTimeoutMs
        ) {
          throw deadlineExceeded(attempt.key, 'running', error);
        }
        throw error;
      }
    },
  };
}

/** Sheds the attempt's priority under pressure (OVERLOADED); `sampleFirst` takes a fresh reading each time. */
export function sheddingPolicy(shedder: LoadShedder, sampleFirst: boolean): Policy {
  return {
    execute(fn, attempt) {
      if (sampleFirst) shedder.sample();
      shedder.check(attempt.priority);
      return fn(attempt);
    },
  };
}

/**
 * Takes a breaker permit before queueing (CIRCUIT_OPEN never waits in line) and reports the outcome timed from
 * admission; an attempt that never started is ignored.
 */
export function circuitBreakerPolicy(clock: Clock, breaker: CircuitBreaker): Policy {
  return {
    async execute(fn, attempt) {
      const permit = breaker.acquire(attempt.deadlineAt);
      try {
        const result = await fn(attempt);
        permit.release('success', clock.now() - (attempt.startedAt ?? clock.now()));
        return result;
      } catch (err) {
        const { startedAt } = attempt;
        if (startedAt === undefined) permit.release('ignored');
        else {
          const code = toBrutalistError(err).code;
          permit.release(outcomeOf(code, attempt.signal.aborted), clock.now() - startedAt);
        }
        throw err;
      }
    },
  };
}

/**
 * Waits for a slot in the bounded priority queue, then runs with what is left of the deadline (none left:
 * DEADLINE_EXCEEDED without running); the slot is released when the run ends.
 */
export function admissionPolicy(clock: Clock, queue: AdmissionQueue, onAdmitted?: () => void): Policy {
  return {
    async execute(fn, attempt) {
      const slot = await traceStep('admission', { critic: attempt.key, priority: attempt.priority }, () =>
        queue.acquire({
          key: attempt.key,
          priority: attempt.priority,
          caller: attempt.caller,
          deadlineAt: attempt.deadlineAt,
          signal: attempt.signal,
          ...(attempt.onQueued ? { onQueued: attempt.onQueued } : {}),
        }),
      );
      try {
        onAdmitted?.();
        const now = clock.now();
        if (attempt.deadlineAt - now <= 0) throw deadlineExceeded(attempt.key, 'admission');
        attempt.startedAt = now;
        return await fn(attempt);
      } finally {
        slot.release();
      }
    },
  };
}

export interface RetryPolicyOptions {
  readonly clock: Clock;
  readonly maxAttempts: number;
  readonly budget: RetryBudget;
  readonly backoff: { next(): number };
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * Retries transient failures (isTransient) up to maxAttempts, after a backoff that must end before the
 * deadline, while the key's retry budget allows; each attempt gets a fresh Attempt.
 */
export function retryPolicy(options: RetryPolicyOptions): Policy {
  const { clock, budget, backoff } = options;
  return {
    async execute(fn, first) {
      budget.recordRequest();
      for (let n = 1; ; n++) {
        const attempt: Attempt = { ...first, outputBytes: 0 };
        delete attempt.startedAt;
        let error: BrutalistError;
        try {
          return await fn(attempt);
        } catch (err) {
          error = toBrutalistError(err);
        }
        if (n >= options.maxAttempts || first.signal.aborted || !isTransient(error, attempt.outputBytes)) {
          throw error;
        }
        const delayMs = backoff.next();
        if (clock.now() + delayMs >= first.deadlineAt || !budget.tryRetry()) throw error;
        if (retryChannel.hasSubscribers)
          retryChannel.publish({ key: first.key, code: error.code, attempt: n + 1, delayMs });
        await options.sleep(delayMs, first.signal);
      }
    },
  };
}
