/**
 * The front instance's side of queue execution: a CriticRunner that enqueues one job per critic run, relays the
 * worker's stdout to the caller's progress, cancels the job when the caller does, and returns the worker's answer.
 */
import type { EventEmitter } from 'node:events';
import { type Job, type Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { type CriticResult, carriedRoute } from '../critics/index.js';
import type { Config, CriticName } from '../engine/config.js';
import type { CriticRunner } from '../engine/index.js';
import { BrutalistError, toBrutalistError } from '../errors/index.js';
import { type Clock, newId, systemClock } from '../infra/index.js';
import { DepthGate } from './admission.js';
import { openQueues, openRedis, waitingDepth } from './connections.js';
import {
  type CriticJobData,
  cancelChannel,
  decodeError,
  decodeResult,
  progressChannel,
  queueNameOf,
  queuePriorityOf,
} from './jobs.js';
import { FleetAvailability } from './roster.js';

/** Past the run's own deadline, how long the front waits for the worker's answer (its kill grace, its reply). */
const ANSWER_SLACK_MS = 2_000;
/** Finished jobs kept in Redis for inspection: this long, and at most this many per critic. */
const KEEP_FINISHED = { age: 3_600, count: 1_000 } as const;

type RunnerOptions = Parameters<CriticRunner>[2];

export class QueueExecution {
  private readonly connection: Redis;
  private readonly subscriber: Redis;
  private readonly queues: Record<CriticName, Queue>;
  private readonly events = new Map<CriticName, Promise<QueueEvents>>();
  /** Progress channel → where its stdout bytes go. */
  private readonly listeners = new Map<string, (chunk: Buffer) => void>();
  private readonly clock: Clock;
  /** Connections made for QueueEvents (BullMQ leaves a connection it was given open). */
  private readonly eventConnections: Redis[] = [];
  /** Shutting down: runs stopped now are left to the workers (another front adopts them), not cancelled. */
  private leaving = false;
  private readonly gate: DepthGate;

  constructor(
    private readonly config: Config,
    clock: Clock = systemClock,
  ) {
    this.clock = clock;
    this.connection = openRedis(config.redisUrl, config.redisCommandTimeoutMs);
    this.subscriber = openRedis(config.redisUrl, config.redisCommandTimeoutMs);
    this.queues = openQueues(config, this.connection);
    this.gate = new DepthGate(() => this.depth().catch(unreachable), config.queueMaxDepth);
    this.subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => {
      this.listeners.get(channel.toString())?.(message);
    });
  }

  /** The fleet's roster (worker heartbeats) read over the same connection. */
  availability(): FleetAvailability {
    return new FleetAvailability(this.config, this.clock, this.connection);
  }

  /** Runs waiting for a worker over every critic's queue (the number QUEUE_FULL compares with queueMaxDepth). */
  depth(): Promise<number> {
    return waitingDepth(this.connection, this.queues);
  }

  /** The CriticRunner the engine guards in place of runCritic. */
  readonly runner: CriticRunner = (critic, request, options) => this.run(critic, request, options);

  /** This front is going away: from now on a stopped run leaves its job on the queue for the front that adopts it. */
  leave(): void {
    this.leaving = true;
  }

  async close(): Promise<void> {
    const closing = Promise.allSettled([
      ...[...this.events.values()].map((e) => e.then((q) => q.close())),
      ...Object.values(this.queues).map((q) => q.close()),
    ]);
    // Redis down: nothing to close politely; the disconnects below end it all.
    await this.bounded(closing).catch(() => {});
    for (const c of this.eventConnections) c.disconnect();
    this.subscriber.disconnect();
    this.connection.disconnect();
  }

  private async run(
    critic: CriticName,
    request: Parameters<CriticRunner>[1],
    options: RunnerOptions,
  ): Promise<CriticResult> {
    if (options.signal.aborted) throw new BrutalistError('CANCELLED');
    const now = this.clock.now();
    const runMs = Math.min(options.timeoutMs ?? this.config.cliTimeoutMs, this.config.cliTimeoutMs);
    const deadlineAt = Math.min(options.deadlineAt ?? now + runMs, now + runMs);
    // A run's keyed call (GuardedCall.jobKey) is idempotent: a front replaying the run joins the job already there.
    const jobId = options.jobKey ?? newId();
    const channel = progressChannel(this.config.queueKeyPrefix, jobId);
    this.listeners.set(channel, options.onStdout);
    try {
      // Independent round trips, at once: the depth check, the progress subscription, the events stream.
      const [, , events] = await this.bounded(
        Promise.all([
          this.gate.admit(),
          this.subscriber.subscribe(channel).catch(unreachable),
          this.eventsFor(critic),
        ]),
      );
      const job = await this.bounded(
        this.queues[critic]
          .add('run', jobData(critic, request, options, deadlineAt), {
            jobId,
            priority: queuePriorityOf(options.priority ?? 2),
            attempts: 1,
            removeOnComplete: KEEP_FINISHED,
            removeOnFail: KEEP_FINISHED,
          })
          .catch(unreachable),
      );
      return await this.answer(critic, job, events, options.signal, deadlineAt);
    } finally {
      this.listeners.delete(channel);
      void this.subscriber.unsubscribe(channel).catch(() => {});
    }
  }

  /** `work` unless Redis keeps it waiting past redisCommandTimeoutMs (an outage: commands wait for a reconnect). */
  private bounded<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = this.clock.setTimeout(
        () => reject(new BrutalistError('STATE_UNAVAILABLE', 'The run queue (Redis) is unreachable.')),
        this.config.redisCommandTimeoutMs,
      );
      work.then(resolve, reject).finally(() => this.clock.clearTimeout(timer));
    });
  }

  /** The worker's answer; or CANCELLED / DEADLINE_EXCEEDED, after telling the worker to stop. */
  private answer(
    critic: CriticName,
    job: Job,
    events: QueueEvents,
    signal: AbortSignal,
    deadlineAt: number,
  ): Promise<CriticResult> {
    const waitMs = Math.max(1, deadlineAt - this.clock.now()) + this.config.killGraceMs + ANSWER_SLACK_MS;
    return new Promise<CriticResult>((resolve, reject) => {
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        this.clock.clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        outcome.stop();
        fn();
      };
      const stop = (error: BrutalistError) => {
        if (!this.leaving) void this.cancel(critic, job.id ?? '');
        finish(() => reject(error));
      };
      const onAbort = () => stop(new BrutalistError('CANCELLED'));
      const timer = this.clock.setTimeout(
        () => stop(new BrutalistError('DEADLINE_EXCEEDED', undefined, { data: { critic, phase: 'queue' } })),
        waitMs,
      );
      signal.addEventListener('abort', onAbort, { once: true });
      const outcome = this.outcomeOf(critic, job.id ?? '', events, {
        completed: (value) => finish(() => resolveOrReject(value, resolve, reject)),
        failed: (reason) => finish(() => reject(decodeError(reason))),
      });
    });
  }

  /**
   * Calls `on.completed` or `on.failed` once the job ends, from its queue events. The events are read from a point
   * fixed before any add (eventsFor), so a job added now cannot end unseen; only an add that found the job already
   * there (a replay joining it, BullMQ's `duplicated` event) reads its stored state, as the job may have ended
   * before. Not Job.waitUntilFinished: its async executor leaves a Redis error (a command timeout under load) as an
   * unhandled rejection that would end the process.
   */
  private outcomeOf(
    critic: CriticName,
    jobId: string,
    events: QueueEvents,
    on: { completed: (value: unknown) => void; failed: (reason: string | undefined) => void },
  ): { stop: () => void } {
    const completed = (args: { returnvalue: unknown }) => on.completed(args.returnvalue);
    const failed = (args: { failedReason?: string }) => on.failed(args.failedReason);
    const duplicated = () => this.storedOutcome(critic, jobId, on);
    // The per-job event names (`completed:<id>`) are emitted by QueueEvents but not in its typed listener map.
    const emitter: EventEmitter = events;
    emitter.on(`completed:${jobId}`, completed);
    emitter.on(`failed:${jobId}`, failed);
    emitter.on(`duplicated:${jobId}`, duplicated);
    return {
      stop: () => {
        emitter.off(`completed:${jobId}`, completed);
        emitter.off(`failed:${jobId}`, failed);
        emitter.off(`duplicated:${jobId}`, duplicated);
      },
    };
  }

  /** The outcome of a job that may have ended before we listened; nothing when it has not (its events will say). */
  private storedOutcome(
    critic: CriticName,
    jobId: string,
    on: { completed: (value: unknown) => void; failed: (reason: string | undefined) => void },
  ): void {
    // A Redis error here leaves the answer to the events or to the caller's deadline.
    // The state first, then the job: BullMQ writes a finished job's state and its returnvalue/failedReason in one
    // script, so a job read after its state is final carries them (read before, it may fail in between and carry
    // no failedReason: a spurious INTERNAL_ERROR).
    const queue = this.queues[critic];
    void queue
      .getJobState(jobId)
      .then(async (state) => {
        if (state !== 'completed' && state !== 'failed') return;
        const job = await queue.getJob(jobId);
        if (!job) return;
        if (state === 'completed') on.completed(job.returnvalue);
        else on.failed(job.failedReason);
      })
      .catch(() => {});
  }

  /** Takes a waiting job off the queue; a running one is stopped by its worker (the cancel channel). */
  private async cancel(critic: CriticName, jobId: string): Promise<void> {
    await this.connection.publish(cancelChannel(this.config.queueKeyPrefix), jobId).catch(() => 0);
    await this.queues[critic].remove(jobId).catch(() => 0);
  }

  private eventsFor(critic: CriticName): Promise<QueueEvents> {
    let events = this.events.get(critic);
    if (!events) {
      const connection = openRedis(this.config.redisUrl);
      this.eventConnections.push(connection);
      events = this.lastEventId(critic).then(async (lastEventId) => {
        // Read from the stream's end as it was before this front added anything: an event written before the
        // first blocking read is sent (`$` would skip it) is still delivered.
        const created = new QueueEvents(queueNameOf(critic), {
          connection,
          prefix: this.config.queueKeyPrefix,
          lastEventId,
        });
        created.on('error', () => {});
        try {
          await created.waitUntilReady();
        } catch (err) {
          void created.close().catch(() => {});
          throw err;
        }
        return created;
      });
      events = events.catch((err: unknown) => {
        // Not kept: the next run tries again once Redis answers.
        this.events.delete(critic);
        throw new BrutalistError('STATE_UNAVAILABLE', 'The run queue (Redis) is unreachable.', {
          cause: err,
        });
      });
      this.events.set(critic, events);
    }
    return events;
  }

  /** The id of the last event in `critic`'s event stream ('0-0' when it has none yet). */
  private async lastEventId(critic: CriticName): Promise<string> {
    const last = await this.connection.xrevrange(this.queues[critic].toKey('events'), '+', '-', 'COUNT', 1);
    return last[0]?.[0] ?? '0-0';
  }
}

