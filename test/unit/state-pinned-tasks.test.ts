// MCP task records are never evicted by a store's LRU (a live task must not vanish under cache load); instead the
// store holds at most taskMaxTotal live tasks and refuses one more with TOO_MANY_TASKS. Memory and SQLite (the
// stores that evict); Redis evicts nothing of ours.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/infra/index.js';
import {
  MemoryStateStore,
  SqliteStateStore,
  type StateStore,
  type TaskRecord,
} from '../../src/state/index.js';
import { brutalistRejection } from '../support/harness.js';

const MINUTE = 60_000;
const root = mkdtempSync(join(tmpdir(), 'brutalist-pinned-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const limits = { maxBytes: 1024 * 1024, maxEntries: 6, cacheMaxEntryBytes: 16 * 1024, taskMaxTotal: 3 };
let n = 0;
const stores: Array<[string, (clock: ManualClock) => StateStore]> = [
  ['memory', (clock) => new MemoryStateStore({ ...limits, clock })],
  ['SQLite', (clock) => new SqliteStateStore({ ...limits, dir: join(root, `s${n++}`), clock })],
];

const task = (taskId: string, clock: ManualClock): TaskRecord => ({
  taskId,
  owner: 'alice',
  tool: 'roast',
  createdAt: clock.now(),
  ttlMs: MINUTE,
  pollIntervalMs: 2_000,
});

const entry = (i: number) => ({ text: `cached ${i}`, meta: {}, storedAt: 0 });

describe.each(stores)('pinned tasks in the %s store', (_name, make) => {
  it('keeps every live task while cache writes evict everything else', async () => {
    const clock = new ManualClock();
    const store = make(clock);
    for (const id of ['t1', 't2', 't3']) await store.putTask(task(id, clock), MINUTE);
    await store.putTaskList({ owner: 'alice', tasks: [] }, MINUTE);
    for (let i = 0; i < 40; i++) await store.setCache(`k${i}`, entry(i), MINUTE);
    for (const id of ['t1', 't2', 't3']) expect(await store.getTask(id)).toEqual(task(id, clock));
    expect(await store.getTaskList('alice')).not.toBeNull();
    // The cache still works within what the tasks leave: the newest entry is there, the oldest evicted.
    expect(await store.getCache('k39')).not.toBeNull();
    expect(await store.getCache('k0')).toBeNull();
    await store.close();
  });

  it('refuses a task past taskMaxTotal live ones with TOO_MANY_TASKS, and takes it once one expired', async () => {
    const clock = new ManualClock();
    const store = make(clock);
    for (const id of ['t1', 't2']) await store.putTask(task(id, clock), MINUTE);
    clock.advance(MINUTE / 2);
    await store.putTask(task('t3', clock), MINUTE);
    const refused = await brutalistRejection(store.putTask(task('t4', clock), MINUTE));
    expect(refused.code).toBe('TOO_MANY_TASKS');
    expect(refused.data).toMatchObject({ limit: 3, scope: 'server' });
    expect(await store.getTask('t4')).toBeNull();
    // Replacing a task already held is not one more.
    await store.putTask({ ...task('t3', clock), pollIntervalMs: 1_000 }, MINUTE);
    clock.advance(MINUTE / 2);
    await store.putTask(task('t4', clock), MINUTE);
    expect(await store.getTask('t4')).not.toBeNull();
    await store.close();
  });
});
