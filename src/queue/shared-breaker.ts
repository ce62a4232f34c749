/**
 * Circuit breakers shared by the worker fleet: each critic's breaker state (the pure state machine of
 * resilience/breaker-state.ts) lives in one Redis key and moves by compare-and-set, so a dead vendor opens one
 * breaker for every worker and, half-open, exactly halfOpenMaxCalls probes run fleet-wide.
 */
import type { Redis } from 'ioredis';
import type { Config, CriticName } from '../engine/config.js';
import { BrutalistError, type ErrorCode } from '../errors/index.js';
import type { Clock } from '../infra/index.js';
import {
  type BreakerPolicy,
  type BreakerState,
  acquire as breakerAcquire,
  breakerPolicyFrom,
  release as breakerRelease,
  INITIAL_STATE,
  isBreakerState,
  outcomeOf,
  type PermitTicket,
} from '../resilience/index.js';
import { runScript } from './connections.js';
import { parseJson } from './jobs.js';

/**
 * SET key to ARGV[2] (none when ARGV[2] is '': no change) only while it still holds ARGV[1] ('' = absent); the state
 * expires with ARGV[3] ms. Replies {1} when it held, else {0, what it holds} (the next try starts from that).
 */
const COMPARE_AND_SET = `
local current = redis.call('GET', KEYS[1])
if (current == false and ARGV[1] == '') or current == ARGV[1] then
  if ARGV[2] ~= '' then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
  return {1}
end
return {0, current or ''}`;

/** Whose breaker: a native critic, or a routed critic's route key (its own breaker, ADR 0048). */
export type BreakerName = CriticName | string;

/** Tries of one transition against concurrent writers before it gives up (the state then stays as it was). */
const MAX_CAS_TRIES = 16;
/** Breakers whose last seen state is kept as the next compare-and-set's guess. */
const SEEN_MAX_NAMES = 256;

export class SharedBreakers {
  private readonly policy: BreakerPolicy;
  /** Each breaker's stored text as this worker last read or wrote it ('' = absent): the first guess of a CAS. */
  private readonly seen = new Map<BreakerName, string>();

  constructor(
    private readonly redis: Redis,
    private readonly config: Config,
    private readonly clock: Clock,
  ) {
    this.policy = breakerPolicyFrom(config);
  }

  /** A permit to run `critic`, or CIRCUIT_OPEN with the fleet's retryAfterMs. */
  async acquire(critic: BreakerName, deadlineAt: number): Promise<PermitTicket> {
    let refused: number | undefined;
    let ticket: PermitTicket | undefined;
    const stored = await this.transition(critic, (state) => {
      const result = breakerAcquire(this.policy, state, this.clock.now(), deadlineAt);
      refused = result.ticket ? undefined : result.retryAfterMs;
      ticket = result.ticket ?? undefined;
      return result.state;
    });
    // A probe permit that could not be stored (writers kept racing) is not handed out.
    if (!stored || refused !== undefined || !ticket) {
      throw new BrutalistError(
        'CIRCUIT_OPEN',
        `${critic} is failing repeatedly on the worker fleet and paused; retry in ${Math.ceil((refused ?? 1_000) / 1000)} s.`,
        { data: { critics: [critic], retryAfterMs: refused ?? 1_000 } },
      );
    }
    return ticket;
  }

  /** Records how a permitted run ended (`code` undefined: success). */
  async release(
    critic: BreakerName,
    ticket: PermitTicket,
    code: ErrorCode | undefined,
    cancelled: boolean,
    durationMs: number,
  ): Promise<void> {
    const outcome = code === undefined ? 'success' : outcomeOf(code, cancelled);
    await this.transition(critic, (state) =>
      breakerRelease(this.policy, state, ticket, outcome, durationMs, this.clock.now()),
    );
  }

  /** The fleet's state of `critic`'s breaker. */
  async state(critic: BreakerName): Promise<BreakerState> {
    return parseState(await this.redis.get(this.key(critic)));
  }

  private key(critic: BreakerName): string {
    return `${this.config.queueKeyPrefix}:breaker:${critic}`;
  }

  /**
   * Applies `step` to the stored state by compare-and-set; false when every try lost a race. The first try guesses
   * the state is what this worker last saw (one round trip when no other worker moved it; a wrong guess costs one
   * more, as the script replies with what is stored).
   */
  private async transition(
    critic: BreakerName,
    step: (state: BreakerState) => BreakerState,
  ): Promise<boolean> {
    const key = this.key(critic);
    // Kept as long as the longest open period plus the reset window: past that a fresh breaker is the same.
    const ttlMs = this.config.breakerMaxRecoveryTimeoutMs + this.config.breakerResetTimeoutMs;
    let raw = this.seen.get(critic) ?? '';
    for (let tries = 0; tries < MAX_CAS_TRIES; tries++) {
      const next = JSON.stringify(step(parseState(raw === '' ? null : raw)));
      const unchanged = next === (raw === '' ? JSON.stringify(INITIAL_STATE) : raw);
      const reply = await runScript(this.redis, COMPARE_AND_SET, [key], [raw, unchanged ? '' : next, ttlMs]);
      if (!Array.isArray(reply)) return false;
      if (reply[0] === 1) {
        this.remember(critic, unchanged ? raw : next);
        return true;
      }
      raw = typeof reply[1] === 'string' ? reply[1] : '';
      this.remember(critic, raw);
    }
    return false;
  }

  /**
   * The last state seen, a guess for the next compare-and-set. Per-call routes add names without end: past
   * SEEN_MAX_NAMES the guesses start over (a wrong or missing guess costs one round trip, never a wrong state).
   */
  private remember(critic: BreakerName, raw: string): void {
    if (!this.seen.has(critic) && this.seen.size >= SEEN_MAX_NAMES) this.seen.clear();
    this.seen.set(critic, raw);
  }
}

function parseState(raw: string | null): BreakerState {
  const value = raw === null ? undefined : parseJson(raw);
  return isBreakerState(value) ? value : INITIAL_STATE;
}
