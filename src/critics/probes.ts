/** Short probes of the critic CLIs: their run bounds, and answers cached per critic with one probe in flight. */
import { type Config, CRITIC_NAMES, type CriticName } from '../config/index.js';
import { type Clock, systemClock } from '../infra/index.js';
import type { CriticsConfig } from './adapters.js';

/** A probe prints a line or a few: anything beyond this is not the answer it looks for. */
const PROBE_MAX_OUTPUT_BYTES = 64 * 1024;

/** The bounds of one probe run (`--version`, a login status): probeTimeoutMs and small output caps. */
export function probeRunBounds(config: Config, clock: Clock, maxStderrBytes: number) {
  return {
    timeoutMs: config.probeTimeoutMs,
    stallTimeoutMs: config.probeTimeoutMs,
    killGraceMs: config.killGraceMs,
    maxOutputBytes: PROBE_MAX_OUTPUT_BYTES,
    maxStderrBytes,
    clock,
  };
}

/** What a prober needs: the config, and (for tests) a clock and the server env. */
export interface ProbeDeps {
  readonly config: CriticsConfig;
  readonly clock?: Clock;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * A per-critic answer (`probe`) cached while younger than availabilityTtlMs, with at most one probe in flight per
 * critic. Availability and login status are its two kinds.
 */
export abstract class CriticProbes<V extends { readonly checkedAt: number }> {
  protected readonly config: CriticsConfig;
  protected readonly clock: Clock;
  protected readonly env: NodeJS.ProcessEnv;
  private readonly cache = new Map<CriticName, V>();
  private readonly inflight = new Map<CriticName, Promise<V>>();
  /** Bumped by forget() so a probe started before it does not refill the cache with stale news. */
  private readonly generation = new Map<CriticName, number>();

  constructor(deps: ProbeDeps) {
    this.config = deps.config;
    this.clock = deps.clock ?? systemClock;
    this.env = deps.env ?? process.env;
  }

  /** The answer for one critic; never rejects (a probe turns every failure into an answer). */
  protected abstract probe(critic: CriticName): Promise<V>;

  /** Cached answer while fresh; otherwise joins the probe in flight or starts exactly one. */
  check(critic: CriticName): Promise<V> {
    const cached = this.cache.get(critic);
    if (cached && this.clock.now() - cached.checkedAt < this.config.availabilityTtlMs)
      return Promise.resolve(cached);
    const running = this.inflight.get(critic);
    if (running) return running;
    const generation = this.generation.get(critic) ?? 0;
    const probe = this.probe(critic).then((result) => {
      if ((this.generation.get(critic) ?? 0) === generation) {
        this.cache.set(critic, result);
        this.inflight.delete(critic);
      }
      return result;
    });
    this.inflight.set(critic, probe);
    return probe;
  }

  /** Every critic's answer, in CRITIC_NAMES order. */
  checkAll(): Promise<V[]> {
    return Promise.all(CRITIC_NAMES.map((critic) => this.check(critic)));
  }

  /** Forgets what is known about `critic`; the next check probes again. */
  protected forget(critic: CriticName): void {
    this.generation.set(critic, (this.generation.get(critic) ?? 0) + 1);
    this.cache.delete(critic);
    this.inflight.delete(critic);
  }
}
