/**
 * CriticGuard: wraps the CriticRunner so every critic call goes, in this order, through the request deadline,
 * load shedding, the critic's circuit breaker, bounded priority admission, and the run itself under what is
 * left of the deadline — with retries of transient failures inside a per-critic budget.
 */

import {
  type CriticAvailability,
  type CriticResult,
  type RoutedRoute,
  type RunBudget,
  routedLabel,
} from '../critics/index.js';
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
import {
  type Config,
  CRITIC_NAMES,
  type CriticId,
  type CriticName,
  isCriticName,
  type PriorityName,
} from './config.js';
import { type CriticRunner, type IdRunner, NO_ROUTES, type RouteTable } from './critic-runs.js';

/** Where one request stands: how urgent, whose, and until when. Shared by every critic call it makes. */
export interface GuardedCall {
  /** 0 = critical ... 3 = batch. */
  readonly priority: number;
  readonly caller: string;
  readonly deadlineAt: number;
  /** Place in line while a critic waits for a slot (position is 1-based per critic). */
  readonly onQueued?: (critic: CriticId, position: number, estimatedWaitMs: number | undefined) => void;
  /** The critic got its slot and is starting. */
  readonly onAdmitted?: (critic: CriticId) => void;
  /** The call's budget, handed to every critic run it makes (ADR 0047). */
  readonly budget?: RunBudget;
  /**
   * The next key of a critic call of this request: `<runId>-<critic>-<n>`, n counting this critic's calls (turns,
   * retries) in order. A replay of the same request makes the same keys, so a queued run joins its earlier job.
   */
  readonly jobKey?: (critic: CriticId) => string;
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

/** A routed critic's own policies: its breaker and retry budget (ADR 0048). */
interface RoutedPolicies {
  readonly breaker: CircuitBreaker;
  readonly budget: RetryBudget;
}

export class CriticGuard {
  readonly breakers: Readonly<Record<CriticName, CircuitBreaker>>;
  readonly admission: AdmissionQueue;
  readonly shedder: LoadShedder;
  private readonly budgets: Readonly<Record<CriticName, RetryBudget>>;
  /** By route key, least recently used first; per-call ones beyond routedMaxCallCritics are dropped. */
  private readonly routed = new Map<string, RoutedPolicies>();
  private readonly callerPriorities: ReadonlyMap<string, PriorityName>;
  private readonly stopProbe: () => void;

