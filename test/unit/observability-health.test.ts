// HealthMonitor with a manual clock: phases, readiness from check statuses, the cache, the per-check timeout.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/infra/index.js';
import { type CheckResult, type HealthCheck, HealthMonitor } from '../../src/observability/index.js';

function check(name: string, result: () => Promise<CheckResult>): HealthCheck & { runs: number } {
  const c = {
    name,
    runs: 0,
    run: () => {
      c.runs++;
      return result();
    },
  };
  return c;
}

const ok = async (): Promise<CheckResult> => ({ status: 'ok' });

function monitor(checks: HealthCheck[], clock = new ManualClock(), cacheMs = 1_000) {
  return { clock, health: new HealthMonitor(checks, { clock, cacheMs, checkTimeoutMs: 500 }) };
}

describe('HealthMonitor', () => {
  it('is not ready while warming up, ready after markReady, not ready for good once draining', async () => {
    const { health } = monitor([check('store', ok)]);
    expect((await health.readiness()).status).toBe('not ready');
    health.markReady();
    expect(await health.readiness()).toMatchObject({ status: 'ready', phase: 'ready' });
    health.markDraining();
    health.markReady();
    expect(await health.readiness()).toMatchObject({ status: 'not ready', phase: 'draining' });
    health.close();
  });

  it('reports a shared dependency outage as degraded (still 200) and a local one as not ready', async () => {
    const { health } = monitor([
      check('critics', ok),
      check('store', async () => ({ status: 'degraded', detail: 'redis: unreachable' })),
    ]);
    health.markReady();
    const r = await health.readiness();
    expect(r.status).toBe('degraded');
    expect(r.checks.store).toEqual({ status: 'degraded', detail: 'redis: unreachable' });
    const { health: down } = monitor([check('critics', async () => ({ status: 'down' }))]);
    down.markReady();
    expect((await down.readiness()).status).toBe('not ready');
    health.close();
    down.close();
  });

  it('runs the checks at most once per cacheMs, sharing one run between concurrent probes', async () => {
    const store = check('store', ok);
    const { clock, health } = monitor([store]);
    await Promise.all([health.readiness(), health.readiness(), health.readiness()]);
    expect(store.runs).toBe(1);
    clock.advance(999);
    expect((await health.readiness()).checkedAgoMs).toBe(999);
    expect(store.runs).toBe(1);
    clock.advance(1);
    await health.readiness();
    expect(store.runs).toBe(2);
    health.close();
  });

  it('reads a check that outlives checkTimeoutMs, or throws, as degraded', async () => {
    const hanging = check('redis', () => new Promise<CheckResult>(() => {}));
    const throwing = check('store', async () => {
      throw new Error('/secret/path exploded');
    });
    const { clock, health } = monitor([hanging, throwing]);
    const pending = health.dependencies();
    // The throwing check settles in the next turn; the hanging one only by its timer.
    await new Promise((resolve) => setImmediate(resolve));
    clock.advance(500);
    const { checks } = await pending;
    expect(checks.redis).toEqual({ status: 'degraded', detail: 'check timed out' });
    expect(checks.store).toEqual({ status: 'degraded', detail: 'check failed' });
    health.close();
  });

  it('answers liveness without running any check', () => {
    const store = check('store', ok);
    const { clock, health } = monitor([store]);
    clock.advance(5_000);
    expect(health.liveness()).toMatchObject({ status: 'ok', uptimeS: 5 });
    expect(store.runs).toBe(0);
    health.close();
  });
});
