// Queue-mode test kit: real `node dist/cli.js worker` processes on a Redis key prefix, and an in-process front.
import { type ChildProcess, spawn } from 'node:child_process';
import { type Config, resolveConfig } from '../../src/engine/config.js';
import type { CriticRunner } from '../../src/engine/index.js';
import type { QueueExecution } from '../../src/queue/index.js';
import { CLI_JS, fakeCritics, type Sandbox, serverEnv } from './harness.js';

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** stderr so far (the ready and stopped lines, any log). */
  stderr(): string;
  /** Resolves with the exit code or signal once the process has ended. */
  readonly exited: Promise<number | string>;
}

/** Starts a worker of the built CLI and waits for its `worker_ready` line. */
export async function startWorker(
  sandbox: Sandbox,
  redisUrl: string,
  prefix: string,
  extra: Record<string, string> = {},
): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [CLI_JS, 'worker'], {
    env: serverEnv(sandbox, {
      BRUTALIST_REDIS_URL: redisUrl,
      BRUTALIST_QUEUE_KEY_PREFIX: prefix,
      BRUTALIST_WORKER_HEARTBEAT_MS: '500',
      ...extra,
    }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      err += chunk.toString();
      if (err.includes('"worker_ready"')) resolve();
    };
    child.stderr?.on('data', onData);
    void exited.then((code) => reject(new Error(`worker exited (${code}) before ready: ${err}`)));
  });
  return { child, pid: child.pid ?? -1, stderr: () => err, exited };
}

/** SIGKILL (or `signal`) and wait for the exit. */
export async function stopWorker(worker: WorkerProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill(signal);
  await worker.exited;
}

/** A front's config in queue mode over the sandbox's fake critics. */
export function frontConfig(sandbox: Sandbox, redisUrl: string, prefix: string, extra = {}): Config {
  return resolveConfig({
    overrides: fakeCritics(sandbox, {
      execution: 'queue',
      redisUrl,
      queueKeyPrefix: prefix,
      workerHeartbeatMs: 500,
      ...extra,
    }),
  });
}

/** One critic run through the front, with no target (abstract), a prompt carrying `@@fake` knobs. */
export function runQueued(
  front: QueueExecution,
  prompt: string,
  options: {
    signal?: AbortSignal;
    priority?: number;
    deadlineAt?: number;
    onStdout?: (b: Buffer) => void;
  } = {},
): ReturnType<CriticRunner> {
  return front.runner(
    'claude',
    { prompt },
    {
      fileAccess: 'none',
      signal: options.signal ?? new AbortController().signal,
      onStdout: options.onStdout ?? (() => {}),
      ...(options.priority === undefined ? {} : { priority: options.priority }),
      ...(options.deadlineAt === undefined ? {} : { deadlineAt: options.deadlineAt }),
    },
  );
}

/** A prompt the fake critic answers with `answer <tag>` after `delayMs`, logging its run (`task <tag>` on stdin) to `log`. */
export function taskPrompt(log: string, tag: string, delayMs = 0): string {
  return [`task ${tag}`, `@@fake text=answer ${tag}`, `@@fake delay_ms=${delayMs}`, `@@fake log=${log}`].join(
    '\n',
  );
}
