/**
 * `brutalist-mcp worker`: takes critic runs off the queue and runs them with the same runner, limits and sandbox
 * as a local run; relays stdout to the front, stops a run its caller cancelled, and drains on shutdown.
 */
import { hostname } from 'node:os';
import { type Job, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { checkEvidenceNames } from '../critics/evidence.js';
import { type CriticAvailability, type RoutedRoute, routeOnWorker, runCritic } from '../critics/index.js';
import { type Config, CRITIC_NAMES, type CriticName } from '../engine/config.js';
import { BrutalistError, type ErrorCode, toBrutalistError } from '../errors/index.js';
import { type Clock, newId, systemClock, VERSION } from '../infra/index.js';
import type { PermitTicket } from '../resilience/index.js';
import { openQueues, openRedis } from './connections.js';
import {
  cancelChannel,
  encodeError,
  encodeOutcome,
  encodeResult,
  type JobOutcome,
  parseJobData,
  progressChannel,
  queueNameOf,
  replyChannel,
  requestOf,
} from './jobs.js';
import { beat, leave, type WorkerHeartbeat } from './roster.js';
import { SharedBreakers } from './shared-breaker.js';
import { StdoutRelay } from './stdout-relay.js';

export interface WorkerDeps {
  readonly config: Config;
  readonly availability: CriticAvailability;
  readonly clock?: Clock;
  readonly env?: NodeJS.ProcessEnv;
  readonly log?: (line: string) => void;
}

/** A run in progress on this worker: how to stop it, and whether stopping hands it back to the queue. */
interface LiveRun {
  readonly controller: AbortController;
  handBack: boolean;
}

export class CriticWorker {
  readonly id = newId();
  private readonly clock: Clock;
  private readonly connection: Redis;
  private readonly subscriber: Redis;
  private readonly workers: Worker[] = [];
  private readonly live = new Map<string, LiveRun>();
  private readonly breakers: SharedBreakers;
  /** Breaker updates on their way: the answer does not wait for them, shutdown does. */
  private readonly recording = new Set<Promise<void>>();
  private heartbeat: WorkerHeartbeat | undefined;
  private beatTimer: ReturnType<Clock['setTimeout']> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly deps: WorkerDeps) {
    this.clock = deps.clock ?? systemClock;
    this.connection = openRedis(deps.config.redisUrl);
    this.subscriber = openRedis(deps.config.redisUrl);
    this.breakers = new SharedBreakers(this.connection, deps.config, this.clock);
  }

  /** Probes the installed critics, sets each one's fleet-wide cap, starts a BullMQ Worker per runnable critic. */
  async start(): Promise<WorkerHeartbeat> {
    const { config } = this.deps;
    const checks = await this.deps.availability.checkAll();
    const runnable = checks.filter((a) => a.available);
    const queues = openQueues(config, this.connection);
    await Promise.all(
      CRITIC_NAMES.map((critic) => queues[critic].setGlobalConcurrency(config.maxConcurrentPerCritic)),
    );
    await Promise.all(CRITIC_NAMES.map((critic) => queues[critic].close()));
    this.subscriber.on('message', (_channel: string, jobId: string) => this.stopRun(jobId, false));
    await this.subscriber.subscribe(cancelChannel(config.queueKeyPrefix));
    for (const a of runnable) this.workers.push(this.workerFor(a.critic));
    await Promise.all(this.workers.map((w) => w.waitUntilReady()));
    this.heartbeat = {
      id: this.id,
      host: hostname(),
      pid: process.pid,
      version: VERSION,
      concurrency: config.workerConcurrency,
      critics: runnable.map((a) => ({ critic: a.critic, ...(a.version ? { version: a.version } : {}) })),
    };
    await this.beatNow();
    return this.heartbeat;
  }

  /**
   * Takes no new job; running ones may finish within workerDrainMs, then are stopped and handed back to the
   * queue (another worker takes them). Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.beatTimer) this.clock.clearTimeout(this.beatTimer);
      await leave(this.connection, this.deps.config.queueKeyPrefix, this.id).catch(() => {});
      const closing = Promise.all(this.workers.map((w) => w.close()));
      const drain = this.clock.setTimeout(() => {
        for (const jobId of this.live.keys()) this.stopRun(jobId, true);
      }, this.deps.config.workerDrainMs);
      await closing;
      this.clock.clearTimeout(drain);
      await Promise.all(this.recording);
      this.subscriber.disconnect();
      this.connection.disconnect();
    })();
    return this.stopping;
  }

  private async beatNow(): Promise<void> {
    const { config } = this.deps;
    if (this.stopping || !this.heartbeat) return;
    await beat(this.connection, config.queueKeyPrefix, this.heartbeat, config.workerHeartbeatMs).catch(
      (err: unknown) => this.deps.log?.(`worker heartbeat failed: ${toBrutalistError(err).code}`),
    );
    if (!this.stopping)
      this.beatTimer = this.clock.setTimeout(() => void this.beatNow(), config.workerHeartbeatMs);
  }

  private workerFor(critic: CriticName): Worker {
    const { config } = this.deps;
    return new Worker(queueNameOf(critic), (job, token) => this.answer(job, token), {
      connection: this.connection,
      prefix: config.queueKeyPrefix,
      concurrency: config.workerConcurrency,
      lockDuration: config.queueLockMs,
      stalledInterval: config.queueLockMs,
      maxStalledCount: config.queueMaxAttempts - 1,
      autorun: true,
    })
      .on('error', (err) => this.deps.log?.(`worker queue error: ${toBrutalistError(err).code}`))
      .on('failed', (job) => {
        // A job failed without running (its workers died queueMaxAttempts times): BullMQ's own failure, replied here.
        if (job?.deferredFailure) this.reply(job.id ?? '', { ok: false, reason: job.deferredFailure });
      });
  }

  /**
   * Runs the job and publishes its outcome on the job's reply channel the moment the run ends, before BullMQ
   * stores it: the front waiting on that channel answers without reading the job (ADR 0041). A run handed back to
   * the queue has no outcome yet.
   */
  private async answer(job: Job, token: string | undefined): Promise<Record<string, unknown>> {
    const jobId = job.id ?? '';
    try {
      const value = await this.process(job, token);
      this.reply(jobId, { ok: true, value });
      return value;
    } catch (err) {
      if (!(err instanceof WaitingError)) {
        this.reply(jobId, { ok: false, reason: err instanceof Error ? err.message : String(err) });
      }
      throw err;
    }
  }

  /** Not awaited: a reply lost to a Redis hiccup is found by the front's stored-outcome check. */
  private reply(jobId: string, outcome: JobOutcome): void {
    void this.connection
      .publish(replyChannel(this.deps.config.queueKeyPrefix, jobId), encodeOutcome(outcome))
      .catch((err: unknown) => this.deps.log?.(`reply failed: ${toBrutalistError(err).code}`));
  }

  private stopRun(jobId: string, handBack: boolean): void {
    const run = this.live.get(jobId);
    if (!run) return;
    run.handBack = handBack;
    run.controller.abort();
  }

  /** One job: never started past its deadline; every failure is final (the front's guard decides on retries). */
  private async process(job: Job, token: string | undefined): Promise<Record<string, unknown>> {
    const { config } = this.deps;
    const data = parseJobData(job.data);
    const remainingMs = data.deadlineAt - this.clock.now();
    if (remainingMs <= 0) {
      throw new UnrecoverableError(
        encodeError(
          new BrutalistError('DEADLINE_EXCEEDED', undefined, {
            data: { critic: data.critic, phase: 'queue' },
          }),
        ),
      );
    }
    // The job's route and evidence servers are checked against this worker's own config and env first.
    let route: RoutedRoute | undefined;
    try {
      route = data.route ? routeOnWorker(data.route, config, this.deps.env ?? process.env) : undefined;
      checkEvidenceNames(data.evidence ?? [], config);
    } catch (err) {
      throw new UnrecoverableError(encodeError(toBrutalistError(err)));
    }
    // A routed critic has its own fleet breaker (its gateway failing never pauses the native claude).
    const breaker = route?.key ?? data.critic;
    const ticket = await this.breakers.acquire(breaker, data.deadlineAt).catch((err: unknown) => {
      throw new UnrecoverableError(encodeError(toBrutalistError(err)));
    });
    const startedAt = this.clock.now();
    const jobId = job.id ?? '';
    const run: LiveRun = { controller: new AbortController(), handBack: false };
    this.live.set(jobId, run);
    const relay = new StdoutRelay(
      (bytes) => this.connection.publish(progressChannel(config.queueKeyPrefix, jobId), bytes),
      config.coalescingWindowMs,
      this.clock,
    );
    try {
      const workplace =
        data.fileAccess === 'none'
          ? { fileAccess: 'none' as const }
          : { cwd: data.cwd ?? '', ...(data.root === undefined ? {} : { root: data.root }) };
      const result = await runCritic(
        {
          config,
          availability: this.deps.availability,
          clock: this.clock,
          env: this.deps.env ?? process.env,
        },
        data.critic,
        { ...requestOf(data), ...(route ? { route } : {}) },
        {
          ...workplace,
          ...(data.evidence ? { evidence: data.evidence } : {}),
          ...(data.webTools ? { webTools: true } : {}),
          signal: run.controller.signal,
          onStdout: (chunk) => relay.push(chunk),
          timeoutMs: Math.min(remainingMs, config.cliTimeoutMs),
        },
      );
      await relay.flush();
      this.record(breaker, ticket, undefined, false, startedAt);
      return encodeResult(result);
    } catch (err) {
      await relay.flush().catch(() => {});
      const error = toBrutalistError(err);
      this.record(breaker, ticket, error.code, run.controller.signal.aborted, startedAt);
      if (run.handBack) {
        await job.moveToWait(token);
        throw new WaitingError();
      }
      throw new UnrecoverableError(encodeError(error));
    } finally {
      relay.close();
      this.live.delete(jobId);
    }
  }

  /** The run's outcome into the fleet's breaker; a Redis hiccup here must not turn a critique into an error. */
  private record(
    breaker: string,
    ticket: PermitTicket,
    code: ErrorCode | undefined,
    cancelled: boolean,
    startedAt: number,
  ): void {
    const update = this.breakers
      .release(breaker, ticket, code, cancelled, this.clock.now() - startedAt)
      .catch((err: unknown) => this.deps.log?.(`breaker update failed: ${toBrutalistError(err).code}`))
      .finally(() => this.recording.delete(update));
    this.recording.add(update);
  }
}
