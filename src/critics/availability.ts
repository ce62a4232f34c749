/** Which critic CLIs are installed and working: single-flight `--version` probes, cached with a TTL. */
import { tmpdir } from 'node:os';
import { type Config, CRITIC_NAMES, type CriticName } from '../config/index.js';
import { type ErrorCode, toBrutalistError } from '../errors/index.js';
import { type Clock, systemClock } from '../infra/index.js';
import { buildChildEnv, runProcess } from '../process/index.js';
import { ADAPTERS, binaryFor } from './adapters.js';

export interface Availability {
  readonly critic: CriticName;
  readonly available: boolean;
  readonly version?: string;
  /** The configured name or path, never a resolved absolute path (that would leak host layout). */
  readonly binary: string;
  readonly error?: ErrorCode;
  /** Clock time the probe finished. */
  readonly checkedAt: number;
}

export interface AvailabilityDeps {
  readonly config: Config;
  readonly clock?: Clock;
  readonly env?: NodeJS.ProcessEnv;
}

/** `--version` prints one short line; anything beyond this is not a version banner. */
const PROBE_MAX_OUTPUT_BYTES = 64 * 1024;
const PROBE_MAX_STDERR_BYTES = 4 * 1024;

export class CriticAvailability {
  private readonly config: Config;
  private readonly clock: Clock;
  private readonly env: NodeJS.ProcessEnv;
  private readonly cache = new Map<CriticName, Availability>();
  private readonly inflight = new Map<CriticName, Promise<Availability>>();
  /** Bumped by invalidate() so a probe started before it does not refill the cache with stale news. */
  private readonly generation = new Map<CriticName, number>();

  constructor(deps: AvailabilityDeps) {
    this.config = deps.config;
    this.clock = deps.clock ?? systemClock;
    this.env = deps.env ?? process.env;
  }

  /** Cached result while fresh; otherwise joins the probe in flight or starts exactly one. */
  check(critic: CriticName): Promise<Availability> {
    const cached = this.cache.get(critic);
    if (cached && this.clock.now() - cached.checkedAt < this.config.availabilityTtlMs) {
      return Promise.resolve(cached);
    }
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

  checkAll(): Promise<Availability[]> {
    return Promise.all(CRITIC_NAMES.map((critic) => this.check(critic)));
  }

  /** Forgets what is known (e.g. the binary vanished mid-run); the next check probes again. */
  invalidate(critic: CriticName): void {
    this.generation.set(critic, (this.generation.get(critic) ?? 0) + 1);
    this.cache.delete(critic);
    this.inflight.delete(critic);
  }

  /** Never rejects: every failure becomes an unavailable result with a code. */
  private async probe(critic: CriticName): Promise<Availability> {
    const adapter = ADAPTERS[critic];
    const binary = binaryFor(this.config, critic);
    const unavailable = (error: ErrorCode): Availability => ({
      critic,
      available: false,
      binary,
      error,
      checkedAt: this.clock.now(),
    });
    let env: Record<string, string>;
    try {
      env = buildChildEnv(this.env, { allow: [...adapter.envAllowlist(this.env), ...this.config.extraEnv] });
    } catch (err) {
      return unavailable(toBrutalistError(err).code);
    }
    const run = await runProcess({
      command: binary,
      args: adapter.versionArgs,
      // A neutral directory: the probe must not pick up project-level CLI config.
      cwd: tmpdir(),
      env,
      timeoutMs: this.config.probeTimeoutMs,
      stallTimeoutMs: this.config.probeTimeoutMs,
      killGraceMs: this.config.killGraceMs,
      maxOutputBytes: PROBE_MAX_OUTPUT_BYTES,
      maxStderrBytes: PROBE_MAX_STDERR_BYTES,
      clock: this.clock,
    });
    if (run.exit.kind !== 'ok') return unavailable(adapter.classifyFailure(run, undefined) ?? 'CLI_FAILED');
    const version = adapter.parseVersion(run.stdout.toString('utf8'));
    if (version === undefined) return unavailable('CLI_OUTPUT_INVALID');
    return { critic, available: true, version, binary, checkedAt: this.clock.now() };
  }
}
