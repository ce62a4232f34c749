/**
 * CriticGuard: wraps the CriticRunner so every critic call goes, in this order, through the request deadline,
 * load shedding, the critic's circuit breaker, bounded priority admission, and the run itself under what is
 * left of the deadline — with retries of transient failures inside a per-critic budget.
 */

import type { CriticAvailability, CriticResult, RunBudget } from '../critics/index.js';
import { BrutalistError } from '../errors/index.js';
import { type Clock, traceStep } from '../infra/index.js';
import {
  AdmissionQueue,
  admissionLimitsFrom,
  admissionPolicy,
  type BreakerSnapshot,
  breakerPolicyFrom,
  CircuitBreaker,
  callerPrioritiesFrom,
  circuitBreakerPolicy,
  deadlinePolicy,
  fullJitterBackoff,
  LoadShedder,
  type Policy,
  type PressureReading,
  priorityLevel,
  processPressureProbe,
  RetryBudget,
  retryPolicy,
  sheddingPolicy,
  wrap,
} from '../resilience/index.js';
import { type Config, CRITIC_NAMES, type CriticName, type PriorityName } from './config.js';
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
  /** The call's budget, handed to every critic run it makes (ADR 0047). */
  readonly budget?: RunBudget;
  /**
   * The next key of a critic call of this request: `<runId>-<critic>-<n>`, n counting this critic's calls (turns,
   * retries) in order. A replay of the same request makes the same keys, so a queued run joins its earlier job.
   */
  readonly jobKey?: (critic: CriticName) => string;
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
  callFor(
    priority: PriorityName | undefined,
    owner: string,
    timeoutMs: number | undefined,
    runId?: string,
  ): GuardedCall {
    const name = priority ?? this.callerPriorities.get(owner) ?? this.deps.config.defaultPriority;
    const budget = Math.min(
      timeoutMs ?? this.deps.config.requestTimeoutMs,
      this.deps.config.requestTimeoutMs,
    );
    return {
      priority: priorityLevel(name),
      caller: owner,
      deadlineAt: this.deps.clock.now() + Math.max(1, budget),
      ...(runId === undefined ? {} : { jobKey: jobKeys(runId) }),
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

  private run(
    call: GuardedCall,
    critic: CriticName,
    request: Parameters<CriticRunner>[1],
    options: Parameters<CriticRunner>[2],
  ): Promise<CriticResult> {
    const { config, clock } = this.deps;
    const guard = wrap(
      this.retry(critic),
      deadlinePolicy(clock, config.cliTimeoutMs),
      sheddingPolicy(this.shedder, this.deps.pressure !== undefined),
      circuitBreakerPolicy(clock, this.breakers[critic]),
      admissionPolicy(clock, this.admission, call.onAdmitted && (() => call.onAdmitted?.(critic))),
    );
    const onQueued = call.onQueued;
    return guard.execute(
      (attempt) =>
        traceStep('critic', { critic }, () =>
          this.deps.runner(critic, request, {
            ...options,
            timeoutMs: attempt.deadlineAt - (attempt.startedAt ?? clock.now()),
            priority: call.priority,
            deadlineAt: attempt.deadlineAt,
            ...(call.budget ? { budget: call.budget } : {}),
            ...(call.jobKey ? { jobKey: call.jobKey(critic) } : {}),
            onStdout: (chunk) => {
              attempt.outputBytes += chunk.length;
              options.onStdout(chunk);
            },
          }),
        ),
      {
        key: critic,
        priority: call.priority,
        caller: call.caller,
        deadlineAt: call.deadlineAt,
        signal: options.signal,
        outputBytes: 0,
        ...(onQueued
          ? { onQueued: (position: number, wait: number | undefined) => onQueued(critic, position, wait) }
          : {}),
      },
    );
  }

  private retry(critic: CriticName): Policy {
    const { config, clock } = this.deps;
    return retryPolicy({
      clock,
      maxAttempts: config.retryMaxAttempts,
      budget: this.budgets[critic],
      backoff: fullJitterBackoff({
        baseDelayMs: config.retryBaseDelayMs,
        maxDelayMs: config.retryMaxDelayMs,
        ...(this.deps.random ? { random: this.deps.random } : {}),
      }),
      sleep: (ms, signal) => sleep(clock, ms, signal),
    });
  }
}

function perCritic<T>(make: (critic: CriticName) => T): Record<CriticName, T> {
  return Object.fromEntries(CRITIC_NAMES.map((c) => [c, make(c)])) as Record<CriticName, T>;
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

/** Keys of one run's critic calls, in the order they are made (GuardedCall.jobKey). */
function jobKeys(runId: string): (critic: CriticName) => string {
  const counts = new Map<CriticName, number>();
  return (critic) => {
    const n = (counts.get(critic) ?? 0) + 1;
    counts.set(critic, n);
    return `${runId}-${critic}-${n}`;
  };
}
