// The engine's shared runs: progress reaches every caller of a flight, also after an abandoned run winds down.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CriticAvailability, type CriticResult } from '../../src/critics/index.js';
import { resolveConfig } from '../../src/engine/config.js';
import { type CriticRunner, Engine, type RequestContext } from '../../src/engine/index.js';
import { MemoryStateStore } from '../../src/state/index.js';
import type { StreamEvent } from '../../src/streaming/index.js';
import { fakeCritics, makeSandbox, type Sandbox, waitFor } from '../support/harness.js';
import { criticResult } from '../support/results.js';

let sandbox: Sandbox;
beforeEach(() => {
  sandbox = makeSandbox('brutalist-flights-');
});
afterEach(() => sandbox.cleanup());

/** A critic run the test settles by hand; it ignores abort like a child that takes a while to exit. */
interface HeldRun {
  readonly critic: string;
  finish(text: string): void;
}

function harness() {
  const config = resolveConfig({
    overrides: { ...fakeCritics(sandbox), stateStore: 'memory', cacheTtlMs: 0 },
  });
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: sandbox.home };
  const store = new MemoryStateStore({
    maxBytes: config.stateMaxBytes,
    maxEntries: config.stateMaxEntries,
    cacheMaxEntryBytes: config.cacheMaxEntryBytes,
  });
  const runs: HeldRun[] = [];
  const runner: CriticRunner = (critic) =>
    new Promise<CriticResult>((resolve) => {
      runs.push({
        critic,
        finish: (text) => resolve(criticResult(critic, text)),
      });
    });
  const engine = new Engine({
    config,
    store,
    availability: new CriticAvailability({ config, env }),
    env,
    runner,
  });
  const ctx = (signal: AbortSignal, events: StreamEvent[] = []): RequestContext => ({
    owner: 'local',
    roots: [sandbox.project],
    signal,
    onEvent: (e) => events.push(e),
  });
  // The first request checks the fake CLIs' versions (a real subprocess): poll, never assert on time.
  const until = async (predicate: () => boolean) => expect(await waitFor(predicate, 10_000)).toBe(true);
  const close = async () => {
    engine.close();
    await store.close();
  };
  return { engine, runs, ctx, until, close };
}

describe('progress of a shared run', () => {
  it('reaches a caller who joins a restarted flight after the abandoned one wound down', async () => {
    const { engine, runs, ctx, until, close } = harness();
    try {
      const args = {
        domain: 'idea' as const,
        context: 'same request',
        clis: ['claude' as const],
        fields: {},
      };
      // A starts the run, then cancels: the flight is abandoned, but its critic takes a while to stop.
      const a = new AbortController();
      const first = engine.roast(args, ctx(a.signal)).catch((e: unknown) => e);
      await until(() => runs.length === 1);
      a.abort();
      await first;
      // B sends the same request: a new flight with its own run.
      const second = engine.roast(args, ctx(new AbortController().signal));
      await until(() => runs.length === 2);
      // The abandoned run now winds down.
      runs[0]!.finish('old');
      await new Promise((r) => setImmediate(r));
      // C joins B's flight and must hear how it ends.
      const heard: StreamEvent[] = [];
      const third = engine.roast(args, ctx(new AbortController().signal, heard));
      await new Promise((r) => setImmediate(r));
      runs[1]!.finish('new');
      await Promise.all([second, third]);
      expect(runs).toHaveLength(2);
      expect(heard).toContainEqual({ kind: 'done', critic: 'claude', ok: true });
    } finally {
      await close();
    }
  });
});
