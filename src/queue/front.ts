/**
 * The front instance's side of queue execution: a CriticRunner that enqueues one job per critic run, relays the
 * worker's stdout to the caller's progress, cancels the job when the caller does, and returns the worker's answer.
 */
import type { Job, Queue } from 'bullmq';
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
  decodeOutcome,
  decodeResult,
  type JobOutcome,
  progressChannel,
  queuePriorityOf,
  replyChannel,
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
  /** Subscribed channel (a run's progress or reply) → where its messages go. */
  private readonly listeners = new Map<string, (message: Buffer) => void>();
  /** Each waiting run's read of its job's stored outcome, redone when the subscription came back after a drop. */
  private readonly rechecks = new Set<() => void>();
  private readonly clock: Clock;
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
    // Replies published while the subscription was down are lost: once it is back (ioredis resubscribes before it
    // says ready; the PING's reply comes after the SUBSCRIBE's), every waiting run reads its job's stored outcome.
    this.subscriber.on('ready', () => {
      if (this.rechecks.size === 0) return;
      void this.subscriber
        .ping()
        .then(() => {
          for (const recheck of this.rechecks) recheck();
        })
        .catch(() => {});
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
    const closing = Promise.allSettled(Object.values(this.queues).map((q) => q.close()));
    // Redis down: nothing to close politely; the disconnects below end it all.
    await this.bounded(closing).catch(() => {});
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
    const progress = progressChannel(this.config.queueKeyPrefix, jobId);
    const reply = replyChannel(this.config.queueKeyPrefix, jobId);
    const answer = new AnswerWait();
    this.listeners.set(progress, options.onStdout);
    this.listeners.set(reply, (message) => answer.settle(decodeOutcome(message.toString())));
    try {
      // Subscribed before the add, so no reply can be published unheard; the depth check at the same time.
      await this.bounded(
        Promise.all([this.gate.admit(), this.subscriber.subscribe(progress, reply).catch(unreachable)]),
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
      // A keyed add may have found the job there (a replay), perhaps finished before we subscribed: read it once.
      if (options.jobKey !== undefined) this.readStored(critic, jobId, answer);
      return await this.answer(critic, job, answer, options.signal, deadlineAt);
    } finally {
      this.listeners.delete(progress);
      this.listeners.delete(reply);
      void this.subscriber.unsubscribe(progress, reply).catch(() => {});
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

  /**
   * The worker's answer (its reply message, or the job's stored outcome read every queueAnswerCheckMs and after
   * the subscription came back); or CANCELLED / DEADLINE_EXCEEDED, after telling the worker to stop.
   */
  private answer(
    critic: CriticName,
    job: Job,
    answer: AnswerWait,
    signal: AbortSignal,
    deadlineAt: number,
  ): Promise<CriticResult> {
    const jobId = job.id ?? '';
    const waitMs = Math.max(1, deadlineAt - this.clock.now()) + this.config.killGraceMs + ANSWER_SLACK_MS;
    const recheck = () => this.readStored(critic, jobId, answer);
    return new Promise<CriticResult>((resolve, reject) => {
      let check: ReturnType<Clock['setTimeout']> | undefined;
      const stop = (error: BrutalistError) => {
        if (!this.leaving) void this.cancel(critic, jobId);
        answer.settle(undefined, error);
      };
      const onAbort = () => stop(new BrutalistError('CANCELLED'));
      const timer = this.clock.setTimeout(
        () => stop(new BrutalistError('DEADLINE_EXCEEDED', undefined, { data: { critic, phase: 'queue' } })),
        waitMs,
      );
      const schedule = () => {
        check = this.clock.setTimeout(() => {
          recheck();
          schedule();
        }, this.config.queueAnswerCheckMs);
      };
      schedule();
      signal.addEventListener('abort', onAbort, { once: true });
      this.rechecks.add(recheck);
      answer.onSettled((outcome, error) => {
        this.clock.clearTimeout(timer);
        if (check) this.clock.clearTimeout(check);
        signal.removeEventListener('abort', onAbort);
        this.rechecks.delete(recheck);
        if (error) reject(error);
        else if (outcome?.ok) resolveOrReject(outcome.value, resolve, reject);
        else reject(decodeError(outcome?.reason));
      });
    });
  }

  /**
   * Settles `answer` with the job's stored outcome when it has one; nothing when it has not ended (its reply will
   * come). A Redis error here leaves the answer to the reply, the next check or the caller's deadline.
   */
  private readStored(critic: CriticName, jobId: string, answer: AnswerWait): void {
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
        answer.settle(
          state === 'completed'
            ? { ok: true, value: job.returnvalue }
            : { ok: false, reason: job.failedReason },
        );
      })
      .catch(() => {});
  }

  /** Takes a waiting job off the queue; a running one is stopped by its worker (the cancel channel). */
  private async cancel(critic: CriticName, jobId: string): Promise<void> {
    await this.connection.publish(cancelChannel(this.config.queueKeyPrefix), jobId).catch(() => 0);
    await this.queues[critic].remove(jobId).catch(() => 0);
  }
}

/**
 * One run's answer, settled once by whichever comes first (the reply, a stored read, a cancel, the deadline); a
 * settle before the waiter listens is kept for it. A malformed reply (undefined) is ignored: a stored read follows.
 */
class AnswerWait {
  private settled: { outcome: JobOutcome | undefined; error: BrutalistError | undefined } | undefined;
  private listener:
    | ((outcome: JobOutcome | undefined, error: BrutalistError | undefined) => void)
    | undefined;

  settle(outcome: JobOutcome | undefined, error?: BrutalistError): void {
    if (this.settled || (outcome === undefined && error === undefined)) return;
    this.settled = { outcome, error };
    this.listener?.(outcome, error);
  }

  onSettled(listener: (outcome: JobOutcome | undefined, error: BrutalistError | undefined) => void): void {
    this.listener = listener;
    if (this.settled) listener(this.settled.outcome, this.settled.error);
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
