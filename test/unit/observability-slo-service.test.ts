// The SLO service in a server: fed by finished calls, evaluated on its timer, seeded from and flushed to the store.
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/engine/config.js';
import { ManualClock } from '../../src/infra/index.js';
import {
  createLogger,
  observeToolCall,
  RequestTracker,
  runInRequest,
  SloService,
} from '../../src/observability/index.js';
import { MemoryStateStore } from '../../src/state/index.js';

const config = resolveConfig({ overrides: { sloFlushIntervalMs: 60_000, sloMinRequests: 5 } });
const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A service on `clock`, keeping its history in `shared` when given, logging into `lines` when given. */
async function setup(clock: ManualClock, shared?: MemoryStateStore, lines?: Array<Record<string, unknown>>) {
  const tracker = new RequestTracker();
  const logger = lines
    ? createLogger({
        level: 'info',
        clock,
        destination: { write: (l: string) => void lines.push(JSON.parse(l)) },
      })
    : undefined;
  const service = new SloService(config, tracker, clock, logger);
  closers.push(
    () => tracker.close(),
    () => service.close(),
  );
  if (shared) await service.persistTo(shared);
  return { service, tracker };
}

const store = () =>
  new MemoryStateStore({ maxBytes: 1 << 24, maxEntries: 1000, cacheMaxEntryBytes: 1 << 20 });

async function calls(n: number, status: 'done' | 'error') {
  const result =
    status === 'done'
      ? { structuredContent: { status } }
      : { isError: true, structuredContent: { status, error: { code: 'QUEUE_FULL' } } };
  for (let i = 0; i < n; i++) {
    await runInRequest('roast', () => observeToolCall({ principal: 'local' }, async () => result));
  }
}

describe('SLO service', () => {
  it('stores its counts at close and a later server starts from them', async () => {
    const clock = new ManualClock(1_900_000_000_000);
    const shared = store();
    const first = await setup(clock, shared);
    await calls(20, 'done');
    await calls(2, 'error');
    await first.service.close();

    clock.advance(10 * 60_000);
    const second = await setup(clock, shared);
    const availability = second.service.engine.status().find((s) => s.slo === 'availability')!;
    expect(availability.budgetEvents).toBe(22);
    expect(availability.budgetBad).toBe(2);
  });

  it('flushes on its timer while it runs', async () => {
    const clock = new ManualClock(1_900_000_000_000);
    const shared = store();
    await setup(clock, shared);
    await calls(3, 'done');
    clock.advance(60_000);
    // The flush the timer started runs on the memory store's promises only: done before the next macrotask.
    await new Promise((resolve) => setImmediate(resolve));
    const reader = await setup(clock, shared);
    expect(reader.service.engine.status()[0]!.budgetEvents).toBe(3);
  });

  it('logs a page with its runbook and, with no traffic, its resolution from the timer', async () => {
    const clock = new ManualClock(1_900_000_000_000);
    const lines: Array<Record<string, unknown>> = [];
    await setup(clock, undefined, lines);
    await calls(10, 'error');
    const page = lines.find((l) => l.event === 'slo_alert' && l.state === 'firing' && l.rule === 'page_fast');
    expect(page).toMatchObject({
      level: 50,
      slo: 'availability',
      runbook: 'docs/operations.md#slo-availability',
    });
    for (let i = 0; i < 72; i++) clock.advance(5_000); // 6 minutes of silence
    const resolved = lines.find(
      (l) => l.state === 'resolved' && l.rule === 'page_fast' && l.slo === 'availability',
    );
    expect(resolved).toMatchObject({ level: 40, msg: 'SLO alert resolved' });
  });

  it('stores nothing when sloFlushIntervalMs is 0', async () => {
    const clock = new ManualClock(1_900_000_000_000);
    const shared = store();
    const tracker = new RequestTracker();
    const off = new SloService(resolveConfig({ overrides: { sloFlushIntervalMs: 0 } }), tracker, clock);
    closers.push(() => tracker.close());
    await off.persistTo(shared);
    await calls(3, 'done');
    await off.close();
    const reader = await setup(clock, shared);
    expect(reader.service.engine.status()[0]!.budgetEvents).toBe(0);
    expect(off.engine.status()[0]!.budgetEvents).toBe(3);
  });
});
