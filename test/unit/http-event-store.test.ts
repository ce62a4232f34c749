// BoundedEventStore: what a session keeps for Last-Event-ID resumption, per stream, within its byte bound.
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { isBrutalistError } from '../../src/errors/index.js';
import { BoundedEventStore } from '../../src/http/event-store.js';

const progress = (n: number): JSONRPCMessage => ({
  jsonrpc: '2.0',
  method: 'notifications/progress',
  params: { progressToken: 1, progress: n },
});

async function replay(store: BoundedEventStore, after: string): Promise<number[]> {
  const sent: number[] = [];
  await store.replayEventsAfter(after, {
    send: async (_id, message) => {
      if ('params' in message) sent.push(Number(message.params?.progress));
    },
  });
  return sent;
}

describe('BoundedEventStore', () => {
  it('replays the events of the same stream after the given one, in order, skipping the priming event', async () => {
    const store = new BoundedEventStore(64 * 1024);
    const priming = await store.storeEvent('s1', {} as JSONRPCMessage);
    const first = await store.storeEvent('s1', progress(1));
    await store.storeEvent('s2', progress(100));
    await store.storeEvent('s1', progress(2));
    await store.storeEvent('s1', progress(3));
    expect(await replay(store, first)).toEqual([2, 3]);
    expect(await replay(store, priming)).toEqual([1, 2, 3]);
    expect(store.knows(first)).toBe(true);
    expect(store.knows('s3~1')).toBe(false);
  });

  it('holds at most maxBytes, dropping the oldest events first', async () => {
    const one = JSON.stringify(progress(10)).length + 's1'.length;
    const store = new BoundedEventStore(one * 3);
    const ids: string[] = [];
    for (let n = 10; n < 20; n++) ids.push(await store.storeEvent('s1', progress(n)));
    expect(store.stats()).toMatchObject({ held: 3, dropped: 7 });
    expect(store.stats().bytes).toBeLessThanOrEqual(one * 3);
    // A client resuming from a dropped event gets what is still held.
    expect(await replay(store, ids[0]!)).toEqual([17, 18, 19]);
  });

  it('refuses a malformed event id with EVENT_ID_UNKNOWN', async () => {
    const store = new BoundedEventStore(1_000);
    await expect(replay(store, 'nonsense')).rejects.toSatisfy(
      (err) => isBrutalistError(err) && err.code === 'EVENT_ID_UNKNOWN',
    );
  });

  it('does not know event ids without a stream, or with a sequence that is not a positive integer', async () => {
    const store = new BoundedEventStore(1_000);
    await store.storeEvent('s1', progress(1));
    expect(['~1', 's1~0', 's1~x', 's1~1.5', 's1'].map((id) => store.knows(id))).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(store.knows('s1~1')).toBe(true);
  });

  it('forgets a stream once every event of it has been dropped by the bound', async () => {
    const one = JSON.stringify(progress(10)).length + 's1'.length;
    const store = new BoundedEventStore(one);
    const first = await store.storeEvent('s1', progress(10));
    await store.storeEvent('s2', progress(11));
    expect(store.knows(first)).toBe(false);
    expect(store.stats()).toMatchObject({ held: 1, dropped: 1 });
  });

  it('keeps replaying correctly after compacting a long dropped prefix', async () => {
    const one = JSON.stringify(progress(100)).length + 's1'.length;
    const store = new BoundedEventStore(one * 2);
    const ids: string[] = [];
    for (let n = 100; n < 300; n++) ids.push(await store.storeEvent('s1', progress(n)));
    expect(store.stats()).toMatchObject({ held: 2, dropped: 198 });
    expect(await replay(store, ids[0]!)).toEqual([298, 299]);
    expect(await replay(store, ids[198]!)).toEqual([299]);
  });
});
