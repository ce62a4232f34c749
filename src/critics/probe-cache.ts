/** Short probes of the critic CLIs: their run bounds, and answers cached per critic with one probe in flight. */
import { type Config, CRITIC_NAMES, type CriticName } from '../config/index.js';
import type { Clock } from '../infra/index.js';

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

/** Per-critic answers cached while younger than a TTL, with at most one probe in flight per critic. */
export class ProbeCache<V extends { readonly checkedAt: number }> {
  private readonly cache = new Map<CriticName, V>();
  private readonly inflight = new Map<CriticName, Promise<V>>();
  /** Bumped by invalidate() so a probe started before it does not refill the cache with stale news. */
  private readonly generation = new Map<CriticName, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly clock: Clock,
    private readonly probe: (critic: CriticName) => Promise<V>,
  ) {}

  /** Cached answer while fresh; otherwise joins the probe in flight or starts exactly one. */
  get(critic: CriticName): Promise<V> {
    const cached = this.cache.get(critic);
    if (cached && this.clock.now() - cached.checkedAt < this.ttlMs) return Promise.resolve(cached);
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
  all(): Promise<V[]> {
    return Promise.all(CRITIC_NAMES.map((critic) => this.get(critic)));
  }

  /** Forgets what is known; the next get probes again. */
  invalidate(critic: CriticName): void {
    this.generation.set(critic, (this.generation.get(critic) ?? 0) + 1);
    this.cache.delete(critic);
    this.inflight.delete(critic);
  }
}
