/** The server log: pino JSON lines on stderr (stdout is the protocol), fed by the core's diagnostics channels. */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { ServerLogLevel } from '../config/index.js';
import { CRITIC_FAILURE_CHANNEL, type CriticFailureEvent } from '../critics/diagnostics.js';
import { type Clock, systemClock } from '../infra/index.js';
import {
  PROCESS_EXIT_CHANNEL,
  PROCESS_SPAWN_CHANNEL,
  type ProcessExitEvent,
  type ProcessSpawnEvent,
} from '../process/diagnostics.js';
import {
  ADMISSION_REJECT_CHANNEL,
  type AdmissionRejectEvent,
  BREAKER_STATE_CHANNEL,
  type BreakerTransitionEvent,
  SHED_CHANNEL,
  type ShedEvent,
} from '../resilience/events.js';
import { redactSecretShapes, removeEnvValues, secretEnvValues } from '../security/secrets.js';
import { currentRequest } from './request-context.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  readonly level: ServerLogLevel;
  /** Whose secret values are blanked out of every line; defaults to process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Where lines go; default stderr (fd 2), written synchronously so no line is lost at exit. */
  readonly destination?: DestinationStream;
  readonly clock?: Clock;
}

/** Deepest nesting the redaction walks; log fields are flat events, so deeper values are cut rather than walked. */
const MAX_REDACT_DEPTH = 6;

/**
 * A logger whose every line carries the current request id (when there is one) and has secrets (the server's
 * secret env values, token shapes, credentials in URLs and key=value pairs) replaced by `<redacted>`.
 */
export function createLogger(options: LoggerOptions): Logger {
  const envValues = secretEnvValues(options.env ?? process.env);
  const redactText = (text: string) => redactSecretShapes(removeEnvValues(text, envValues));
  const redact = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return redactText(value);
    if (typeof value !== 'object' || value === null) return value;
    if (depth >= MAX_REDACT_DEPTH) return '<truncated>';
    if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) out[key] = redact(child, depth + 1);
    return out;
  };
  const clock = options.clock ?? systemClock;
  return pino(
    {
      level: options.level,
      base: { name: 'brutalist-mcp' },
      timestamp: () => `,"time":${clock.now()}`,
      mixin: () => {
        const request = currentRequest();
        return request ? { requestId: request.requestId, tool: request.tool } : {};
      },
      formatters: { log: (object) => redact(object, 0) as Record<string, unknown> },
      hooks: {
        // Messages are fixed strings in this code base; redacted anyway, in case one ever quotes input.
        logMethod(args, method) {
          const clean = args.map((arg) => (typeof arg === 'string' ? redactText(arg) : arg));
          return method.apply(this, clean as Parameters<typeof method>);
        },
      },
    },
    options.destination ?? pino.destination({ dest: 2, sync: true }),
  );
}

/**
 * Logs the core's diagnostics events: every critic failure at `warn` (cancellations at `info`), breaker openings
 * at `warn`, shedding and admission refusals at `info`, process spawn/exit at `debug`. Returns the unsubscriber.
 */
export function subscribeDiagnostics(logger: Logger): () => void {
  const handlers: Array<[string, (message: unknown) => void]> = [
    [
      CRITIC_FAILURE_CHANNEL,
      (message) => {
        const e = message as CriticFailureEvent;
        const level = e.code === 'CANCELLED' ? 'info' : 'warn';
        logger[level](
          {
            event: 'critic_failure',
            critic: e.critic,
            code: e.code,
            exitClass: e.exitClass,
            durationMs: e.durationMs,
            detail: e.detail,
            stderrTail: e.stderrTail,
          },
          'critic run failed',
        );
      },
    ],
    [
      BREAKER_STATE_CHANNEL,
      (message) => {
        const e = message as BreakerTransitionEvent;
        const level = e.to === 'open' ? 'warn' : 'info';
        logger[level]({ event: 'breaker_state', breaker: e.name, from: e.from, to: e.to }, 'circuit breaker');
      },
    ],
    [
      ADMISSION_REJECT_CHANNEL,
      (message) => {
        const e = message as AdmissionRejectEvent;
        logger.info(
          { event: 'admission_reject', key: e.key, reason: e.reason, priority: e.priority, queued: e.queued },
          'request not admitted',
        );
      },
    ],
    [
      SHED_CHANNEL,
      (message) => {
        const e = message as ShedEvent;
        logger.info(
          { event: 'shed', priority: e.priority, reason: e.reason, level: e.level },
          'request shed under load',
        );
      },
    ],
    [
      PROCESS_SPAWN_CHANNEL,
      (message) => {
        const e = message as ProcessSpawnEvent;
        logger.debug(
          { event: 'process_spawn', pid: e.pid, command: e.command, argCount: e.argCount },
          'spawned',
        );
      },
    ],
    [
      PROCESS_EXIT_CHANNEL,
      (message) => {
        const e = message as ProcessExitEvent;
        logger.debug(
          {
            event: 'process_exit',
            pid: e.pid ?? null,
            exit: e.exit,
            durationMs: e.durationMs,
            stdoutBytes: e.stdoutBytes,
            truncated: e.truncated,
          },
          'process ended',
        );
      },
    ],
  ];
  for (const [name, handler] of handlers) subscribe(name, handler);
  return () => {
    for (const [name, handler] of handlers) unsubscribe(name, handler);
  };
}
