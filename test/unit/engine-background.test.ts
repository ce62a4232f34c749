// Background runs on a manual clock: wait up to waitMs, pending, waits by context id, cancel, owners, lost runs.
import { afterEach, describe, expect, it } from 'vitest';
import { BackgroundRuns } from '../../src/engine/background-runs.js';
import type { EngineResult } from '../../src/engine/index.js';
import { BrutalistError, isBrutalistError } from '../../src/errors/index.js';
import { ManualClock } from '../../src/infra/index.js';
import { MemoryStateStore } from '../../src/state/index.js';
import type { StreamEvent } from '../../src/streaming/index.js';
import { ctx, flush, work } from '../support/background.js';

const OPTIONS = { waitMs: 1_000, lockTtlMs: 3_000, lockPollMs: 100, resultTtlMs: 60_000 };

const stores: MemoryStateStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

function setup() {
  const clock = new ManualClock();
  const store = new MemoryStateStore({ maxBytes: 1 << 20, maxEntries: 1_000, cacheMaxEntryBytes: 1 << 16 });
  stores.push(store);
  // Two processes on one store: `runs` and `other`.
  const runs = new BackgroundRuns(store, clock, OPTIONS);
  const other = new BackgroundRuns(store, clock, OPTIONS);
  return { clock, store, runs, other };
}

/** Starts a run and lets waitMs pass: the pending answer. */
async function pending(runs: BackgroundRuns, clock: ManualClock, w: ReturnType<typeof work>) {
  const answer = runs.start('alice', 'roast', ctx(), w.fn);
  await flush();
  w.seen.emit?.({ kind: 'started', critic: 'claude' });
  clock.advance(OPTIONS.waitMs);
  const result = await answer;
  expect(result.status).toBe('running');
  await flush();
  return result as Extract<EngineResult, { status: 'running' }>;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return isBrutalistError(err) ? err.code : String(err);
  }
  return 'resolved';
}

describe('a critique done within waitMs', () => {
  it('is answered in the same call and leaves no run record', async () => {
    const { clock, store, runs } = setup();
    const w = work();
    const answer = runs.start('alice', 'roast', ctx(), w.fn);
    await flush();
    clock.advance(OPTIONS.waitMs - 1);
    w.finish('the critique');
    expect(await answer).toMatchObject({ status: 'done', text: 'the critique' });
    expect(await store.getRun(w.seen.contextId!)).toBeNull();
    expect(runs.size).toBe(0);
  });

  it('is cancelled when its only caller leaves before a pending answer was handed out', async () => {
    const { runs } = setup();
    const w = work();
    const caller = new AbortController();
    const answer = runs.start('alice', 'roast', ctx({ signal: caller.signal }), w.fn);
    await flush();
    caller.abort();
    expect(await codeOf(answer)).toBe('CANCELLED');
    expect(w.seen.signal?.aborted).toBe(true);
  });

  it('waits without limit when the call says so (the terminal)', async () => {
    const { clock, runs } = setup();
    const w = work();
    const answer = runs.start('alice', 'roast', ctx({ waitMs: Number.POSITIVE_INFINITY }), w.fn);
    await flush();
    clock.advance(60 * 60_000);
    expect(clock.pendingTimers()).toBe(0);
    w.finish('late');
    expect(await answer).toMatchObject({ status: 'done', text: 'late' });
  });
});

