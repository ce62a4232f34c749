// MCP tasks over background runs on a manual clock: ttl bounds, the per-principal limit, listing, owners, expiry,
// and a run lost with its process reading failed.
import { afterEach, describe, expect, it } from 'vitest';
import { BackgroundRuns } from '../../src/engine/background-runs.js';
import { type TaskConfig, Tasks } from '../../src/engine/tasks.js';
import { BrutalistError } from '../../src/errors/index.js';
import { ManualClock } from '../../src/infra/index.js';
import { MemoryStateStore } from '../../src/state/index.js';
import { ctx, flush, work } from '../support/background.js';
import { brutalistRejection } from '../support/harness.js';

const MINUTE = 60_000;
const RUNS = { waitMs: 1_000, lockTtlMs: 3_000, lockPollMs: 100, resultTtlMs: 24 * 60 * MINUTE };
const TASKS: TaskConfig = {
  taskTtlMs: 60 * MINUTE,
  taskPollIntervalMs: 2_000,
  taskMaxPerPrincipal: 2,
  taskListPageSize: 2,
  lockTtlMs: RUNS.lockTtlMs,
  lockPollMs: RUNS.lockPollMs,
};

const stores: MemoryStateStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

function setup(config: Partial<TaskConfig> = {}) {
  const clock = new ManualClock();
  const store = new MemoryStateStore({
    maxBytes: 1 << 20,
    maxEntries: 1_000,
    cacheMaxEntryBytes: 1 << 16,
    clock,
  });
  stores.push(store);
  const runs = new BackgroundRuns(store, clock, RUNS);
  const tasks = new Tasks(store, runs, clock, { ...TASKS, ...config });
  /** Creates a task whose run detaches at once (waitMs 0); returns it with the hand-finished critique. */
  async function create(owner = 'alice', ttl?: number | null) {
    const w = work();
    const created = tasks.create(owner, 'roast', ttl, () =>
      runs.start(owner, 'roast', ctx({ owner, waitMs: 0 }), w.fn),
    );
    // Handled here too: a refused create rejects while the clock is still being moved.
    created.catch(() => {});
    await flush();
    clock.advance(0);
    return { task: await created, w };
  }
  return { clock, store, runs, tasks, create };
}

describe('a task', () => {
  it('is working under its run context id, then completed once the critique is stored', async () => {
    const { tasks, store, create, clock } = setup();
    const { task, w } = await create();
    expect(task).toMatchObject({ status: 'working', ttlMs: 60 * MINUTE, pollIntervalMs: 2_000 });
    expect(task.taskId).toBe(w.seen.contextId);
    await store.putResult(
      { contextId: task.taskId, owner: 'alice', text: 'done', meta: {}, createdAt: clock.now() },
      MINUTE,
    );
    w.finish('done');
    await flush();
    expect(await tasks.get('alice', task.taskId)).toMatchObject({ status: 'completed' });
  });

  it('keeps the ttl a client asks within [1 min, taskTtlMs]; none asked: taskTtlMs', async () => {
    const { create } = setup({ taskMaxPerPrincipal: 10 });
    expect((await create('alice', 5 * MINUTE)).task.ttlMs).toBe(5 * MINUTE);
    expect((await create('alice', 10 * 24 * 60 * MINUTE)).task.ttlMs).toBe(60 * MINUTE);
    expect((await create('alice', 1)).task.ttlMs).toBe(MINUTE);
    expect((await create('alice', null)).task.ttlMs).toBe(60 * MINUTE);
  });

  it('is failed with the error when the call fails before a run exists', async () => {
    const { tasks } = setup();
    const task = await tasks.create('alice', 'roast', undefined, async () => {
      throw new BrutalistError('NO_CRITIC_AVAILABLE');
    });
    expect(task).toMatchObject({
      status: 'failed',
      statusMessage: expect.stringMatching(/^NO_CRITIC_AVAILABLE: /),
    });
    const err = await brutalistRejection(tasks.result('alice', task.taskId, async () => ({}) as never));
    expect(err.code).toBe('NO_CRITIC_AVAILABLE');
  });

  it('is not found for another principal (get, result, cancel) and not in their list', async () => {
    const { tasks, create } = setup();
    const { task } = await create('alice');
    expect(await tasks.get('bob', task.taskId)).toBeNull();
    expect((await brutalistRejection(tasks.cancel('bob', task.taskId))).code).toBe('CONTEXT_NOT_FOUND');
    expect((await brutalistRejection(tasks.result('bob', task.taskId, async () => ({}) as never))).code).toBe(
      'CONTEXT_NOT_FOUND',
    );
    expect((await tasks.list('bob')).tasks).toEqual([]);
  });

  it('is gone once its ttl has passed', async () => {
    const { tasks, create, clock } = setup();
    const { task } = await create('alice', MINUTE);
    clock.advance(MINUTE);
    expect(await tasks.get('alice', task.taskId)).toBeNull();
    expect((await tasks.list('alice')).tasks).toEqual([]);
  });

  it('reads failed with RUN_LOST when its run was lost with its process (record not renewed)', async () => {
    const { store, clock } = setup();
    const other = new Tasks(store, new BackgroundRuns(store, clock, RUNS), clock, TASKS);
    await store.putRun(
      {
        contextId: 'ctx_lost',
        owner: 'alice',
        tool: 'roast',
        status: 'running',
        instanceId: 'gone',
        startedAt: clock.now(),
        heartbeatAt: clock.now(),
        running: ['claude'],
      },
      MINUTE,
    );
    await store.putTask(
      {
        taskId: 'ctx_lost',
        owner: 'alice',
        tool: 'roast',
        createdAt: clock.now(),
        ttlMs: MINUTE,
        pollIntervalMs: 1,
      },
      MINUTE,
    );
    expect((await other.get('alice', 'ctx_lost'))?.status).toBe('working');
    clock.advance(RUNS.lockTtlMs + 1);
    expect(await other.get('alice', 'ctx_lost')).toMatchObject({
      status: 'failed',
      statusMessage: expect.stringMatching(/^RUN_LOST: /),
    });
  });
});

describe('the per-principal limit and the list', () => {
  it('refuses a task while all the principal holds are working, and makes room by dropping a finished one', async () => {
    const { tasks, create } = setup();
    const a = await create();
    const b = await create();
    expect((await brutalistRejection(create().then((c) => c.task))).code).toBe('TOO_MANY_TASKS');
    // Another principal is not affected.
    expect((await create('bob')).task.status).toBe('working');
    await tasks.cancel('alice', a.task.taskId);
    const c = await create();
    expect((await tasks.list('alice')).tasks.map((t) => t.taskId)).toEqual([b.task.taskId, c.task.taskId]);
    // Dropped from the list, still readable by id until it expires.
    expect((await tasks.get('alice', a.task.taskId))?.status).toBe('cancelled');
  });

  it('pages oldest first with the last task id as the cursor; an unknown cursor is INVALID_CURSOR', async () => {
    const { tasks, create } = setup({ taskMaxPerPrincipal: 10 });
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await create()).task.taskId);
    const first = await tasks.list('alice');
    expect(first.tasks.map((t) => t.taskId)).toEqual(ids.slice(0, 2));
    expect(first.nextCursor).toBe(ids[1]);
    const second = await tasks.list('alice', first.nextCursor);
    expect(second).toEqual({ tasks: [expect.objectContaining({ taskId: ids[2] })] });
    expect((await brutalistRejection(tasks.list('alice', 'nope'))).code).toBe('INVALID_CURSOR');
  });
});
