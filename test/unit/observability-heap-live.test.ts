import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { observeLiveHeap } from '../../src/observability/heap-live.js';

// A major GC on demand without starting vitest with --expose-gc.
setFlagsFromString('--expose-gc');
const fullGc = runInNewContext('gc') as () => void;

const liveBytes = async (registry: Registry) =>
  (await registry.getSingleMetric('brutalist_heap_live_bytes')?.get())?.values[0]?.value;

/** GC entries reach observers in a later task: poll the gauge a bounded number of turns. */
async function liveBytesAfter(registry: Registry, changed: (v: number | undefined) => boolean) {
  for (let i = 0; i < 50; i++) {
    const value = await liveBytes(registry);
    if (changed(value)) return value;
    await new Promise((r) => setImmediate(r));
  }
  return liveBytes(registry);
}

describe('brutalist_heap_live_bytes', () => {
  let stop: (() => void) | undefined;
  afterEach(() => stop?.());

  it('reads 0 before a major GC and the used heap after one', async () => {
    const registry = new Registry();
    stop = observeLiveHeap(registry);
    expect(await liveBytes(registry)).toBe(0);
    fullGc();
    const value = await liveBytesAfter(registry, (v) => (v ?? 0) > 0);
    expect(value).toBeGreaterThan(1024 * 1024);
  });

  it('stops following GCs once stopped', async () => {
    const registry = new Registry();
    observeLiveHeap(registry)();
    fullGc();
    expect(await liveBytesAfter(registry, (v) => v !== 0)).toBe(0);
  });
});
