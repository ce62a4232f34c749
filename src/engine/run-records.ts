/** Run records in the state store: written when a critique goes to the background, renewed, and read by waiters. */
import { BrutalistError, type ErrorData, isErrorCode } from '../errors/index.js';
import { type Clock, newId } from '../infra/index.js';
import type { RunError, RunRecord, RunReplay, StateStore } from '../state/index.js';
import { sleep } from './guarded-runner.js';
import type { ToolId } from './types.js';

/** What a record is written from. */
export interface RecordedJob {
  readonly contextId: string;
  readonly owner: string;
  readonly tool: ToolId;
  readonly startedAt: number;
  readonly running: ReadonlySet<string>;
  readonly replay?: RunReplay;
}

/** `lost`: stopped with its process (RUN_LOST); `orphaned`: stopped here, left for another front to adopt. */
export type RecordStatus = RunRecord['status'] | 'lost' | 'orphaned';

const LOST = new BrutalistError(
  'RUN_LOST',
  'The server stopped before this critique finished (shutdown or restart); start it again.',
);

export class RunRecords {
  /** This process: a record that names it but that it no longer runs was lost in a restart of the same store. */
  readonly instanceId = newId();
  /** One write at a time per job, in order, so "done" is never overwritten by a late heartbeat. */
  private readonly chains = new WeakMap<RecordedJob, Promise<boolean>>();

  constructor(
    private readonly store: StateStore,
    private readonly clock: Clock,
    private readonly options: { readonly lockTtlMs: number; readonly resultTtlMs: number },
  ) {}

  get(contextId: string): Promise<RunRecord | null> {
    return this.store.getRun(contextId);
  }

  /** Queues a write of the job's record; resolves to whether the store took it (never rejects). */
  write(job: RecordedJob, status: RecordStatus, error?: BrutalistError, when: () => boolean = () => true) {
    const previous = this.chains.get(job) ?? Promise.resolve(true);
    const next = previous.then(async () => {
      if (!when()) return true;
      const now = this.clock.now();
      const failure = status === 'lost' ? LOST : error;
      const record: RunRecord = {
        contextId: job.contextId,
        owner: job.owner,
        tool: job.tool,
        status: status === 'lost' ? 'failed' : status === 'orphaned' ? 'running' : status,
        instanceId: this.instanceId,
        startedAt: job.startedAt,
        // An orphan's heartbeat is already stale: the next front asked about it adopts it at once.
        heartbeatAt: status === 'orphaned' ? 0 : now,
        running: status === 'running' ? [...job.running] : [],
        ...(failure ? { error: runError(failure) } : {}),
        ...(job.replay && (status === 'running' || status === 'orphaned') ? { replay: job.replay } : {}),
      };
      return this.store.putRun(record, this.options.resultTtlMs).then(
        () => true,
        () => false,
      );
    });
    this.chains.set(job, next);
    return next;
  }

  /**
   * Writes "running" now and renews it every third of the lease while `alive()`; a record found cancelled (by
   * a cancel that reached another process) calls `onCancelled`. Resolves once the first write is done (or failed).
   */
  beat(job: RecordedJob, alive: () => boolean, onCancelled: () => void): Promise<void> {
    const everyMs = Math.max(1, Math.floor(this.options.lockTtlMs / 3));
    const tick = async () => {
      if (!alive()) return;
      const record = await this.get(job.contextId).catch(() => null);
      if (record?.status === 'cancelled') {
        onCancelled();
        return;
      }
      await this.write(job, 'running', undefined, alive);
      if (alive()) this.clock.setTimeout(() => void tick(), everyMs);
    };
    return this.write(job, 'running', undefined, alive).then(() => {
      if (alive()) this.clock.setTimeout(() => void tick(), everyMs);
    });
  }

  markCancelled(record: RunRecord): Promise<void> {
    return this.store.putRun(
      { ...record, status: 'cancelled', running: [], heartbeatAt: this.clock.now() },
      this.options.resultTtlMs,
    );
  }

  /** A running record nobody renews: its process stopped (crash, restart) without writing an outcome. */
  lost(record: RunRecord): boolean {
    return (
      record.status === 'running' &&
      (record.instanceId === this.instanceId ||
        this.clock.now() - record.heartbeatAt > this.options.lockTtlMs)
    );
  }

  /** Cancel of an id with no run behind it: a finished result (nothing to stop) or not found at all. */
  async finishedOrUnknown(owner: string, contextId: string): Promise<never> {
    const result = await this.store.getResultPart(contextId, 0, 0);
    if (result && result.owner === owner) throw alreadyFinished();
    throw new BrutalistError('CONTEXT_NOT_FOUND');
  }

  pause(ms: number, signal: AbortSignal): Promise<void> {
    return sleep(this.clock, Math.max(0, ms), signal);
  }
}

export function alreadyFinished(): BrutalistError {
  return new BrutalistError('INVALID_ARGUMENT', 'That critique has already finished; nothing to cancel.', {
    data: { field: 'cancel' },
  });
}

export function runError(error: BrutalistError): RunError {
  return { code: error.code, message: error.message, data: { ...error.data } };
}

/** A stored error as the next waiter gets it: its code, message and plain data; an unknown code is INTERNAL_ERROR. */
export function restoreRunError(error: RunError | undefined): BrutalistError {
  if (!error || !isErrorCode(error.code)) return new BrutalistError('INTERNAL_ERROR');
  const data: Record<string, ErrorData[string]> = {};
  for (const [key, value] of Object.entries(error.data)) {
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) {
      data[key] = value as string | number | boolean | null;
    } else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
      data[key] = value as string[];
    }
  }
  return new BrutalistError(error.code, error.message, { data });
}
