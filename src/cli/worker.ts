/** `brutalist-mcp worker`: runs queued critic runs until SIGTERM/SIGINT, then drains (ADR 0041). */
import { CriticAvailability } from '../critics/index.js';
import type { Config } from '../engine/config.js';
import { BrutalistError } from '../errors/index.js';
import { configureSpawner, killAllProcessGroups } from '../process/index.js';
import { CriticWorker } from '../queue/index.js';

/** Starts a worker; resolves once it is ready (it keeps running), after printing one JSON line to stderr. */
export async function workerCommand(config: Config, stderr: NodeJS.WritableStream): Promise<number> {
  if (config.redisUrl === '') {
    throw new BrutalistError(
      'CONFIG_INVALID',
      'worker needs redisUrl (BRUTALIST_REDIS_URL): the queue lives in Redis',
      {
        data: { option: 'redisUrl' },
      },
    );
  }
  configureSpawner(config.spawner);
  const availability = new CriticAvailability({ config });
  const worker = new CriticWorker({ config, availability, log: (line) => stderr.write(`${line}\n`) });
  const heartbeat = await worker.start();
  stderr.write(`${JSON.stringify({ event: 'worker_ready', ...heartbeat })}\n`);
  const shutdown = () => {
    void worker
      .stop()
      .then(() => killAllProcessGroups(config.killGraceMs))
      .finally(() => {
        stderr.write(`${JSON.stringify({ event: 'worker_stopped', id: worker.id })}\n`);
        process.exit(0);
      });
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  return -1;
}
