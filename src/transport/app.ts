/** The composition root: builds the store, critic availability, engine and MCP server from one Config. */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Config } from '../config/index.js';
import { CriticAvailability } from '../critics/index.js';
import { Engine } from '../engine/index.js';
import { type Clock, systemClock, VERSION } from '../infra/index.js';
import { createMcpServer } from '../mcp/index.js';
import { killAllProcessGroups } from '../process/index.js';
import { MemoryStateStore, type StateStore } from '../state/index.js';

/** How often expired state is swept (bounded work per sweep). */
const SWEEP_INTERVAL_MS = 60_000;

export interface App {
  readonly engine: Engine;
  readonly store: StateStore;
  readonly availability: CriticAvailability;
  /** A new MCP server bound to this app (one per connection). */
  createServer(owner?: string): Server;
  /** Stops critics (SIGTERM, then SIGKILL after killGraceMs), stops sweeps, closes the store. Idempotent. */
  shutdown(): Promise<void>;
}

export function createApp(
  config: Config,
  options: { env?: NodeJS.ProcessEnv; clock?: Clock; cwd?: string } = {},
): App {
  const env = options.env ?? process.env;
  const clock = options.clock ?? systemClock;
  const store = new MemoryStateStore({
    maxBytes: config.stateMaxBytes,
    maxEntries: config.stateMaxEntries,
    cacheMaxEntryBytes: config.cacheMaxEntryBytes,
    clock,
  });
  const availability = new CriticAvailability({ config, clock, env });
  const engine = new Engine({ config, store, availability, clock, env });

  let sweep = clock.setTimeout(function tick() {
    void store.cleanupExpired().catch(() => {});
    sweep = clock.setTimeout(tick, SWEEP_INTERVAL_MS);
  }, SWEEP_INTERVAL_MS);

  let closing: Promise<void> | undefined;
  return {
    engine,
    store,
    availability,
    createServer: (owner) =>
      createMcpServer({
        engine,
        version: VERSION,
        env,
        owner: owner ?? 'local',
        cwd: options.cwd ?? process.cwd(),
      }),
    shutdown() {
      closing ??= (async () => {
        clock.clearTimeout(sweep);
        await killAllProcessGroups(config.killGraceMs);
        await store.close();
      })();
      return closing;
    },
  };
}
