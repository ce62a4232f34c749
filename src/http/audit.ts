/**
 * The audit log: one JSON line per tool call and per security decision over HTTP, appended to a file rotated by
 * size. A line cannot be forged through a field, never holds a token, a secret, a path or file contents, and
 * writing one never blocks or throws on the request path.
 */
import { createStream, type RotatingFileStream } from 'rotating-file-stream';
import type { Config } from '../config/index.js';
import type { ErrorCode } from '../errors/index.js';
import { type Clock, sha256Hex, systemClock } from '../infra/index.js';
import { redactSecretShapes, removeEnvValues, secretEnvValues } from '../security/secrets.js';

export type AuditConfig = Pick<
  Config,
  'auditLog' | 'auditMaxFileBytes' | 'auditKeptFiles' | 'auditMaxFieldChars' | 'auditMaxPendingBytes'
>;

/** What was decided about: a tool call, or one of the request guards. */
export type AuditEvent =
  | 'tool_call'
  | 'auth'
  | 'scope'
  | 'host'
  | 'origin'
  | 'rate_limit'
  | 'session'
  | 'request_limit'
  | 'connection';

/** `allow`/`deny` for guards; `ok`/`error` for tool calls. */
export type AuditDecision = 'allow' | 'deny' | 'ok' | 'error';

export interface AuditEntry {
  readonly event: AuditEvent;
  readonly decision: AuditDecision;
  /** API key name or JWT subject; absent before authentication. */
  readonly principal?: string;
  readonly ip?: string;
  /** The MCP session id. */
  readonly session?: string;
  readonly tool?: string;
  readonly critics?: readonly string[];
  /** The critique target's path: only a hash of it is written (`targetFingerprint`). */
  readonly target?: string;
  /** The error code of a denied or failed request. */
  readonly code?: ErrorCode;
  readonly requestId?: string;
  /** The HTTP status answered. */
  readonly status?: number;
  /** Identical refusals of this address since its previous line, counted instead of written one by one. */
  readonly repeated?: number;
}

/** What the log itself writes after dropping entries: how many were lost since the last line that got through. */
export interface AuditDroppedNotice {
  readonly event: 'audit_dropped';
  readonly decision: 'error';
  readonly count: number;
}

export interface AuditStats {
  readonly written: number;
  readonly dropped: number;
  /** The file could not be written (then every entry is dropped); see the server log for why. */
  readonly failed: boolean;
}

export interface AuditLog {
  /** Queues one line; never throws and never waits (past auditMaxPendingBytes the entry is dropped and counted). */
  write(entry: AuditEntry): void;
  /** Resolves once every queued line reached the file. */
  flush(): Promise<void>;
  close(): Promise<void>;
  stats(): AuditStats;
}

export interface AuditOptions {
  readonly clock?: Clock;
  /** Whose secret values are blanked out of every field; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Where a failing audit file is reported (default: nowhere). */
  readonly log?: (line: string) => void;
}

/** Most items of a list field (critics): a request names a few critics; more is not a real request. */
export const AUDIT_MAX_LIST_ITEMS = 16;
const CUT = '…';

/** Characters JSON leaves raw that a line reader or a terminal may still act on: DEL, C1 controls, U+2028/9. */
const UNSAFE_IN_LINE = /[\u007f-\u009f\u2028\u2029]/g;

