// Run records in a real memory store on a manual clock: what each status writes, heartbeats that stop on a cancel
// made elsewhere, cancelling a finished or unknown run, and stored errors restored with only plain data.
import { describe, expect, it } from 'vitest';
import { type RecordedJob, RunRecords, restoreRunError } from '../../src/engine/run-records.js';
import { BrutalistError, isBrutalistError } from '../../src/errors/index.js';
import { ManualClock } from '../../src/infra/index.js';
import { MemoryStateStore } from '../../src/state/index.js';

function setup() {
  const clock = new ManualClock(1_000);
  const store = new MemoryStateStore({
    maxBytes: 1_000_000,
    maxEntries: 100,
    cacheMaxEntryBytes: 10_000,
    clock,
  });
  const records = new RunRecords(store, clock, { lockTtlMs: 3_000, resultTtlMs: 60_000 });
  return { clock, store, records };
}
const job = (over: Partial<RecordedJob> = {}): RecordedJob => ({
  contextId: 'ctx_run_0001',
  owner: 'alice',
  tool: 'roast',
  startedAt: 500,
  running: new Set(['claude']),
  replay: { args: { domain: 'idea' }, roots: ['/r'] },
  ...over,
});

describe('RunRecords.write', () => {
  it('writes an orphan as running with a stale heartbeat and its replay, so another front adopts it', async () => {
    const { records } = setup();
    expect(await records.write(job(), 'orphaned')).toBe(true);
    expect(await records.get('ctx_run_0001')).toMatchObject({
      status: 'running',
      heartbeatAt: 0,
      running: [],
      replay: { args: { domain: 'idea' } },
    });
  });

  it('writes a lost run as failed with RUN_LOST, without its replay', async () => {
    const { records } = setup();
    await records.write(job(), 'lost');
    const record = await records.get('ctx_run_0001');
    expect(record).toMatchObject({ status: 'failed', heartbeatAt: 1_000, error: { code: 'RUN_LOST' } });
    expect(record).not.toHaveProperty('replay');
  });

  it('writes a failure with its error, and skips the write when the job is no longer current', async () => {
    const { records } = setup();
    await records.write(job(), 'failed', new BrutalistError('CLI_FAILED', 'boom', { data: { critic: 'x' } }));
    expect((await records.get('ctx_run_0001'))?.error).toEqual({
      code: 'CLI_FAILED',
      message: 'boom',
      data: { critic: 'x' },
    });
    expect(await records.write(job(), 'done', undefined, () => false)).toBe(true);
    expect((await records.get('ctx_run_0001'))?.status).toBe('failed');
  });
});

describe('RunRecords.beat', () => {
  it('renews the heartbeat every third of the lease while alive', async () => {
    const { clock, records } = setup();
    await records.beat(
      job(),
      () => true,
      () => {},
    );
    clock.advance(1_000);
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    expect((await records.get('ctx_run_0001'))?.heartbeatAt).toBe(2_000);
  });

  it('calls onCancelled and stops renewing once another process marked the record cancelled', async () => {
    const { clock, records } = setup();
    let cancelled = 0;
    await records.beat(
      job(),
      () => true,
      () => cancelled++,
    );
    await records.markCancelled((await records.get('ctx_run_0001'))!);
    clock.advance(1_000);
    await new Promise((r) => setImmediate(r));
    expect(cancelled).toBe(1);
    expect((await records.get('ctx_run_0001'))?.status).toBe('cancelled');
    clock.advance(1_000);
    await new Promise((r) => setImmediate(r));
    expect(cancelled).toBe(1);
  });

  it('writes nothing and schedules nothing for a job that is already over', async () => {
    const { clock, records } = setup();
    await records.beat(
      job(),
      () => false,
      () => {},
    );
    expect(await records.get('ctx_run_0001')).toBeNull();
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('RunRecords.finishedOrUnknown', () => {
  const codeOf = async (p: Promise<unknown>) => {
    const err = await p.catch((e: unknown) => e);
    return isBrutalistError(err) ? [err.code, err.data.field] : err;
  };

  it("says a finished critique of the caller's has nothing to cancel, and anyone else's is not found", async () => {
    const { store, records } = setup();
    await store.putResult(
      { contextId: 'ctx_done_01', owner: 'alice', text: 't', meta: {}, createdAt: 0 },
      60_000,
    );
    expect(await codeOf(records.finishedOrUnknown('alice', 'ctx_done_01'))).toEqual([
      'INVALID_ARGUMENT',
      'cancel',
    ]);
    expect(await codeOf(records.finishedOrUnknown('bob', 'ctx_done_01'))).toEqual([
      'CONTEXT_NOT_FOUND',
      undefined,
    ]);
    expect(await codeOf(records.finishedOrUnknown('alice', 'ctx_none_01'))).toEqual([
      'CONTEXT_NOT_FOUND',
      undefined,
    ]);
  });
});

describe('restoreRunError', () => {
  it('gives INTERNAL_ERROR for no stored error or a code this version does not know', () => {
    expect(restoreRunError(undefined).code).toBe('INTERNAL_ERROR');
    expect(restoreRunError({ code: 'NO_SUCH_CODE', message: 'm', data: {} }).code).toBe('INTERNAL_ERROR');
  });

  it('keeps plain values and string lists of the data, and drops objects and mixed lists', () => {
    const err = restoreRunError({
      code: 'CLI_FAILED',
      message: 'boom',
      data: { a: 'x', b: 1, c: true, d: null, e: ['p', 'q'], f: [1, 'q'], g: { nested: 1 } },
    });
    expect(err.code).toBe('CLI_FAILED');
    expect(err.message).toBe('boom');
    expect(err.data).toEqual({ a: 'x', b: 1, c: true, d: null, e: ['p', 'q'] });
  });
});
