// The plan runner's one circuit-open fallback, for a circuit that opens while the run is under way.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CriticAvailability } from '../../src/critics/index.js';
import { resolveConfig } from '../../src/engine/config.js';
import { type CriticRunner, Engine, type RequestContext } from '../../src/engine/index.js';
import { BrutalistError, isBrutalistError } from '../../src/errors/index.js';
import { ManualClock } from '../../src/infra/index.js';
import type { PressureReading } from '../../src/resilience/index.js';
import { MemoryStateStore } from '../../src/state/index.js';
import { fakeCritics, makeSandbox, type Sandbox } from '../support/harness.js';
import { criticResult } from '../support/results.js';

const CALM: PressureReading = { eventLoopDelayMs: 0, heapUsedPct: 10, children: 0 };
const TTL_MS = 60_000;

let sandbox: Sandbox;
beforeEach(() => {
  sandbox = makeSandbox('brutalist-plan-runner-');
});
afterEach(() => sandbox.cleanup());

/** An engine whose runner answers for every critic except those in `open`, which answer CIRCUIT_OPEN. */
function harness() {
  const config = resolveConfig({
    overrides: { ...fakeCritics(sandbox), stateStore: 'memory', cacheTtlMs: TTL_MS },
  });
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: sandbox.home };
  const clock = new ManualClock();
  const store = new MemoryStateStore({
    maxBytes: config.stateMaxBytes,
    maxEntries: config.stateMaxEntries,
    cacheMaxEntryBytes: config.cacheMaxEntryBytes,
  });
  const open = new Set<string>();
  const ran: string[] = [];
  const runner: CriticRunner = async (critic) => {
    ran.push(critic);
    // A half-open probe another request already holds: the breaker refuses this run after the plan's check.
    if (open.has(critic))
      throw new BrutalistError('CIRCUIT_OPEN', undefined, { data: { critics: [critic] } });
    return criticResult(critic, `${critic} says no`);
  };
  const engine = new Engine({
    config,
    store,
    availability: new CriticAvailability({ config, env, clock }),
    env,
    clock,
    runner,
    resilience: { pressure: () => CALM },
  });
  const ctx: RequestContext = {
    owner: 'local',
    roots: [sandbox.project],
    signal: new AbortController().signal,
    waitMs: Number.POSITIVE_INFINITY,
  };
  const roast = async (clis?: ['claude']) => {
    const r = await engine.roast({ domain: 'idea', context: 'a pet rock', fields: {}, clis }, ctx);
    if (r.status !== 'done') throw new Error(`expected a finished roast, got ${r.status}`);
    return r;
  };
  const close = async () => {
    await engine.close();
    await store.close();
  };
  return { roast, open, ran, clock, close };
}

describe('a circuit that opens during the run', () => {
  it('hands an unpinned roast to the next critic in preference order, and says so', async () => {
    const { roast, open, ran, close } = harness();
    try {
      open.add('claude');
      const r = await roast();
      expect(ran).toEqual(['claude', 'codex']);
      expect(r.meta.critics.map((c) => c.critic)).toEqual(['codex']);
      expect(r.meta.notes).toEqual(['claude is paused (circuit open), so codex answered instead.']);
    } finally {
      await close();
    }
  });

  it('answers CIRCUIT_OPEN for a pinned critic, never running another', async () => {
    const { roast, open, ran, close } = harness();
    try {
      open.add('claude');
      const err = await roast(['claude']).catch((e: unknown) => e);
      expect(isBrutalistError(err) && err.code).toBe('CIRCUIT_OPEN');
      expect(ran).toEqual(['claude']);
    } finally {
      await close();
    }
  });

  it('prefers a stale cached critique of the same request to another critic', async () => {
    const { roast, open, ran, clock, close } = harness();
    try {
      await roast();
      clock.advance(TTL_MS + 1_000);
      open.add('claude');
      const r = await roast();
      expect(ran).toEqual(['claude', 'claude']);
      expect(r.meta).toMatchObject({ cached: true, stale: true, cacheAgeMs: TTL_MS + 1_000 });
      expect(r.meta.critics.map((c) => c.critic)).toEqual(['claude']);
    } finally {
      await close();
    }
  });
});
