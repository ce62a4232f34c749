/** A fixed-capacity FIFO that never grows: when full, the drop policy decides what is lost, and losses are counted. */
import type { DropPolicy } from './types.js';

export class RingBuffer<T> {
  private readonly items: Array<T | undefined>;
  private head = 0;
  private count = 0;
  /** Items lost to the drop policy since the counter was last taken. */
  private dropped = 0;

  constructor(
    readonly capacity: number,
    private readonly policy: DropPolicy,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity must be an integer >= 1, got ${capacity}`);
    this.items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count < this.capacity) {
      this.items[(this.head + this.count) % this.capacity] = item;
      this.count++;
      return;
    }
    switch (this.policy) {
      case 'drop-newest':
        this.dropped++;
        return;
      case 'latest-wins':
        // Everything pending is superseded by the newest item.
        this.dropped += this.count;
        this.clear();
        this.items[this.head] = item;
        this.count = 1;
        return;
      case 'drop-oldest':
        this.items[this.head] = item;
        this.head = (this.head + 1) % this.capacity;
        this.dropped++;
        return;
    }
  }

  /** Removes and returns everything pending, oldest first. */
  drain(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.items[(this.head + i) % this.capacity] as T);
    this.clear();
    return out;
  }

  /** Returns the number dropped since the last call and resets it. */
  takeDropped(): number {
    const n = this.dropped;
    this.dropped = 0;
    return n;
  }

  private clear(): void {
    this.items.fill(undefined);
    this.head = 0;
    this.count = 0;
  }
}