describe('a critique past waitMs', () => {
  it('answers running with its context id, elapsed time and critics at work, and records it', async () => {
    const { clock, store, runs } = setup();
    const w = work();
    const p = await pending(runs, clock, w);
    expect(p).toEqual({
      status: 'running',
      tool: 'roast',
      contextId: w.seen.contextId,
      elapsedMs: OPTIONS.waitMs,
      running: ['claude'],
      waitMs: OPTIONS.waitMs,
    });
    expect(await store.getRun(p.contextId)).toMatchObject({
      status: 'running',
      owner: 'alice',
      running: ['claude'],
    });
    expect(w.seen.signal?.aborted).toBe(false);
  });

  it('is returned to a later wait by context id, with the progress events on the way', async () => {
    const { clock, runs, store } = setup();
    const w = work();
    const p = await pending(runs, clock, w);
    const heard: StreamEvent[] = [];
    const waiting = runs.follow('alice', p.contextId, ctx({ onEvent: (e) => heard.push(e) }));
    await flush();
    w.seen.emit?.({ kind: 'text', critic: 'claude', chars: 10 });
    w.finish('done at last');
    expect(await waiting).toMatchObject({ status: 'done', text: 'done at last' });
    expect(heard).toEqual([{ kind: 'text', critic: 'claude', chars: 10 }]);
    await flush();
    expect(await store.getRun(p.contextId)).toMatchObject({ status: 'done' });
    // Forgotten in memory once recorded: the next follow tells the caller to page the stored result.
    expect(await runs.follow('alice', p.contextId, ctx())).toBeNull();
  });

  it('answers running again when it is still not done after another waitMs', async () => {
    const { clock, runs } = setup();
    const w = work();
    const p = await pending(runs, clock, w);
    const waiting = runs.follow('alice', p.contextId, ctx());
    await flush();
    clock.advance(OPTIONS.waitMs);
    expect(await waiting).toMatchObject({ status: 'running', elapsedMs: 2 * OPTIONS.waitMs });
  });

  it('keeps running when a waiting caller leaves: only cancel, the deadline or shutdown stop it', async () => {
    const { clock, runs } = setup();
    const w = work();
    const p = await pending(runs, clock, w);
    const leaving = new AbortController();
    const waiting = runs.follow('alice', p.contextId, ctx({ signal: leaving.signal }));
    await flush();
    leaving.abort();
    expect(await codeOf(waiting)).toBe('CANCELLED');
    expect(w.seen.signal?.aborted).toBe(false);
  });

  it('hands its failure to the next wait, in this process and in another one', async () => {
    const { clock, runs, other } = setup();
    const w = work();
    const p = await pending(runs, clock, w);
    w.fail(new BrutalistError('CLI_TIMEOUT', undefined, { data: { critic: 'claude' } }));
    await flush();
    const here = await runs.follow('alice', p.contextId, ctx()).catch((e: unknown) => e);
    const there = await other.follow('alice', p.contextId, ctx()).catch((e: unknown) => e);
    for (const err of [here, there]) {
      expect(isBrutalistError(err) && err.code).toBe('CLI_TIMEOUT');
      expect(isBrutalistError(err) && err.data).toEqual({ critic: 'claude' });
    }
  });
});

describe('cancel', () => {
  it('stops the run, answers cancelled, and later waits say cancelled', async () => {
    const { clock, runs, other } = setup();
    const w = work();
    const p = await pending(runs, clock, w);
    expect(await runs.cancel('alice', p.contextId, 'roast')).toEqual({
      status: 'cancelled',
      tool: 'roast',
      contextId: p.contextId,
    });
    expect(w.seen.signal?.aborted).toBe(true);
    w.fail(new BrutalistError('CANCELLED'));
    await flush();
    expect(await runs.follow('alice', p.contextId, ctx())).toMatchObject({ status: 'cancelled' });
    expect(await other.follow('alice', p.contextId, ctx())).toMatchObject({ status: 'cancelled' });
  });

  it('reaches a run of another process at its next heartbeat', async () => {
    const { clock, runs, other } = setup();
    const w = work();
    const p = await pending(runs, clock, w);
    expect(await other.cancel('alice', p.contextId, 'roast')).toMatchObject({ status: 'cancelled' });
    expect(w.seen.signal?.aborted).toBe(false);
    clock.advance(OPTIONS.lockTtlMs / 3);
    await flush();
    expect(w.seen.signal?.aborted).toBe(true);
  });

  it('refuses a finished critique and an unknown id', async () => {
    const { clock, runs } = setup();
    const w = work();
    const p = await pending(runs, clock, w);
    w.finish('done');
    await flush();
    expect(await codeOf(runs.cancel('alice', p.contextId, 'roast'))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(runs.cancel('alice', 'unknown-context', 'roast'))).toBe('CONTEXT_NOT_FOUND');
  });
});

describe('ownership', () => {
  it('lets no other owner wait on or cancel a run, here or through the record', async () => {
    const { clock, runs, other } = setup();
    const w = work();
    const p = await pending(runs, clock, w);
    expect(await codeOf(runs.follow('bob', p.contextId, { ...ctx(), owner: 'bob' }))).toBe(
      'CONTEXT_NOT_FOUND',
    );
    expect(await codeOf(runs.cancel('bob', p.contextId, 'roast'))).toBe('CONTEXT_NOT_FOUND');
    // Through the record: not this owner's run, so the caller pages (and finds no result of bob's).
    expect(await other.follow('bob', p.contextId, { ...ctx(), owner: 'bob' })).toBeNull();
    expect(await codeOf(other.cancel('bob', p.contextId, 'roast'))).toBe('CONTEXT_NOT_FOUND');
    expect(w.seen.signal?.aborted).toBe(false);
  });
});

