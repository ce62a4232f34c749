/** Options of distributed execution: where critic runs go (in process or a BullMQ queue) and the worker fleet's bounds. */
import { EXECUTION_MODES } from './names.js';
import { choice, int, MINUTE, SECOND, str } from './spec.js';

export const QUEUE_OPTIONS = {
  execution: choice(
    'BRUTALIST_EXECUTION',
    'local',
    'Where critics run: `local` (in this process) or `queue` (a job per critic run on a BullMQ queue in Redis, run by `brutalist-mcp worker` processes; needs redisUrl).',
    EXECUTION_MODES,
  ),
  queueKeyPrefix: str(
    'BRUTALIST_QUEUE_KEY_PREFIX',
    'brutalist-queue',
    'Prefix of the BullMQ keys, the worker heartbeats and the cancel channel in Redis (front instances and workers of one deployment share it).',
  ),
  queueMaxDepth: int(
    'BRUTALIST_QUEUE_MAX_DEPTH',
    1_000,
    1,
    1_000_000,
    'Critic runs waiting in the queue over all critics and front instances; past it a new run is refused with QUEUE_FULL.',
  ),
  queueMaxAttempts: int(
    'BRUTALIST_QUEUE_MAX_ATTEMPTS',
    2,
    1,
    10,
    'Workers that may take one critic run: a run whose worker died (its lock lapsed) is taken over by another until this many have tried, then it fails with WORKER_LOST.',
  ),
  queueLockMs: int(
    'BRUTALIST_QUEUE_LOCK_MS',
    30 * SECOND,
    SECOND,
    10 * MINUTE,
    "Lease a worker holds on a running job, renewed at half of it; a worker silent this long (killed, frozen) loses the job to another worker's stalled check, run as often.",
  ),
  queueAnswerCheckMs: int(
    'BRUTALIST_QUEUE_ANSWER_CHECK_MS',
    10 * SECOND,
    100,
    10 * MINUTE,
    "A front gets a run's answer from its worker on a per-run Redis channel; while it waits it also reads the job's stored outcome this often, in case that message was lost (a worker that died between finishing and replying).",
  ),
  workerConcurrency: int(
    'BRUTALIST_WORKER_CONCURRENCY',
    4,
    1,
    256,
    'Critic runs one `brutalist-mcp worker` runs at once per critic (maxConcurrentPerCritic still caps each critic across all workers).',
  ),
  workerHeartbeatMs: int(
    'BRUTALIST_WORKER_HEARTBEAT_MS',
    5 * SECOND,
    100,
    MINUTE,
    'How often a worker announces what it can run (critics, versions); a worker silent for 3 beats drops out of the roster.',
  ),
  workerDrainMs: int(
    'BRUTALIST_WORKER_DRAIN_MS',
    30 * SECOND,
    0,
    60 * MINUTE,
    'On SIGTERM a worker takes no new job and lets running ones finish for this long; then it stops them and hands them back to the queue for another worker.',
  ),
} as const;
