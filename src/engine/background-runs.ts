/**
 * Critiques that outlive one tool call: a call waits up to waitMs, then answers "running" with the context id; the
 * run goes on, and a later call with that id waits again and gets the critique (or its error) when it is done.
 */
import { BrutalistError, toBrutalistError } from '../errors/index.js';
import { bindToContext, type Clock, newId, type TimerHandle } from '../infra/index.js';
import type { RunRecord, RunReplay, StateStore } from '../state/index.js';
import type { StreamEvent } from '../streaming/index.js';
import { alreadyFinished, RunRecords, restoreRunError } from './run-records.js';
import type { CancelledResponse, EngineResult, RequestContext, ToolId, ToolResponse } from './types.js';

export interface BackgroundRunsOptions {
  /** Default wait of one call before it answers "running". */
  readonly waitMs: number;
  /** Heartbeat lease of a run record: a record not renewed for this long was lost with its process. */
  readonly lockTtlMs: number;
  /** How often a call waiting on another process's run reads its record. */
  readonly lockPollMs: number;
  /** How long run records are kept. */
  readonly resultTtlMs: number;
}

/** The critique itself, run under the job's signal; it stores its result under `contextId` before resolving. */
export type JobWork = (contextId: string, job: RequestContext) => Promise<ToolResponse>;

/** Queue execution: the work that replays a record's request, so a front can adopt a run whose front died. */
export type Resume = (record: RunRecord) => JobWork | undefined;

/** Where a run stands (BackgroundRuns.state); `updatedAt` is when it last changed status, as far as is known. */
export type RunState =
  | { readonly status: 'running' | 'done' | 'cancelled'; readonly updatedAt: number }
  | { readonly status: 'failed'; readonly updatedAt: number; readonly error: BrutalistError };

type Outcome =
  | { readonly ok: true; readonly value: ToolResponse }
  | { readonly ok: false; readonly error: unknown };

interface Job {
  readonly contextId: string;
  readonly owner: string;
  readonly tool: ToolId;
  readonly startedAt: number;
  readonly controller: AbortController;
  readonly listeners: Set<(event: StreamEvent) => void>;
  readonly running: Set<string>;
  /** Set when another front may take the run over (queue execution): kept in its record. */
  readonly replay?: RunReplay;
  /** Never rejects. */
  readonly settled: Promise<Outcome>;
  outcome: Outcome | undefined;
  /** A pending result was handed out: from now on only cancel, the deadline or shutdown stop the run. */
  detached: boolean;
  cancelled: boolean;
}

export class BackgroundRuns {
  private readonly jobs = new Map<string, Job>();
  private readonly records: RunRecords;
  /** Shutdown has begun: runs that end now were stopped by it. */
  private stopping = false;
  /** Runs not yet ended and recorded (the drain waits for these). */
  private readonly finishing = new Set<Promise<void>>();

  constructor(
    private readonly store: StateStore,
    private readonly clock: Clock,
    private readonly options: BackgroundRunsOptions,
    /** Given (queue execution), a run whose front died is replayed by the next front asked about it. */
    private readonly resume?: Resume,
  ) {
    this.records = new RunRecords(store, clock, options);
  }

  /**
   * Starts `work` and waits for it up to the call's waitMs; then answers "running" and lets it go on. `replay`
   * goes into the run's record, so another front can take the run over (queue execution).
   */
  async start(
    owner: string,
    tool: ToolId,
    ctx: RequestContext,
    work: JobWork,
    replay?: RunReplay,
  ): Promise<EngineResult> {
    if (ctx.signal.aborted) throw new BrutalistError('CANCELLED');
    const job = this.launch(newId(), owner, tool, ctx, work, replay);
    // Before a pending result is out, the caller leaving (notifications/cancelled) stops the run as always.
    const onAbort = () => {
      if (!job.detached) job.controller.abort(ctx.signal.reason);
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.waitOn(job, ctx, undefined);
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
    }
  }

