/**
 * Fixed-size time buckets in a ring with running sums over several trailing windows: O(windows) per event and per
 * bucket step, memory fixed by the longest window. The SLO engine keeps two of these (fine and coarse).
 */

/** Counters per bucket: for each SLI, eligible events and bad events. */
export const SLI_NAMES = ['availability', 'errors', 'latency'] as const;
export type SliName = (typeof SLI_NAMES)[number];
export const COUNTERS = SLI_NAMES.length * 2;

/** Index of an SLI's eligible-event counter; its bad counter follows it. */
export function totalIndex(sli: SliName): number {
  return SLI_NAMES.indexOf(sli) * 2;
}

export class BucketWindows {
  private readonly ring: Float64Array;
  private readonly sums: Float64Array[];
  private readonly ringLength: number;
  /** Absolute index (time / bucketMs) of the newest bucket; -Infinity before the first event. */
  private current = Number.NEGATIVE_INFINITY;

  /**
   * @param bucketMs bucket width
   * @param windowBuckets each window's length in buckets (the current, partly filled bucket included)
   */
  constructor(
    readonly bucketMs: number,
    private readonly windowBuckets: readonly number[],
  ) {
    if (!Number.isInteger(bucketMs) || bucketMs < 1)
      throw new RangeError(`bucketMs must be an integer >= 1, got ${bucketMs}`);
    for (const n of windowBuckets) {
      if (!Number.isInteger(n) || n < 1)
        throw new RangeError(`window buckets must be integers >= 1, got ${n}`);
    }
    this.ringLength = Math.max(1, ...windowBuckets);
    this.ring = new Float64Array(this.ringLength * COUNTERS);
    this.sums = windowBuckets.map(() => new Float64Array(COUNTERS));
  }

  /** Moves the newest bucket to the one holding `atMs`; buckets leaving a window are taken off its sum. */
  advance(atMs: number): void {
    const target = Math.floor(atMs / this.bucketMs);
    if (target <= this.current) return;
    if (!Number.isFinite(this.current) || target - this.current > this.ringLength) {
      this.ring.fill(0);
      for (const sum of this.sums) sum.fill(0);
      this.current = target;
      return;
    }
    for (let idx = this.current + 1; idx <= target; idx++) {
      for (let w = 0; w < this.windowBuckets.length; w++) {
        // Entering bucket idx pushes bucket idx - n out of a window of n buckets.
        const leaving = this.slot(idx - this.windowBuckets[w]!);
        const sum = this.sums[w]!;
        for (let c = 0; c < COUNTERS; c++) sum[c]! -= this.ring[leaving + c]!;
      }
      this.ring.fill(0, this.slot(idx), this.slot(idx) + COUNTERS);
    }
    this.current = target;
  }

  /**
   * Adds `counts` (COUNTERS values) at `atMs`: the newest bucket moves forward to it; a time in an older bucket
   * still in the ring adds there (and to the windows that cover it); older than the ring, it is dropped.
   */
  add(atMs: number, counts: ArrayLike<number>): void {
    this.advance(atMs);
    const idx = Math.floor(atMs / this.bucketMs);
    const age = this.current - idx;
    if (age >= this.ringLength) return;
    const at = this.slot(Math.min(idx, this.current));
    for (let c = 0; c < COUNTERS; c++) this.ring[at + c]! += counts[c] ?? 0;
    for (let w = 0; w < this.windowBuckets.length; w++) {
      if (age >= this.windowBuckets[w]!) continue;
      const sum = this.sums[w]!;
      for (let c = 0; c < COUNTERS; c++) sum[c]! += counts[c] ?? 0;
    }
  }

  /** The running sums of window `w` (index into the constructor's list). */
  sum(w: number): Float64Array {
    const sum = this.sums[w];
    if (!sum) throw new RangeError(`no window ${w}`);
    return sum;
  }

  private slot(absoluteIndex: number): number {
    const r = this.ringLength;
    return (((absoluteIndex % r) + r) % r) * COUNTERS;
  }
}
