/** Types of the streaming layer: what producers report while a request runs, and how it is bounded. */

/** What a critic run (or the queue in front of it) reports; progress is coalesced from these. */
export type StreamEvent =
  | { readonly kind: 'queued'; readonly position: number; readonly estimatedWaitMs?: number }
  | { readonly kind: 'started'; readonly critic: string }
  | { readonly kind: 'output'; readonly critic: string; readonly bytes: number }
  | { readonly kind: 'text'; readonly critic: string; readonly chars: number }
  | { readonly kind: 'tool'; readonly critic: string; readonly name: string }
  | { readonly kind: 'usage'; readonly critic: string; readonly outputTokens?: number }
  | { readonly kind: 'done'; readonly critic: string; readonly ok: boolean };

/** A log line for `notifications/message` (RFC 5424 levels as MCP uses them). */
export interface LogEntry {
  readonly level: LogLevel;
  readonly text: string;
}

export const LOG_LEVELS = [
  'debug',
  'info',
  'notice',
  'warning',
  'error',
  'critical',
  'alert',
  'emergency',
] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const DROP_POLICIES = ['drop-oldest', 'drop-newest', 'latest-wins'] as const;
export type DropPolicy = (typeof DROP_POLICIES)[number];

export interface StreamingConfig {
  /** Notifications per second for one request (progress and log together). */
  readonly maxEventRate: number;
  /** Notifications per second for the whole server. */
  readonly maxGlobalEventRate: number;
  /** Pending log entries kept per request while the client or the rate limit holds them back. */
  readonly bufferSize: number;
  /** Events within this window are merged into one notification. */
  readonly coalescingWindowMs: number;
  readonly dropPolicy: DropPolicy;
  /** Longest gap between progress notifications while something is running (keeps client timeouts alive). */
  readonly heartbeatMs: number;
}

/** One coalesced progress update, ready to send. */
export interface ProgressNotice {
  /** Strictly increasing per request. */
  readonly progress: number;
  readonly message: string;
  /** Events dropped since the previous notice (0 when none). */
  readonly droppedEvents: number;
}

/** Where a stream delivers; each promise resolves when the transport accepted the message (backpressure). */
export interface StreamSink {
  progress?(notice: ProgressNotice): Promise<void>;
  log?(entry: LogEntry, droppedEvents: number): Promise<void>;
}
