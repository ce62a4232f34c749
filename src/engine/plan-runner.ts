/**
 * Runs request plans: cache read, single-flight (in-process, then across instances), the critics' work, cache
 * write, and the one circuit-open fallback (a stale critique, else another critic when the plan allows it).
 */

import type { CriticAvailability } from '../critics/index.js';
import { isBrutalistError } from '../errors/index.js';
import { newId, traceStep } from '../infra/index.js';
import { cacheLookupChannel, flightChannel, type StateStore } from '../state/index.js';
import type { StreamEvent } from '../streaming/index.js';
import type { Config, CriticId } from './config.js';
import { DistributedFlight } from './distributed-flight.js';
import type { GuardedCall } from './guarded-runner.js';
import { cacheKey, planCritics, type RequestPlan, withAlternate } from './plan.js';
import { type Finished, runPlanWork, type WorkDeps } from './plan-work.js';
import { readResultMeta } from './results.js';
import { SingleFlight } from './single-flight.js';
import type { RequestContext } from './types.js';

export interface PlanRunnerDeps extends WorkDeps {
  readonly config: Config;
  readonly store: StateStore;
  readonly availability: CriticAvailability;
}

/** A cache entry with its metadata validated; `storedAt` dates it for the fresh/stale decision. */
type Hit = Finished & { readonly storedAt: number };

/** How much of the request key a flight log line shows: enough to tell flights apart, not the whole hash. */
const FLIGHT_ID_CHARS = 16;

export class PlanRunner {
  private readonly flights = new SingleFlight<Finished, StreamEvent>();
  private readonly distributed: DistributedFlight;

  constructor(private readonly deps: PlanRunnerDeps) {
    const { config } = deps;
    this.distributed = new DistributedFlight(deps.store, deps.clock, {
      lockTtlMs: config.lockTtlMs,
      lockPollMs: config.lockPollMs,
      maxWaitMs: config.cliTimeoutMs + config.lockTtlMs,
    });
  }

  /**
   * The result of `plan` for one request (`call`: its priority, caller and deadline), and the critics that
   * produced it: the planned ones, or another critic when the planned ones' circuits were open.
   */
  async run(
    plan: RequestPlan,
    ctx: RequestContext,
    call: GuardedCall,
  ): Promise<{ finished: Finished; critics: readonly CriticId[] }> {
    const { config, guard } = this.deps;
    const key = cacheKey(plan, ctx.owner);
    const useCache = plan.cacheable && config.cacheTtlMs > 0;
    // Entries outlive cacheTtlMs by staleCacheMaxAgeMs: fresh ones answer, stale ones stand in for an open circuit.
    const hit = useCache ? await this.cached(key) : undefined;
    if (hit && !plan.forceRefresh && this.age(hit) <= config.cacheTtlMs) {
      return { finished: this.fromCache(hit), critics: plan.critics };
    }
    const critics = planCritics(plan);
    try {
      if (guard.allRejecting(critics, plan.routes)) throw guard.circuitOpen(critics, plan.routes);
      return { finished: await this.fly(plan, key, useCache, ctx, call), critics: plan.critics };
    } catch (err) {
      // The circuit was open before the run, or a breaker opened (or a probe was taken) while it was queued.
      if (!isBrutalistError(err) || err.code !== 'CIRCUIT_OPEN') throw err;
      const stale = this.stale(hit, plan);
      if (stale) return { finished: stale, critics: plan.critics };
      if (plan.fallback !== 'alternate') throw err;
      const alternate = await guard.alternate(critics, this.deps.availability);
      if (!alternate) throw err;
      return this.run(withAlternate(plan, alternate), ctx, call);
    }
  }

