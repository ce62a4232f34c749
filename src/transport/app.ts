/** The composition root: builds the store, critic availability, engine and MCP server from one Config. */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CriticAvailability, CriticLogins } from '../critics/index.js';
import type { Config } from '../engine/config.js';
import { Engine } from '../engine/index.js';
import { type Clock, systemClock, VERSION } from '../infra/index.js';
import { createMcpServer } from '../mcp/index.js';
import {
  buildSloReport,
  type Logger,
  type Observability,
  startTracing,
  subscribeDiagnostics,
} from '../observability/index.js';
import { configureSpawner, killAllProcessGroups, privateDirsRemoved } from '../process/index.js';
import { QueueExecution } from '../queue/index.js';
import { createStateStore, type StateStore } from '../state/index.js';
import { StreamHub, type StreamingConfig } from '../streaming/index.js';

/** The streaming bounds from the one Config. */
export function streamingConfig(config: Config): StreamingConfig {
  return {
    maxEventRate: config.maxEventRate,
    maxGlobalEventRate: config.maxGlobalEventRate,
    bufferSize: config.streamBufferSize,
    coalescingWindowMs: config.coalescingWindowMs,
    dropPolicy: config.dropPolicy,
    heartbeatMs: config.progressIntervalMs,
  };
}

export interface App {
  readonly streams: StreamHub;
  readonly engine: Engine;
  readonly store: StateStore;
  readonly availability: CriticAvailability;
  /** Whether each installed critic is logged in (doctor, the roster). */
  readonly logins: CriticLogins;
  /** A new MCP server bound to this app (one per connection); `toolListed` narrows its tools/list. */
  createServer(owner?: string, options?: { toolListed?: (name: string) => boolean }): Server;
  /** Stops critics (SIGTERM, then SIGKILL after killGraceMs), stops sweeps, closes the store. Idempotent. */
  shutdown(): Promise<void>;
}

export function createApp(
  config: Config,
  options: {
    env?: NodeJS.ProcessEnv;
    clock?: Clock;
    cwd?: string;
    store?: StateStore;
    /** The server log; given, it receives the diagnostics events and every failed tool call until shutdown. */
    logger?: Logger;
    /** Metrics and SLOs: given, the store is instrumented and keeps SLO history; closed before the store. */
    observability?: Observability;
  } = {},
): App {
  const env = options.env ?? process.env;
  const clock = options.clock ?? systemClock;
  configureSpawner(config.spawner);
  const baseStore =
    options.store ??
    createStateStore(config, { env, clock, log: (line) => process.stderr.write(`${line}\n`) });
  const store = options.observability ? options.observability.attach(baseStore) : baseStore;
  // Queue mode: critics run on workers; availability comes from their heartbeats (ADR 0041).
  const queue = config.execution === 'queue' ? new QueueExecution(config, clock) : undefined;
  const availability = queue?.availability() ?? new CriticAvailability({ config, clock, env });
  const logins = new CriticLogins({ config, availability, clock, env });
  const engine = new Engine({
    config,
    store,
    availability,
    logins,
    clock,
    env,
    ...(queue ? { runner: queue.runner } : {}),
  });
  const streams = new StreamHub(streamingConfig(config), clock);
  const unsubscribeLog = options.logger ? subscribeDiagnostics(options.logger) : () => {};
  // Off unless otlpEndpoint is set: then every tool call is a span tree exported over OTLP/HTTP.
  const tracing = startTracing(config);

  let sweep = clock.setTimeout(function tick() {
    void store.cleanupExpired().catch(() => {});
    sweep = clock.setTimeout(tick, config.stateSweepIntervalMs);
  }, config.stateSweepIntervalMs);

  let closing: Promise<void> | undefined;
  return {
    engine,
    store,
    availability,
    logins,
    streams,
    createServer: (owner, serverOptions) =>
      createMcpServer({
        engine,
        version: VERSION,
        env,
        owner: owner ?? 'local',
        cwd: options.cwd ?? process.cwd(),
        streams,
        ...(options.logger ? { logger: options.logger } : {}),
        ...(serverOptions?.toolListed ? { toolListed: serverOptions.toolListed } : {}),
        sloReport: () => buildSloReport(config, store, clock),
      }),
    shutdown() {
      closing ??= (async () => {
        clock.clearTimeout(sweep);
        // Queue mode: the jobs of runs stopped now stay on the queue; the next front adopts them (ADR 0041).
        queue?.leave();
        // Background critiques first: their records must say they were stopped before the store closes.
        await engine.close();
        await queue?.close();
        await killAllProcessGroups(config.killGraceMs);
        await privateDirsRemoved();
        await options.observability?.close();
        await tracing?.close();
        await store.close();
        unsubscribeLog();
      })();
      return closing;
    },
  };
}
