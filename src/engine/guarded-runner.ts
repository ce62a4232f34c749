/**
 * CriticGuard: wraps the CriticRunner so every critic call goes, in this order, through the request deadline,
 * load shedding, the critic's circuit breaker, bounded priority admission, and the run itself under what is
 * left of the deadline — with retries of transient failures inside a per-critic budget.
 */
import { type Config, CRITIC_NAMES, type CriticName, type PriorityName } from '../config/index.js';
import type { CriticAvailability, CriticResult } from '../critics/index.js';
import { BrutalistError, toBrutalistError } from '../errors/index.js';
import type { Clock } from '../infra/index.js';
import {
  type AdmissionPermit,
  AdmissionQueue,
  admissionLimitsFrom,
  type BreakerSnapshot,
  breakerPolicyFrom,
  CircuitBreaker,
  callerPrioritiesFrom,
  fullJitterBackoff,
  isTransient,
  LoadShedder,
  outcomeOf,
  type PressureReading,
  priorityLevel,
  processPressureProbe,
  RetryBudget,
} from '../resilience/index.js';
import type { CriticRunner } from './critic-runs.js';

/** Where one request stands: how urgent, whose, and until when. Shared by every critic call it makes. */
export interface GuardedCall {
  /** 0 = critical ... 3 = batch. */
  readonly priority: number;
  readonly caller: string;
  readonly deadlineAt: number;
  /** Place in line while a critic waits for a slot (position is 1-based per critic). */
  readonly onQueued?: (critic: CriticName, position: number, estimatedWaitMs: number | undefined) => void;
  /** The critic got its slot and is starting. */
  readonly onAdmitted?: (critic: CriticName) => void;
}

export interface CriticGuardDeps {
  readonly config: Config;
  readonly clock: Clock;
  /** The runner being guarded (runCritic bound to the engine's deps, or a benchmark's stand-in). */
  readonly runner: CriticRunner;
  /** Live child process groups, one of the load-shedding signals. */
  readonly children?: () => number;
  /** Replaces the process pressure probe (tests drive shedding with it; it is then sampled on demand). */
  readonly pressure?: () => PressureReading;
  /** Jitter source for retry backoff, uniform in [0, 1). */
  readonly random?: () => number;
}

/** The retry budget's window: the "extra calls per minute". */
const RETRY_BUDGET_WINDOW_MS = 60_000;

export class CriticGuard {
  readonly breakers: Readonly<Record<CriticName, CircuitBreaker>>;
  readonly admission: AdmissionQueue;
  readonly shedder: LoadShedder;
  private readonly budgets: Readonly<Record<CriticName, RetryBudget>>;
  private readonly callerPriorities: ReadonlyMap<string, PriorityName>;
  private readonly stopProbe: () => void;

  constructor(private readonly deps: CriticGuardDeps) {
    const { config, clock } = deps;
    const policy = breakerPolicyFrom(config);
    this.callerPriorities = callerPrioritiesFrom(config);
    this.breakers = perCritic((critic) => new CircuitBreaker({ name: critic, policy, clock }));
    this.budgets = perCritic(
      () =>
        new RetryBudget(
          {
            ratioPct: config.retryBudgetPct,
            minPerWindow: config.retryBudgetMinPerMinute,
            windowMs: RETRY_BUDGET_WINDOW_MS,
          },
          clock,
        ),
    );
    this.admission = new AdmissionQueue(admissionLimitsFrom(config), clock);
    const thresholds = {
      eventLoopDelayMs: config.shedEventLoopDelayMs,
      heapUsedPct: config.shedHeapUsedPct,
      maxChildren: config.shedMaxChildren,
      priorityLevels: 4,
    };
    if (deps.pressure) {
      this.shedder = new LoadShedder(thresholds, deps.pressure, clock);
      this.stopProbe = () => {};
    } else {
      const real = processPressureProbe(deps.children ?? (() => 0));
      this.shedder = new LoadShedder(thresholds, real.probe, clock);
      this.shedder.start();
      this.stopProbe = real.stop;
    }
  }

  /** The priority and deadline of one request: argument, else the caller's default, else defaultPriority. */
  callFor(priority: PriorityName | undefined, owner: string, timeoutMs: number | undefined): GuardedCall {
    const name =
      priority ?? this.callerPriorities.get(owner) ?? (this.deps.config.defaultPriority as PriorityName);
    const budget = Math.min(
      timeoutMs ?? this.deps.config.requestTimeoutMs,
      this.deps.config.requestTimeoutMs,
    );
    return {
      priority: priorityLevel(name),
      caller: owner,
      deadlineAt: this.deps.clock.now() + Math.max(1, budget),
    };
  }

  /** A CriticRunner bound to one request's priority, caller and deadline. */
  runner(call: GuardedCall): CriticRunner {
    return (critic, request, options) => this.run(call, critic, request, options);
  }

  /** Whether every one of `critics` would be refused by its breaker right now. */
  allRejecting(critics: readonly CriticName[]): boolean {
    return critics.length > 0 && critics.every((c) => this.breakers[c].rejecting);
  }

  /** CIRCUIT_OPEN for `critics`, with the soonest retryAfterMs among them. */
  circuitOpen(critics: readonly CriticName[]): BrutalistError {
    const retryAfterMs = Math.max(
      1,
      Math.min(...critics.map((c) => this.breakers[c].snapshot().retryAfterMs || Number.POSITIVE_INFINITY)),
    );
    const retry = Number.isFinite(retryAfterMs) ? retryAfterMs : 1_000;
    return new BrutalistError(
      'CIRCUIT_OPEN',
      `${critics.join(', ')} ${critics.length === 1 ? 'is' : 'are'} failing repeatedly and paused; retry in ${Math.ceil(retry / 1000)} s.`,
      { data: { critics: [...critics], retryAfterMs: retry } },
    );
  }

