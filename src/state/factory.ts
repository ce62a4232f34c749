/** Picks and builds the configured StateStore: SQLite file by default, Redis when a URL is set, or memory. */
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { Config } from '../config/index.js';
import { BrutalistError } from '../errors/index.js';
import type { Clock } from '../infra/index.js';
import { CacheFront } from './cache-front.js';
import { DegradingStateStore } from './degrading.js';
import { MemoryStateStore } from './memory.js';
import { RedisStateStore } from './redis.js';
import { SqliteStateStore } from './sqlite.js';
import type { StateStore, StoreBackend } from './types.js';

/** `stateDir`, else $XDG_STATE_HOME/brutalist-mcp, else ~/.local/state/brutalist-mcp (XDG base dir spec). */
export function defaultStateDir(config: Pick<Config, 'stateDir'>, env: NodeJS.ProcessEnv): string {
  if (config.stateDir) return config.stateDir;
  const xdg = env.XDG_STATE_HOME;
  // The spec says a relative XDG_STATE_HOME is invalid and must be ignored.
  const base = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), '.local', 'state');
  return join(base, 'brutalist-mcp');
}

export function selectedBackend(config: Pick<Config, 'stateStore' | 'redisUrl'>): StoreBackend {
  if (config.stateStore === 'auto') return config.redisUrl ? 'redis' : 'sqlite';
  return config.stateStore;
}

export interface StoreFactoryOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly clock: Clock;
  /** Operator log (stderr). */
  readonly log?: (line: string) => void;
}

/** The configured store, behind the in-process cache front (LRU + compression) unless both are off. */
export function createStateStore(config: Config, options: StoreFactoryOptions): StateStore {
  const store = createBackend(config, options);
  if (config.cacheFrontMaxBytes === 0 && config.cacheCompressMinBytes === 0) return store;
  return new CacheFront(store, {
    maxBytes: config.cacheFrontMaxBytes,
    compressMinBytes: config.cacheCompressMinBytes,
    maxAgeMs: config.cacheTtlMs + config.staleCacheMaxAgeMs,
    maxEntryBytes: config.cacheMaxEntryBytes,
    clock: options.clock,
  });
}

function createBackend(config: Config, options: StoreFactoryOptions): StateStore {
  const limits = {
    maxBytes: config.stateMaxBytes,
    maxEntries: config.stateMaxEntries,
    cacheMaxEntryBytes: config.cacheMaxEntryBytes,
    clock: options.clock,
    sweepBatchSize: config.stateSweepBatchSize,
    taskMaxTotal: config.taskMaxTotal,
  };
  switch (selectedBackend(config)) {
    case 'memory':
      return new MemoryStateStore(limits);
    case 'sqlite':
      return new SqliteStateStore({
        ...limits,
        dir: defaultStateDir(config, options.env),
        cacheBytes: config.sqliteCacheBytes,
        checkpointBytes: config.sqliteCheckpointBytes,
        ...(options.log ? { log: options.log } : {}),
      });
    case 'redis':
      if (!config.redisUrl) {
        throw new BrutalistError('CONFIG_INVALID', 'stateStore redis needs redisUrl.', {
          data: { option: 'redisUrl' },
        });
      }
      // An outage degrades to this process's memory (no cache, no sharing) instead of failing requests.
      return new DegradingStateStore(
        new RedisStateStore({
          url: config.redisUrl,
          keyPrefix: config.redisKeyPrefix,
          commandTimeoutMs: config.redisCommandTimeoutMs,
          cacheMaxEntryBytes: config.cacheMaxEntryBytes,
          clock: options.clock,
          sweepBatchSize: config.stateSweepBatchSize,
          ...(options.log ? { log: options.log } : {}),
        }),
        new MemoryStateStore(limits),
      );
  }
}