/** A Redis failure on the way to the queue: STATE_UNAVAILABLE, the cause kept for the log, never shown. */
function unreachable(err: unknown): never {
  throw new BrutalistError('STATE_UNAVAILABLE', 'The run queue (Redis) is unreachable.', { cause: err });
}

function jobData(
  critic: CriticName,
  request: Parameters<CriticRunner>[1],
  options: RunnerOptions,
  deadlineAt: number,
): CriticJobData {
  const { route, ...asked } = request;
  // Everything a local run would get: the route (checked again on the worker), evidence servers, web tools.
  const base = {
    critic,
    request: asked,
    ...(route ? { route: carriedRoute(route) } : {}),
    ...(options.evidence?.length ? { evidence: [...options.evidence] } : {}),
    ...(options.webTools ? { webTools: true } : {}),
    deadlineAt,
  };
  return options.fileAccess === 'none'
    ? { ...base, fileAccess: 'none' }
    : {
        ...base,
        fileAccess: 'read',
        cwd: options.cwd,
        ...(options.root === undefined ? {} : { root: options.root }),
      };
}

function resolveOrReject(
  value: unknown,
  resolve: (r: CriticResult) => void,
  reject: (e: BrutalistError) => void,
): void {
  try {
    resolve(decodeResult(value));
  } catch (err) {
    reject(toBrutalistError(err));
  }
}
