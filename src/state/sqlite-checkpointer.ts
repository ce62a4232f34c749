/** WAL checkpoints of the SQLite store on a worker thread, so their copy and fsync never stall the event loop. */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** WAL bytes written between two checkpoint requests to the worker (SQLite's own default is about 4 MB too). */
export const DEFAULT_CHECKPOINT_EVERY_BYTES = 4 * 1024 * 1024;
/**
 * Pages after which the request path checkpoints by itself (SQLite's wal_autocheckpoint): a bound on the WAL
 * for when the worker lags or is gone. 16,384 pages of 4 KiB is 64 MiB.
 */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 16_384;

// CommonJS in the worker (eval), loading the same better-sqlite3 the store uses by its resolved path.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { timeout: workerData.busyTimeoutMs, fileMustExist: true });
parentPort.on('message', () => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* the next request, or the fallback, checkpoints */ }
});
`;

/**
 * Started on the first request: a store that never writes `everyBytes` (config sqliteCheckpointBytes) never starts a
 * thread. If the worker fails, the
 * store's own connection goes back to SQLite's default automatic checkpoints (`onFailure`).
 */
export class Checkpointer {
  private worker: Worker | undefined;
  private failed = false;
  private written = 0;

  constructor(
    private readonly path: string,
    private readonly busyTimeoutMs: number,
    private readonly onFailure: () => void,
    private readonly everyBytes: number = DEFAULT_CHECKPOINT_EVERY_BYTES,
  ) {}

  /** Counts bytes being written; asks the worker for a checkpoint every `everyBytes` (it runs after the commit). */
  wrote(bytes: number): void {
    if (this.failed) return;
    this.written += bytes;
    if (this.written < this.everyBytes) return;
    this.written = 0;
    this.start()?.postMessage(0);
  }

  close(): void {
    const worker = this.worker;
    this.worker = undefined;
    this.failed = true;
    // A checkpoint cut short is safe: SQLite finishes or redoes it on the next one (close checkpoints too).
    void worker?.terminate();
  }

  private start(): Worker | undefined {
    if (this.worker || this.failed) return this.worker;
    try {
      const driver = createRequire(import.meta.url).resolve('better-sqlite3');
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { driver, path: this.path, busyTimeoutMs: this.busyTimeoutMs },
      });
      worker.unref();
      worker.on('error', () => this.fail());
      worker.on('exit', () => {
        if (this.worker === worker) this.fail();
      });
      this.worker = worker;
    } catch {
      this.fail();
    }
    return this.worker;
  }

  private fail(): void {
    if (this.failed) return;
    this.failed = true;
    this.worker = undefined;
    this.onFailure();
  }
}