  /**
   * Single-flight around the run; every caller sharing it hears its events, including callers that join after
   * it started (the flight owns the listeners). A forced refresh shares its run with nobody.
   */
  private fly(
    plan: RequestPlan,
    key: string,
    useCache: boolean,
    ctx: RequestContext,
    call: GuardedCall,
  ): Promise<Finished> {
    const flightKey = plan.forceRefresh ? `${key}:${newId()}` : key;
    if (flightChannel.hasSubscribers) {
      const role = this.flights.has(flightKey) ? 'joined' : 'started';
      flightChannel.publish({ flight: flightKey.slice(0, FLIGHT_ID_CHARS), role });
    }
    return this.flights.run(
      flightKey,
      ctx.signal,
      (signal, emit) =>
        this.runShared(key, useCache && !plan.forceRefresh, signal, async (fence) => {
          const finished = await runPlanWork(plan, this.deps, call, signal, emit);
          if (useCache) await this.publish(key, finished, fence);
          return finished;
        }),
      (event) => ctx.onEvent?.(event),
    );
  }

  /**
   * Across instances: one run per key under the store lock; the others take its cached result. `work` gets the
   * lock's fence and publishes (writes the cache) before the lock is released, so no waiter can win the lock
   * in between and run the critic a second time.
   */
  private async runShared(
    key: string,
    shared: boolean,
    signal: AbortSignal,
    work: (fence: number | undefined) => Promise<Finished>,
  ): Promise<Finished> {
    if (!shared) return work(undefined);
    const outcome = await traceStep('lock', {}, () =>
      this.distributed.run<Finished>(
        key,
        signal,
        async () => {
          const hit = await this.cached(key);
          // Only fresh entries count here; stale ones are kept for the open-circuit fallback.
          return hit && this.age(hit) <= this.deps.config.cacheTtlMs ? this.fromCache(hit) : null;
        },
        work,
      ),
    );
    if (outcome.kind === 'shared' && flightChannel.hasSubscribers)
      flightChannel.publish({ flight: key.slice(0, FLIGHT_ID_CHARS), role: 'shared' });
    return outcome.value;
  }

  /** A cache entry with its metadata validated; one this version cannot read counts as a miss. */
  private async cached(key: string): Promise<Hit | undefined> {
    const hit = await traceStep('cache', {}, () => this.deps.store.getCache(key));
    const meta = hit ? readResultMeta(hit.meta) : null;
    if (cacheLookupChannel.hasSubscribers) cacheLookupChannel.publish({ hit: meta !== null });
    return hit && meta ? { text: hit.text, meta, turns: [], storedAt: hit.storedAt } : undefined;
  }

  /** Caches a fresh result when every critic succeeded in full; a stale fence is refused by the store. */
  private async publish(key: string, finished: Finished, fence: number | undefined): Promise<void> {
    const complete = finished.meta.critics.every((c) => c.ok && !c.truncated);
    if (!complete || finished.meta.cached) return;
    const { config, clock } = this.deps;
    await traceStep('store', { what: 'cache' }, () =>
      this.deps.store.setCache(
        key,
        { text: finished.text, meta: { ...finished.meta }, storedAt: clock.now() },
        config.cacheTtlMs + config.staleCacheMaxAgeMs,
        fence,
      ),
    );
  }

  private age(hit: Hit): number {
    return this.deps.clock.now() - hit.storedAt;
  }

  private fromCache(hit: Hit): Finished {
    return { text: hit.text, meta: { ...hit.meta, cached: true, cacheAgeMs: this.age(hit) }, turns: [] };
  }

  /** A cached critique past cacheTtlMs but within staleCacheMaxAgeMs, marked stale, with a note saying why. */
  private stale(hit: Hit | undefined, plan: RequestPlan): Finished | undefined {
    const { config } = this.deps;
    if (!hit) return undefined;
    const age = this.age(hit);
    if (age > config.cacheTtlMs + config.staleCacheMaxAgeMs) return undefined;
    const critics = planCritics(plan);
    const note = `${critics.join(', ')} ${critics.length === 1 ? 'is' : 'are'} paused (circuit open): this is a stale cached critique, ${Math.round(age / 1000)} s old.`;
    const { meta } = hit;
    return {
      text: hit.text,
      meta: { ...meta, cached: true, stale: true, cacheAgeMs: age, notes: [...meta.notes, note] },
      turns: [],
    };
  }
}