describe('runs of another process', () => {
  it('are waited on through the record while its heartbeat is fresh, and found done', async () => {
    const { clock, runs, other } = setup();
    const w = work();
    const p = await pending(runs, clock, w);
    // A long wait, so the run outlives its first lease: only the heartbeats keep it from reading as lost.
    const waiting = other.follow('alice', p.contextId, ctx({ waitMs: 10 * OPTIONS.lockTtlMs }));
    await flush();
    for (let t = OPTIONS.lockPollMs; t <= OPTIONS.lockTtlMs * 2; t += OPTIONS.lockPollMs) {
      clock.advance(OPTIONS.lockPollMs);
      await flush();
      if (t === OPTIONS.lockTtlMs * 1.5) w.finish('done');
    }
    expect(await waiting).toBeNull();
  });

  it('answer running with the recorded critics when not done within waitMs', async () => {
    const { clock, runs, other } = setup();
    const p = await pending(runs, clock, work());
    const waiting = other.follow('alice', p.contextId, ctx());
    await flush();
    for (let t = 0; t < OPTIONS.waitMs; t += OPTIONS.lockPollMs) {
      clock.advance(OPTIONS.lockPollMs);
      await flush();
    }
    expect(await waiting).toMatchObject({
      status: 'running',
      running: ['claude'],
      elapsedMs: 2 * OPTIONS.waitMs,
    });
  });

  it('are lost when the process stopped renewing them (crash): RUN_LOST, not a hang', async () => {
    const { clock, store, other } = setup();
    await store.putRun(
      {
        contextId: 'crashed-run-1',
        owner: 'alice',
        tool: 'roast',
        status: 'running',
        instanceId: 'gone',
        startedAt: clock.now(),
        heartbeatAt: clock.now(),
        running: ['codex'],
      },
      60_000,
    );
    clock.advance(OPTIONS.lockTtlMs + 1);
    expect(await codeOf(other.follow('alice', 'crashed-run-1', ctx()))).toBe('RUN_LOST');
  });

  it('are recorded as lost at shutdown, so a waiter after a restart gets RUN_LOST at once', async () => {
    const { clock, runs, other } = setup();
    const w = work();
    const p = await pending(runs, clock, w);
    await runs.shutdown();
    expect(w.seen.signal?.aborted).toBe(true);
    w.fail(new BrutalistError('CANCELLED'));
    await flush();
    expect(await codeOf(other.follow('alice', p.contextId, ctx()))).toBe('RUN_LOST');
  });
});

describe('the drain', () => {
  it('settles at once when nothing runs', async () => {
    const { runs } = setup();
    expect(await runs.untilSettled(0)).toBe(true);
  });

  it('waits for a critique handed out as a context id until it is recorded, so another process reads it', async () => {
    const { clock, runs, other } = setup();
    const w = work();
    const p = await pending(runs, clock, w);
    let settled: boolean | undefined;
    void runs.untilSettled(30_000).then((s) => {
      settled = s;
    });
    clock.advance(10_000);
    await flush();
    expect(settled).toBeUndefined();
    w.finish('finished while draining');
    await flush();
    expect(settled).toBe(true);
    expect(await other.follow('alice', p.contextId, ctx())).toBeNull(); // finished: the caller pages the store
    expect(await other.state('alice', p.contextId)).toMatchObject({ status: 'done' });
  });

  it('gives up after its grace: the run is then stopped by shutdown and recorded as lost', async () => {
    const { clock, runs, other } = setup();
    const w = work();
    const p = await pending(runs, clock, w);
    const settled = runs.untilSettled(5_000);
    clock.advance(5_000);
    expect(await settled).toBe(false);
    await runs.shutdown();
    w.fail(new BrutalistError('SHUTTING_DOWN'));
    await flush();
    expect(await codeOf(other.follow('alice', p.contextId, ctx()))).toBe('RUN_LOST');
  });
});
