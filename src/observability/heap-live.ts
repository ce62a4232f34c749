/** The used V8 heap right after the last major GC: the live set, which a leak grows and allocation churn does not. */
import { constants, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { Gauge, type Registry } from 'prom-client';

/**
 * Registers `brutalist_heap_live_bytes` and keeps it current; returns the function that stops observing.
 * `nodejs_heap_size_used_bytes` is read at a random point of the GC cycle and swings by the young generation and the
 * garbage not yet collected (±10 MiB between samples of a steady server); this one moves only when what survives a
 * full collection moves. Read when the GC entry is delivered (batched, just after the collection): the bytes
 * allocated in between are the error. 0 until the first major GC.
 */
export function observeLiveHeap(registry: Registry): () => void {
  const gauge = new Gauge({
    name: 'brutalist_heap_live_bytes',
    help: 'Used V8 heap right after the last major (mark-sweep-compact) GC: the live set. 0 before the first one.',
    registers: [registry],
  });
  gauge.set(0);
  const observer = new PerformanceObserver((list) => {
    const major = list
      .getEntries()
      .some((e) => (e as PerformanceEntry & { readonly detail?: { kind?: number } }).detail?.kind === MAJOR);
    if (major) gauge.set(getHeapStatistics().used_heap_size);
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => observer.disconnect();
}

const MAJOR = constants.NODE_PERFORMANCE_GC_MAJOR;