/** One audit line (without its newline) for `entry`: fields redacted, cut to `maxFieldChars`, the target hashed. */
export function formatAuditLine(
  entry: AuditEntry | AuditDroppedNotice,
  options: {
    readonly nowMs: number;
    readonly maxFieldChars: number;
    readonly redact: (text: string) => string;
  },
): string {
  const text = (value: string | undefined) =>
    value === undefined ? undefined : cut(options.redact(value), options.maxFieldChars);
  const time = new Date(options.nowMs).toISOString();
  if (entry.event === 'audit_dropped') {
    return JSON.stringify({ time, event: entry.event, decision: entry.decision, count: entry.count });
  }
  const line = {
    time,
    event: entry.event,
    decision: entry.decision,
    principal: text(entry.principal),
    ip: text(entry.ip),
    session: text(entry.session),
    tool: text(entry.tool),
    critics: entry.critics?.slice(0, AUDIT_MAX_LIST_ITEMS).map((c) => text(c)),
    targetFingerprint: entry.target === undefined ? undefined : sha256Hex(`target\0${entry.target}`),
    code: text(entry.code),
    requestId: text(entry.requestId),
    status: Number.isInteger(entry.status) ? entry.status : undefined,
    repeated: Number.isInteger(entry.repeated) ? entry.repeated : undefined,
  };
  // JSON escapes quotes, backslashes and C0 controls (\n, ESC...); the rest that could end or forge a line is
  // escaped here, so a line always parses back to exactly the values written.
  return JSON.stringify(line).replace(
    UNSAFE_IN_LINE,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** At most `max` characters (code points, so no surrogate pair is split), marked with `…` when cut. */
function cut(value: string, max: number): string {
  if (value.length <= max) return value;
  const points = Array.from(value);
  return points.length <= max ? value : `${points.slice(0, max - 1).join('')}${CUT}`;
}

/** The redaction every field goes through: the secret env values, then token and credential shapes. */
export function auditRedactor(env: NodeJS.ProcessEnv): (text: string) => string {
  const envValues = secretEnvValues(env);
  return (text) => redactSecretShapes(removeEnvValues(text, envValues));
}

/** An audit log that writes nothing (auditLog unset). */
export const NO_AUDIT_LOG: AuditLog = Object.freeze({
  write: () => {},
  flush: () => Promise.resolve(),
  close: () => Promise.resolve(),
  stats: () => ({ written: 0, dropped: 0, failed: false }),
});

/**
 * The audit log of `config.auditLog` (NO_AUDIT_LOG when unset): appended to (mode 0600), rotated once it reaches
 * auditMaxFileBytes to `.1` … `.auditKeptFiles`, the oldest deleted. Several instances need one file each.
 */
export function createAuditLog(config: AuditConfig, options: AuditOptions = {}): AuditLog {
  if (config.auditLog === '') return NO_AUDIT_LOG;
  const clock = options.clock ?? systemClock;
  const log = options.log ?? (() => {});
  const format = {
    maxFieldChars: config.auditMaxFieldChars,
    redact: auditRedactor(options.env ?? process.env),
  };
  const stream: RotatingFileStream = createStream(config.auditLog, {
    size: `${config.auditMaxFileBytes}B`,
    rotate: config.auditKeptFiles,
    mode: 0o600,
  });
  let written = 0;
  let dropped = 0;
  let droppedUnreported = 0;
  let failed = false;
  let inflight = 0;
  let idle: Array<() => void> = [];
  let closing: Promise<void> | undefined;
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (!failed) log(`brutalist-mcp: audit log: cannot write (${err.code ?? 'error'}); entries are dropped`);
    failed = true;
    settle(Number.POSITIVE_INFINITY);
  });
  stream.on('warning', (err: NodeJS.ErrnoException) =>
    log(`brutalist-mcp: audit log: ${err.code ?? 'warning'}`),
  );

  function settle(n: number): void {
    inflight = Math.max(0, inflight - n);
    if (inflight > 0) return;
    const waiting = idle;
    idle = [];
    for (const resolve of waiting) resolve();
  }

  function append(line: string): boolean {
    const bytes = Buffer.byteLength(line) + 1;
    if (failed || closing || stream.writableLength + bytes > config.auditMaxPendingBytes) return false;
    inflight++;
    stream.write(`${line}\n`, () => settle(1));
    return true;
  }

  return {
    write(entry) {
      const nowMs = clock.now();
      if (droppedUnreported > 0) {
        const notice = { event: 'audit_dropped', decision: 'error', count: droppedUnreported } as const;
        if (append(formatAuditLine(notice, { nowMs, ...format }))) {
          droppedUnreported = 0;
        }
      }
      if (append(formatAuditLine(entry, { nowMs, ...format }))) {
        written++;
        return;
      }
      dropped++;
      droppedUnreported++;
    },
    flush() {
      if (inflight === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idle.push(resolve));
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        if (stream.destroyed) return resolve();
        stream.once('close', () => resolve());
        stream.end();
      }).then(() => settle(Number.POSITIVE_INFINITY));
      return closing;
    },
    stats: () => ({ written, dropped, failed }),
  };
}
