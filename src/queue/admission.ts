/** The front's admission against the fleet's waiting depth: runs arriving together share one depth read. */
import { BrutalistError } from '../errors/index.js';

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * QUEUE_FULL when the runs waiting over the fleet reach `limit`. Runs that ask in the same tick (a burst, the
 * critics of one request) form a batch with one depth read, and are admitted in order while the depth plus the runs
 * admitted ahead of them in the batch stays under the limit, so a burst cannot overshoot it on its own (reads made
 * one per run all saw the depth before any of the burst was added). Runs being added by other batches or other
 * fronts at that instant are not seen: the check and the add are not atomic (ADR 0041).
 */
export class DepthGate {
  private batch: Waiter[] | undefined;

  constructor(
    private readonly readDepth: () => Promise<number>,
    private readonly limit: number,
  ) {}

  admit(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.batch === undefined) {
        const batch: Waiter[] = [];
        this.batch = batch;
        queueMicrotask(() => this.read(batch));
      }
      this.batch.push({ resolve, reject });
    });
  }

  private read(batch: readonly Waiter[]): void {
    this.batch = undefined;
    this.readDepth().then(
      (depth) => {
        batch.forEach((waiter, ahead) => {
          const size = depth + ahead;
          if (size < this.limit) waiter.resolve();
          else {
            waiter.reject(
              new BrutalistError('QUEUE_FULL', undefined, {
                data: { size, limit: this.limit, reason: 'queue' },
              }),
            );
          }
        });
      },
      (err: unknown) => {
        for (const waiter of batch) waiter.reject(err);
      },
    );
  }
}