  /** A job running `work` under `contextId`, registered here. */
  private launch(
    contextId: string,
    owner: string,
    tool: ToolId,
    ctx: RequestContext,
    work: JobWork,
    replay: RunReplay | undefined,
  ): Job {
    const controller = new AbortController();
    const listeners = new Set<(event: StreamEvent) => void>();
    const running = new Set<string>();
    const emit = (event: StreamEvent) => {
      if (event.kind === 'started') running.add(event.critic);
      if (event.kind === 'done') running.delete(event.critic);
      for (const listener of listeners) listener(event);
    };
    const jobCtx: RequestContext = { ...ctx, signal: controller.signal, onEvent: emit };
    const job: Job = {
      contextId,
      owner,
      tool,
      startedAt: this.clock.now(),
      controller,
      listeners,
      running,
      outcome: undefined,
      detached: false,
      cancelled: false,
      ...(replay ? { replay } : {}),
      settled: work(contextId, jobCtx).then(
        (value): Outcome => ({ ok: true, value }),
        (error: unknown): Outcome => ({ ok: false, error }),
      ),
    };
    this.jobs.set(contextId, job);
    const finished = job.settled.then((outcome) => this.finish(job, outcome));
    this.finishing.add(finished);
    void finished.then(() => this.finishing.delete(finished));
    return job;
  }

  /**
   * A later call with a context id: waits on the run (here, or on another process through its record). Null when
   * no run is known under that id for this owner, or it finished: the caller pages the stored result.
   */
  async follow(owner: string, contextId: string, ctx: RequestContext): Promise<EngineResult | null> {
    const job = this.jobs.get(contextId);
    if (job) {
      if (job.owner !== owner) throw new BrutalistError('CONTEXT_NOT_FOUND');
      return this.waitOn(job, ctx, job.outcome);
    }
    const record = await this.records.get(contextId);
    if (!record || record.owner !== owner) return null;
    return this.followRecord(record, ctx);
  }

  /**
   * Where a run of this owner stands, without waiting: from its live job here, else its record (a record whose
   * process is gone reads failed with RUN_LOST). Null when no run is known (never recorded, expired, not theirs).
   */
  async state(owner: string, contextId: string): Promise<RunState | null> {
    const job = this.jobs.get(contextId);
    if (job) {
      if (job.owner !== owner) return null;
      const { outcome } = job;
      const updatedAt = this.clock.now();
      // Cancelled as soon as asked, while its critics are still being stopped.
      if (job.cancelled) return { status: 'cancelled', updatedAt };
      if (!outcome) return { status: 'running', updatedAt: job.startedAt };
      if (outcome.ok) return { status: 'done', updatedAt };
      return { status: 'failed', updatedAt, error: toBrutalistError(outcome.error) };
    }
    const record = await this.records.get(contextId);
    if (!record || record.owner !== owner) return null;
    if (this.records.lost(record) && this.replayable(record)) {
      // Its front died: this one takes it over (a task polled here goes on working, then completes).
      await this.adopt(record);
      return { status: 'running', updatedAt: record.startedAt };
    }
    if (this.records.lost(record)) {
      return { status: 'failed', updatedAt: record.heartbeatAt, error: new BrutalistError('RUN_LOST') };
    }
    const updatedAt = record.status === 'running' ? record.startedAt : record.heartbeatAt;
    if (record.status === 'failed')
      return { status: 'failed', updatedAt, error: restoreRunError(record.error) };
    return { status: record.status, updatedAt };
  }

  /**
   * Feeds the run's progress events to `listener` until it ends (a task's progress, after its creating call
   * returned); resolves then. A run not live here (done, another process's) resolves at once.
   */
  watch(owner: string, contextId: string, listener: (event: StreamEvent) => void): Promise<void> {
    const job = this.jobs.get(contextId);
    if (!job || job.owner !== owner || job.outcome) return Promise.resolve();
    job.listeners.add(listener);
    return job.settled.then(() => {
      job.listeners.delete(listener);
    });
  }

