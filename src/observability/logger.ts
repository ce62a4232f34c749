/** The server log: pino JSON lines on stderr (stdout is the protocol), fed by the core's diagnostics channels. */
import pino, { type DestinationStream, type Logger } from 'pino';
import type { ServerLogLevel } from '../config/index.js';
import { criticFailureChannel } from '../critics/diagnostics.js';
import { type Clock, systemClock } from '../infra/index.js';
import { exitChannel, spawnChannel } from '../process/diagnostics.js';
import { admissionRejectChannel, breakerStateChannel, shedChannel } from '../resilience/events.js';
import { redactSecretShapes, removeEnvValues, secretEnvValues } from '../security/secrets.js';
import { flightChannel } from '../state/index.js';
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
 * at `warn`, shedding and admission refusals at `info`, process spawn/exit and shared runs at `debug`. Returns the
 * unsubscriber.
 */
export function subscribeDiagnostics(logger: Logger): () => void {
  const unsubscribers = [
    criticFailureChannel.subscribe((e) => {
      const { critic, code, exitClass, durationMs, detail, stderrTail } = e;
      const fields = { event: 'critic_failure', critic, code, exitClass, durationMs, detail, stderrTail };
      logger[code === 'CANCELLED' ? 'info' : 'warn'](fields, 'critic run failed');
    }),
    breakerStateChannel.subscribe(({ name, from, to }) => {
      logger[to === 'open' ? 'warn' : 'info'](
        { event: 'breaker_state', breaker: name, from, to },
        'circuit breaker',
      );
    }),
    admissionRejectChannel.subscribe(({ key, reason, priority, queued }) => {
      logger.info({ event: 'admission_reject', key, reason, priority, queued }, 'request not admitted');
    }),
    shedChannel.subscribe(({ priority, reason, level }) => {
      // Not `level`: that is pino's own key, and a second one would override the line's severity (30 read as 1).
      logger.info({ event: 'shed', priority, reason, pressureLevel: level }, 'request shed under load');
    }),
    spawnChannel.subscribe(({ pid, command, argCount }) => {
      logger.debug({ event: 'process_spawn', pid, command, argCount }, 'spawned');
    }),
    // Each caller of a shared run logs with its own request id; `flight` links it to the run's process lines.
    flightChannel.subscribe(({ flight, role }) => {
      logger.debug({ event: 'flight', flight, role }, role === 'started' ? 'run started' : 'run shared');
    }),
    exitChannel.subscribe(({ pid, exit, durationMs, stdoutBytes, truncated }) => {
      const fields = { event: 'process_exit', pid: pid ?? null, exit, durationMs, stdoutBytes, truncated };
      logger.debug(fields, 'process ended');
    }),
  ];
  return () => {
    for (const unsubscribe of unsubscribers) unsubscribe();
  };
}
