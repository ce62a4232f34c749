/** DistributedFlight over a real MemoryStateStore with a manual clock: waiters, dead holders, renewal, outages. */
import { afterEach, describe, expect, it } from 'vitest';
import { DistributedFlight } from '../../src/engine/distributed-flight.js';
import { ManualClock } from '../../src/infra/index.js';
import { MemoryStateStore } from '../../src/state/index.js';

const TTL = 1_000;
const POLL = 100;
const flush = () => new Promise((r) => setImmediate(r));

function setup(maxWaitMs = 60_000) {
  const clock = new ManualClock();
  const store = new MemoryStateStore({
    maxBytes: 1 << 20,
    maxEntries: 100,
    cacheMaxEntryBytes: 1 << 16,
    clock,
  });
  const flight = new DistributedFlight(store, clock, { lockTtlMs: TTL, lockPollMs: POLL, maxWaitMs });
  const readShared = async () => (await store.getCache('k'))?.text ?? null;
  return { clock, store, flight, readShared };
}

async function advance(clock: ManualClock, ms: number, step = POLL): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(step);
    await flush();
  }
}

const signal = new AbortController().signal;
let stores: MemoryStateStore[] = [];
afterEach(async () => {
  for (const s of stores) await s.close();
  stores = [];
});

describe('DistributedFlight', () => {
  it('runs the work under the lock and hands back its fence', async () => {
    const { store, flight, readShared } = setup();
    stores.push(store);
    const outcome = await flight.run('k', signal, readShared, async () => 'mine');
    expect(outcome).toMatchObject({ kind: 'ran', value: 'mine' });
    expect(outcome.kind === 'ran' && outcome.fence).toBeGreaterThan(0);
    expect(await store.acquireLock('k', TTL)).not.toBeNull();
  });

  it("waits while another holder runs, then takes the holder's cached result", async () => {
    const { clock, store, flight, readShared } = setup();
    stores.push(store);
    const holder = await store.acquireLock('k', TTL);
    let ran = false;
    const waiting = flight.run('k', signal, readShared, async () => {
      ran = true;
      return 'mine';
    });
    await advance(clock, 3 * POLL);
    await store.setCache('k', { text: 'theirs', meta: {}, storedAt: clock.now() }, 60_000, holder!.fence);
    await advance(clock, POLL);
    expect(await waiting).toEqual({ kind: 'shared', value: 'theirs' });
    expect(ran).toBe(false);
  });

  it('runs the work itself once a dead holder’s lease has lapsed', async () => {
    const { clock, store, flight, readShared } = setup();
    stores.push(store);
    const dead = await store.acquireLock('k', TTL);
    const waiting = flight.run('k', signal, readShared, async () => 'mine');
    await advance(clock, TTL + POLL);
    const outcome = await waiting;
    expect(outcome).toMatchObject({ kind: 'ran', value: 'mine' });
    expect(outcome.kind === 'ran' && outcome.fence! > dead!.fence).toBe(true);
    // The dead holder's late cache write carries the older fence and is refused.
    expect(await store.setCache('k', { text: 'late', meta: {}, storedAt: 0 }, 60_000, dead!.fence)).toBe(
      false,
    );
  });

  it('renews its lease while the work runs longer than the lease', async () => {
    const { clock, store, flight, readShared } = setup();
    stores.push(store);
    let finish: (v: string) => void = () => {};
    const running = flight.run('k', signal, readShared, () => new Promise<string>((r) => (finish = r)));
    await flush();
    await advance(clock, 3 * TTL, TTL / 4);
    expect(await store.acquireLock('k', TTL)).toBeNull();
    finish('done');
    expect((await running).kind).toBe('ran');
    expect(await store.acquireLock('k', TTL)).not.toBeNull();
  });

  it('stops waiting after maxWaitMs and runs the work unlocked', async () => {
    const { clock, store, flight, readShared } = setup(5 * POLL);
    stores.push(store);
    await store.acquireLock('k', 60_000);
    const waiting = flight.run('k', signal, readShared, async () => 'mine');
    await advance(clock, 6 * POLL);
    expect(await waiting).toEqual({ kind: 'ran', value: 'mine', fence: undefined });
  });

  it('runs the work unlocked when the store is unavailable', async () => {
    const { store, flight, readShared } = setup();
    await store.close();
    expect(await flight.run('k', signal, readShared, async () => 'mine')).toEqual({
      kind: 'ran',
      value: 'mine',
      fence: undefined,
    });
  });

  it('stops waiting with CANCELLED when the caller cancels', async () => {
    const { store, flight, readShared } = setup();
    stores.push(store);
    await store.acquireLock('k', 60_000);
    const controller = new AbortController();
    const waiting = flight.run('k', controller.signal, readShared, async () => 'mine');
    await flush();
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('never runs the work when the holder published and released between a poll and the acquire', async () => {
    const { clock, store, flight } = setup();
    stores.push(store);
    const holder = await store.acquireLock('k', TTL);
    let polls = 0;
    // The interleaving that ran the critic twice across instances: this waiter's poll finds nothing, then the
    // holder writes its result and releases before the waiter's next acquire, which therefore succeeds.
    const readShared = async () => {
      const hit = (await store.getCache('k'))?.text ?? null;
      if (++polls === 1) {
        await store.setCache('k', { text: 'theirs', meta: {}, storedAt: clock.now() }, 60_000, holder!.fence);
        await store.releaseLock(holder!);
      }
      return hit;
    };
    let ran = 0;
    const waiting = flight.run('k', signal, readShared, async () => {
      ran++;
      return 'mine';
    });
    await advance(clock, 3 * POLL);
    expect(await waiting).toEqual({ kind: 'shared', value: 'theirs' });
    expect(ran).toBe(0);
    // The lock it won only to find the result is free again.
    expect(await store.acquireLock('k', TTL)).not.toBeNull();
  });

  it('hands the work its fence, so a result is published while the lock is still held', async () => {
    const { store, flight, readShared } = setup();
    stores.push(store);
    let heldDuringWork = false;
    const outcome = await flight.run('k', signal, readShared, async (fence) => {
      heldDuringWork = (await store.acquireLock('k', TTL)) === null;
      expect(await store.setCache('k', { text: 'mine', meta: {}, storedAt: 0 }, 60_000, fence)).toBe(true);
      return 'mine';
    });
    expect(outcome).toMatchObject({ kind: 'ran', value: 'mine' });
    expect(heldDuringWork).toBe(true);
  });
});