  /** Stops a running critique of this owner; its record says cancelled, so a later wait says so too. */
  async cancel(owner: string, contextId: string, tool: ToolId): Promise<CancelledResponse> {
    const cancelled: CancelledResponse = { status: 'cancelled', tool, contextId };
    const job = this.jobs.get(contextId);
    if (job) {
      if (job.owner !== owner) throw new BrutalistError('CONTEXT_NOT_FOUND');
      if (job.outcome && !job.cancelled) throw alreadyFinished();
      job.cancelled = true;
      job.controller.abort(new BrutalistError('CANCELLED'));
      await this.records.write(job, 'cancelled');
      return cancelled;
    }
    const record = await this.records.get(contextId);
    if (!record || record.owner !== owner) return this.records.finishedOrUnknown(owner, contextId);
    if (record.status === 'cancelled') return cancelled;
    if (record.status !== 'running' || this.records.lost(record)) throw alreadyFinished();
    // Running in another process: it reads the cancel at its next heartbeat and stops.
    await this.records.markCancelled(record);
    return cancelled;
  }

  /**
   * The drain: true once every run started here has ended and its record is written (a client that was handed a
   * context id can then fetch the critique from any instance on the same store), false after graceMs.
   */
  untilSettled(graceMs: number): Promise<boolean> {
    if (this.finishing.size === 0) return Promise.resolve(true);
    const all = Promise.all(this.finishing);
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => resolve(false), graceMs);
      void all.then(() => {
        this.clock.clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Server shutdown: stops every run and records it as lost, so a waiter after a restart gets a clear error. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    const live = [...this.jobs.values()].filter((job) => !job.outcome);
    for (const job of live) job.controller.abort(new BrutalistError('SHUTTING_DOWN'));
    await Promise.all(live.filter((job) => job.detached).map((job) => this.records.write(job, lostOf(job))));
  }

  /** Runs that are still going (for tests and the roster). */
  get size(): number {
    return [...this.jobs.values()].filter((job) => !job.outcome).length;
  }

  // ---- steps

  /** Waits for the job up to the call's waitMs: the outcome, or "running" (and the job detaches). */
  private async waitOn(job: Job, ctx: RequestContext, done: Outcome | undefined): Promise<EngineResult> {
    const waitMs = ctx.waitMs ?? this.options.waitMs;
    const outcome = done ?? (await this.race(job, ctx, waitMs));
    if (outcome) {
      if (outcome.ok) return outcome.value;
      if (job.cancelled) return { status: 'cancelled', tool: job.tool, contextId: job.contextId };
      throw outcome.error;
    }
    if (!job.detached) {
      job.detached = true;
      // The record is written before the context id is handed out, so any process (or a task) can read it.
      await this.records.beat(
        job,
        () => job.outcome === undefined,
        () => this.cancelFromRecord(job),
      );
    }
    return this.stillRunning(job, waitMs);
  }

  /** The answer while a run goes on, from its live job or its stored record. */
  private stillRunning(run: Job | RunRecord, waitMs: number): EngineResult {
    return {
      status: 'running',
      tool: run.tool,
      contextId: run.contextId,
      elapsedMs: this.clock.now() - run.startedAt,
      running: [...run.running],
      waitMs: Number.isFinite(waitMs) ? waitMs : this.options.waitMs,
    };
  }

  /** The outcome if it comes within waitMs, else undefined; this caller's signal ends only this caller's wait. */
  private race(job: Job, ctx: RequestContext, waitMs: number): Promise<Outcome | undefined> {
    return new Promise<Outcome | undefined>((resolve, reject) => {
      // In this caller's async context (its request id), not the context of the call that started the run.
      const listener =
        ctx.onEvent && bindToContext('brutalist:wait')((event: StreamEvent) => ctx.onEvent?.(event));
      if (listener) job.listeners.add(listener);
      let timer: TimerHandle | undefined;
      const end = () => {
        if (timer !== undefined) this.clock.clearTimeout(timer);
        if (listener) job.listeners.delete(listener);
        ctx.signal.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        end();
        reject(new BrutalistError('CANCELLED'));
      };
      if (ctx.signal.aborted) return onAbort();
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      if (Number.isFinite(waitMs)) {
        timer = this.clock.setTimeout(() => {
          end();
          resolve(undefined);
        }, waitMs);
      }
      void job.settled.then((outcome) => {
        end();
        resolve(outcome);
      });
    });
  }

  /** Resolves once the outcome is recorded (or kept here when the store is down); never rejects. */
  private async finish(job: Job, outcome: Outcome): Promise<void> {
    job.outcome = outcome;
    if (!job.detached) {
      this.jobs.delete(job.contextId);
      return;
    }
    const status = outcome.ok ? 'done' : job.cancelled ? 'cancelled' : this.stopping ? lostOf(job) : 'failed';
    const error = outcome.ok ? undefined : toBrutalistError(outcome.error);
    // Forgotten here once the store holds the outcome; if the store is down, this process keeps it for as long
    // as the record would have lived.
    const stored = await this.records.write(job, status, error);
    if (stored) this.jobs.delete(job.contextId);
    else this.clock.setTimeout(() => this.jobs.delete(job.contextId), this.options.resultTtlMs);
  }

  private cancelFromRecord(job: Job): void {
    job.cancelled = true;
    job.controller.abort(new BrutalistError('CANCELLED'));
  }

  /** A run of another process (or of this one before a restart), followed through its record. */
  private async followRecord(record: RunRecord, ctx: RequestContext): Promise<EngineResult | null> {
    const waitMs = ctx.waitMs ?? this.options.waitMs;
    const until = this.clock.now() + waitMs;
    let current: RunRecord | null = record;
    for (;;) {
      if (!current || current.status === 'done') return null;
      if (current.status === 'cancelled')
        return { status: 'cancelled', tool: current.tool, contextId: current.contextId };
      if (current.status === 'failed') throw restoreRunError(current.error);
      if (this.records.lost(current) && this.replayable(current)) {
        const adopted = await this.adopt(current);
        if (adopted)
          return this.waitOn(adopted, { ...ctx, waitMs: Math.max(0, until - this.clock.now()) }, undefined);
      } else if (this.records.lost(current)) throw new BrutalistError('RUN_LOST');
      if (this.clock.now() >= until) return this.stillRunning(current, waitMs);
      await this.records.pause(Math.min(this.options.lockPollMs, until - this.clock.now()), ctx.signal);
      current = await this.records.get(current.contextId);
    }
  }

  private replayable(record: RunRecord): boolean {
    return record.replay !== undefined && this.resume?.(record) !== undefined;
  }

  /**
   * Takes over a run whose front died (queue execution): under a store lock (one front adopts), replays its request
   * under the same context id; its critic calls join the jobs still on the queue or done there (job ids are keyed by
   * context id), so the critics do not run twice. Undefined when another front holds the lock or already adopted it.
   */
  private async adopt(record: RunRecord): Promise<Job | undefined> {
    const here = this.jobs.get(record.contextId);
    if (here) return here;
    const lease = await this.store.acquireLock(`adopt:${record.contextId}`, this.options.lockTtlMs);
    if (!lease) return undefined;
    try {
      const current = await this.records.get(record.contextId);
      const work = current && this.records.lost(current) ? this.resume?.(current) : undefined;
      if (!current || !work) return undefined;
      const ctx: RequestContext = {
        owner: current.owner,
        roots: current.replay?.roots ?? [],
        signal: new AbortController().signal,
        ...(current.replay?.timeoutMs === undefined ? {} : { timeoutMs: current.replay.timeoutMs }),
      };
      const job = this.launch(current.contextId, current.owner, current.tool, ctx, work, current.replay);
      job.detached = true;
      await this.records.beat(
        job,
        () => job.outcome === undefined,
        () => this.cancelFromRecord(job),
      );
      return job;
    } finally {
      await this.store.releaseLock(lease).catch(() => false);
    }
  }
}

/** How a run stopped by shutdown is recorded: lost, or left for another front to adopt when it can be replayed. */
function lostOf(job: Job): 'lost' | 'orphaned' {
  return job.replay ? 'orphaned' : 'lost';
}
