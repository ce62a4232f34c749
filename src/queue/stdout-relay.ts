/** Sends a running critic's stdout to the front in batches: at most one message per window, nothing dropped. */
import type { Clock, TimerHandle } from '../infra/index.js';

export class StdoutRelay {
  private pending: Buffer[] = [];
  private timer: TimerHandle | undefined;
  private sending: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly send: (bytes: Buffer) => Promise<unknown>,
    private readonly windowMs: number,
    private readonly clock: Clock,
  ) {}

  push(chunk: Buffer): void {
    this.pending.push(chunk);
    this.timer ??= this.clock.setTimeout(() => void this.flush(), this.windowMs);
  }

  /** Sends what is pending now, after whatever is already on its way (order kept). */
  flush(): Promise<unknown> {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length > 0) {
      const bytes = Buffer.concat(this.pending);
      this.pending = [];
      this.sending = this.sending.then(() => this.send(bytes)).catch(() => {});
    }
    return this.sending;
  }

  close(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
  }
}