  /**
   * The first critic in preference order that is installed, not in `exclude`, and not refused by its breaker;
   * undefined when there is none.
   */
  async alternate(
    exclude: readonly CriticName[],
    availability: CriticAvailability,
  ): Promise<CriticName | undefined> {
    for (const critic of this.deps.config.criticPreference) {
      if (exclude.includes(critic) || this.breakers[critic].rejecting) continue;
      if ((await availability.check(critic)).available) return critic;
    }
    return undefined;
  }

  /** Breaker and queue state of one critic, for the roster. */
  status(critic: CriticName): { circuit: BreakerSnapshot; running: number; queued: number } {
    const queue = this.admission.snapshot().byKey[critic] ?? { running: 0, queued: 0 };
    return { circuit: this.breakers[critic].snapshot(), ...queue };
  }

  /** Whole-server capacity: slots, queue, pressure. */
  capacity(): {
    running: number;
    queued: number;
    maxConcurrent: number;
    maxQueueSize: number;
    pressure: ReturnType<LoadShedder['status']>;
  } {
    const { byKey: _byKey, ...totals } = this.admission.snapshot();
    return { ...totals, pressure: this.shedder.status() };
  }

  close(): void {
    this.shedder.stop();
    this.stopProbe();
    for (const critic of CRITIC_NAMES) this.breakers[critic].close();
  }

  // ---- one guarded critic call

  private async run(
    call: GuardedCall,
    critic: CriticName,
    request: Parameters<CriticRunner>[1],
    options: Parameters<CriticRunner>[2],
  ): Promise<CriticResult> {
    const { config, clock } = this.deps;
    const breaker = this.breakers[critic];
    const budget = this.budgets[critic];
    const backoff = fullJitterBackoff({
      baseDelayMs: config.retryBaseDelayMs,
      maxDelayMs: config.retryMaxDelayMs,
      ...(this.deps.random ? { random: this.deps.random } : {}),
    });
    budget.recordRequest();
    for (let attempt = 1; ; attempt++) {
      if (options.signal.aborted) throw new BrutalistError('CANCELLED');
      if (clock.now() >= call.deadlineAt) throw deadlineExceeded(critic, 'admission');
      if (this.deps.pressure) this.shedder.sample();
      this.shedder.check(call.priority);
      const permit = breaker.acquire(call.deadlineAt);
      let slot: AdmissionPermit;
      try {
        slot = await this.admission.acquire({
          key: critic,
          priority: call.priority,
          caller: call.caller,
          deadlineAt: call.deadlineAt,
          signal: options.signal,
          ...(call.onQueued
            ? {
                onQueued: (position: number, wait: number | undefined) =>
                  call.onQueued?.(critic, position, wait),
              }
            : {}),
        });
      } catch (err) {
        permit.release('ignored');
        throw err;
      }
      call.onAdmitted?.(critic);
      const startedAt = clock.now();
      let bytes = 0;
      let error: BrutalistError;
      try {
        const remainingMs = call.deadlineAt - startedAt;
        if (remainingMs <= 0) {
          permit.release('ignored');
          throw deadlineExceeded(critic, 'admission');
        }
        const result = await this.deps.runner(critic, request, {
          ...options,
          timeoutMs: remainingMs,
          onStdout: (chunk) => {
            bytes += chunk.length;
            options.onStdout(chunk);
          },
        });
        permit.release('success', clock.now() - startedAt);
        return result;
      } catch (err) {
        error = toBrutalistError(err);
        permit.release(outcomeOf(error.code, options.signal.aborted), clock.now() - startedAt);
        // The request deadline, not the CLI's own limit, stopped the run: say so.
        if (error.code === 'CLI_TIMEOUT' && call.deadlineAt - startedAt < config.cliTimeoutMs) {
          throw deadlineExceeded(critic, 'running', error);
        }
      } finally {
        slot.release();
      }
      if (attempt >= config.retryMaxAttempts || options.signal.aborted || !isTransient(error, bytes))
        throw error;
      const delayMs = backoff.next();
      if (clock.now() + delayMs >= call.deadlineAt || !budget.tryRetry()) throw error;
      await sleep(clock, delayMs, options.signal);
    }
  }
}

function perCritic<T>(make: (critic: CriticName) => T): Record<CriticName, T> {
  return Object.fromEntries(CRITIC_NAMES.map((c) => [c, make(c)])) as Record<CriticName, T>;
}

function deadlineExceeded(
  critic: CriticName,
  phase: 'admission' | 'running',
  cause?: unknown,
): BrutalistError {
  return new BrutalistError(
    'DEADLINE_EXCEEDED',
    phase === 'running'
      ? `${critic} was stopped at the request deadline.`
      : 'The request deadline passed before the critic could start.',
    { data: { critic, phase }, ...(cause ? { cause } : {}) },
  );
}

/** Waits `ms` on the clock; rejects with CANCELLED as soon as `signal` aborts. */
export function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new BrutalistError('CANCELLED'));
    const onAbort = () => {
      clock.clearTimeout(timer);
      reject(new BrutalistError('CANCELLED'));
    };
    const timer = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