  constructor(private readonly deps: CriticGuardDeps) {
    const { config, clock } = deps;
    const policy = breakerPolicyFrom(config);
    this.callerPriorities = callerPrioritiesFrom(config);
    this.breakers = perCritic((critic) => new CircuitBreaker({ name: critic, policy, clock }));
    this.budgets = perCritic(() => this.newBudget());
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

  /** A runner by critic id bound to one request's priority, caller and deadline. */
  runner(call: GuardedCall): IdRunner {
    return (critic, request, options) => this.run(call, critic, request, options);
  }

  /** The breaker of a native critic, or of a routed one of `routes` (made on first use). */
  breakerOf(critic: CriticId, routes: RouteTable = NO_ROUTES): CircuitBreaker {
    if (isCriticName(critic)) return this.breakers[critic];
    const route = routes.get(critic);
    if (!route) throw new BrutalistError('INTERNAL_ERROR', 'A routed critic has no route.');
    return this.routedPolicies(route).breaker;
  }

  /** Whether every one of `critics` would be refused by its breaker right now. */
  allRejecting(critics: readonly CriticId[], routes: RouteTable = NO_ROUTES): boolean {
    return critics.length > 0 && critics.every((c) => this.breakerOf(c, routes).rejecting);
  }

  /** CIRCUIT_OPEN for `critics`, with the soonest retryAfterMs among them. */
  circuitOpen(critics: readonly CriticId[], routes: RouteTable = NO_ROUTES): BrutalistError {
    const retryAfterMs = Math.max(
      1,
      Math.min(
        ...critics.map((c) => this.breakerOf(c, routes).snapshot().retryAfterMs || Number.POSITIVE_INFINITY),
      ),
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
    exclude: readonly CriticId[],
    availability: CriticAvailability,
  ): Promise<CriticName | undefined> {
    for (const critic of this.deps.config.criticPreference) {
      if (exclude.includes(critic) || this.breakers[critic].rejecting) continue;
      if ((await availability.check(critic)).available) return critic;
    }
    return undefined;
  }

  /** Breaker and queue state of one critic, for the roster (a routed one by its route). */
  status(
    critic: CriticId,
    routes: RouteTable = NO_ROUTES,
  ): { circuit: BreakerSnapshot; running: number; queued: number } {
    const route = routes.get(critic);
    const queue = this.admission.snapshot().byKey[route ? admissionKey(route) : critic] ?? {
      running: 0,
      queued: 0,
    };
    return { circuit: this.breakerOf(critic, routes).snapshot(), ...queue };
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
    for (const policies of this.routed.values()) policies.breaker.close();
    this.routed.clear();
  }

  /** A routed critic's breaker and budget, kept by route key; the least recently used per-call one goes first. */
  private routedPolicies(route: RoutedRoute): RoutedPolicies {
    const known = this.routed.get(route.key);
    if (known) {
      this.routed.delete(route.key);
      this.routed.set(route.key, known);
      return known;
    }
    const { config, clock } = this.deps;
    // The breaker's name is its metrics label: a config-file critic's id, else `routed` (a bounded label set).
    const breaker = new CircuitBreaker({
      name: routedLabel(route),
      policy: breakerPolicyFrom(config),
      clock,
    });
    const policies = { breaker, budget: this.newBudget() };
    this.routed.set(route.key, policies);
    if (route.source === 'call') this.evictCallCritics();
    return policies;
  }

  private evictCallCritics(): void {
    let calls = 0;
    for (const key of this.routed.keys()) if (key.includes('@')) calls++;
    for (const [key, policies] of this.routed) {
      if (calls <= this.deps.config.routedMaxCallCritics) break;
      if (!key.includes('@')) continue;
      policies.breaker.close();
      this.routed.delete(key);
      calls--;
    }
  }

  private newBudget(): RetryBudget {
    const { config, clock } = this.deps;
    return new RetryBudget(
      {
        ratioPct: config.retryBudgetPct,
        minPerWindow: config.retryBudgetMinPerMinute,
        windowMs: RETRY_BUDGET_WINDOW_MS,
      },
      clock,
    );
  }

  // ---- one guarded critic call

  private run(
    call: GuardedCall,
    critic: CriticId,
    request: Parameters<CriticRunner>[1],
    options: Parameters<CriticRunner>[2],
  ): Promise<CriticResult> {
    const { config, clock } = this.deps;
    const { route } = request;
    const vendor = vendorOfRun(critic, route);
    const own = route ? this.routedPolicies(route) : undefined;
    const guard = wrap(
      this.retry(own?.budget ?? this.budgets[vendor]),
      deadlinePolicy(clock, config.cliTimeoutMs),
      sheddingPolicy(this.shedder, this.deps.pressure !== undefined),
      circuitBreakerPolicy(clock, own?.breaker ?? this.breakers[vendor]),
      admissionPolicy(clock, this.admission, call.onAdmitted && (() => call.onAdmitted?.(critic))),
    );
    const onQueued = call.onQueued;
    return guard.execute(
      (attempt) =>
        traceStep('critic', { critic }, () =>
          this.deps.runner(vendor, request, {
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
        key: route ? admissionKey(route) : critic,
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

  private retry(budget: RetryBudget): Policy {
    const { config, clock } = this.deps;
    return retryPolicy({
      clock,
      maxAttempts: config.retryMaxAttempts,
      budget,
      backoff: fullJitterBackoff({
        baseDelayMs: config.retryBaseDelayMs,
        maxDelayMs: config.retryMaxDelayMs,
        ...(this.deps.random ? { random: this.deps.random } : {}),
      }),
      sleep: (ms, signal) => sleep(clock, ms, signal),
    });
  }
}

/** A routed run is claude's; a native id must carry no route. */
function vendorOfRun(critic: CriticId, route: RoutedRoute | undefined): CriticName {
  if (route) return 'claude';
  if (isCriticName(critic)) return critic;
  throw new BrutalistError('INTERNAL_ERROR', 'A routed critic has no route.');
}

/**
 * A routed critic's admission share: a config-file one has its own (its id); per-call ones share `routed`, so
 * callers cannot grow the per-key tables without bound.
 */
function admissionKey(route: RoutedRoute): string {
  return route.source === 'config' ? `routed:${route.id}` : 'routed';
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
function jobKeys(runId: string): (critic: CriticId) => string {
  const counts = new Map<CriticId, number>();
  return (critic) => {
    const n = (counts.get(critic) ?? 0) + 1;
    counts.set(critic, n);
    return `${runId}-${critic}-${n}`;
  };
}
