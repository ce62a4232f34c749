/**
 * One request's notification stream: events are folded into a progress snapshot and log lines into a bounded ring;
 * both leave through the sink at most at the configured rates, coalesced per window, one send in flight at a time
 * (so a client that stops reading holds back this stream's notifications, never its memory).
 */

import type { Clock, TimerHandle } from '../infra/index.js';
import { streamDropChannel } from './diagnostics.js';
import { RingBuffer } from './ring-buffer.js';
import { TokenBucket } from './token-bucket.js';
import type { LogEntry, LogLevel, StreamEvent, StreamingConfig, StreamSink } from './types.js';
import { LOG_LEVELS } from './types.js';

interface CriticProgress {
  state: 'running' | 'done' | 'failed';
  bytes: number;
  chars: number;
  tools: number;
}

export class RequestStream {
  private readonly critics = new Map<string, CriticProgress>();
  private queuePosition: number | undefined;
  private estimatedWaitMs: number | undefined;
  private readonly logs: RingBuffer<LogEntry>;
  private readonly local: TokenBucket;
  private readonly startedAt: number;
  private progressDirty = false;
  private progress = 0;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private lastProgressAt: number;
  private sending = false;
  private closed = false;
  private timer: TimerHandle | undefined;
  private heartbeat: TimerHandle | undefined;
  private droppedTotal = 0;
  private droppedUnreported = 0;
  private sent = 0;

  constructor(
    private readonly config: StreamingConfig,
    private readonly clock: Clock,
    private readonly sink: StreamSink,
    /** The server-wide bucket shared by every request. */
    private readonly global: TokenBucket,
    private readonly onClose?: () => void,
  ) {
    this.logs = new RingBuffer<LogEntry>(config.bufferSize, config.dropPolicy);
    this.local = new TokenBucket(config.maxEventRate, clock);
    this.startedAt = clock.now();
    this.lastProgressAt = this.startedAt;
    if (sink.progress) this.armHeartbeat();
  }

  /** Events dropped so far (log lines lost to the drop policy); the final result reports it. */
  get droppedEvents(): number {
    this.account();
    return this.droppedTotal;
  }

  /** Notifications actually handed to the sink. */
  get notificationsSent(): number {
    return this.sent;
  }

  /** Folds an event into the progress snapshot. Never blocks, never throws, O(1) memory per critic. */
  push(event: StreamEvent): void {
    if (this.closed) return;
    if (event.kind === 'queued') {
      this.queuePosition = event.position;
      this.estimatedWaitMs = event.estimatedWaitMs;
    } else {
      this.queuePosition = undefined;
      const c = this.critic(event.critic);
      if (event.kind === 'output') c.bytes += event.bytes;
      else if (event.kind === 'text') c.chars += event.chars;
      else if (event.kind === 'tool') {
        c.tools++;
        this.log({ level: 'info', text: `${event.critic} used ${event.name}` });
      } else if (event.kind === 'done') c.state = event.ok ? 'done' : 'failed';
    }
    if (!this.sink.progress) return;
    this.progressDirty = true;
    // A start or an end alone does not spend a notification: the first output (or the heartbeat) carries it,
    // so the first notice about output is not held back by a coalescing window opened at spawn time.
    if (event.kind === 'started' || event.kind === 'done') return;
    this.schedule();
  }

  /** Queues a log line for `notifications/message`; when the ring is full the drop policy applies. */
  log(entry: LogEntry): void {
    if (this.closed || !this.sink.log) return;
    this.logs.push(entry);
    this.schedule();
  }

  /** Stops all timers and pending sends; returns the dropped-event count for the final result. */
  close(): { droppedEvents: number; notificationsSent: number } {
    if (!this.closed) this.onClose?.();
    this.closed = true;
    this.account();
    if (this.timer) this.clock.clearTimeout(this.timer);
    if (this.heartbeat) this.clock.clearTimeout(this.heartbeat);
    this.timer = undefined;
    this.heartbeat = undefined;
    return { droppedEvents: this.droppedTotal, notificationsSent: this.sent };
  }

  /** The human line of the current snapshot: critic, state, elapsed, bytes so far, queue position. */
  describe(): string {
    const elapsedS = Math.round((this.clock.now() - this.startedAt) / 1000);
    if (this.queuePosition !== undefined) {
      const wait =
        this.estimatedWaitMs !== undefined
          ? `, ~${Math.ceil(this.estimatedWaitMs / 1000)}s estimated wait`
          : '';
      return `queued at position ${this.queuePosition}${wait} (${elapsedS}s elapsed)`;
    }
    if (this.critics.size === 0) return `starting (${elapsedS}s elapsed)`;
    const parts = [...this.critics].map(([name, c]) => {
      const kb = (c.bytes / 1024).toFixed(1);
      const tools = c.tools > 0 ? `, ${c.tools} tool use${c.tools === 1 ? '' : 's'}` : '';
      return `${name} ${c.state}: ${kb} KB${tools}`;
    });
    return `${parts.join('; ')} (${elapsedS}s elapsed)`;
  }

  private critic(name: string): CriticProgress {
    let c = this.critics.get(name);
    if (!c) {
      c = { state: 'running', bytes: 0, chars: 0, tools: 0 };
      this.critics.set(name, c);
    }
    return c;
  }

  private account(): void {
    const lost = this.logs.takeDropped();
    this.droppedTotal += lost;
    this.droppedUnreported += lost;
    if (lost > 0 && streamDropChannel.hasSubscribers) streamDropChannel.publish({ dropped: lost });
  }

  private pending(): boolean {
    return this.logs.size > 0 || this.progressDirty;
  }

  /** Sends as soon as the window, the per-request rate and the global rate all allow; otherwise waits on the clock. */
  private schedule(): void {
    if (this.closed || this.sending || this.timer || !this.pending()) return;
    const now = this.clock.now();
    const waitMs = Math.max(
      this.lastSentAt + this.config.coalescingWindowMs - now,
      this.local.msUntilToken(),
      this.global.msUntilToken(),
    );
    if (waitMs > 0) {
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, waitMs);
      return;
    }
    if (!this.local.tryTake()) {
      this.schedule();
      return;
    }
    if (!this.global.tryTake()) {
      // Another request took the last global token; try again when the bucket refills.
      this.timer = this.clock.setTimeout(
        () => {
          this.timer = undefined;
          this.schedule();
        },
        Math.max(1, this.global.msUntilToken()),
      );
      return;
    }
    void this.send();
  }

  private async send(): Promise<void> {
    this.sending = true;
    this.lastSentAt = this.clock.now();
    this.account();
    const dropped = this.droppedUnreported;
    this.droppedUnreported = 0;
    try {
      const lines = this.logs.drain();
      if (lines.length > 0 && this.sink.log) {
        await this.sink.log(coalesce(lines), dropped);
      } else if (this.progressDirty && this.sink.progress) {
        this.progressDirty = false;
        this.progress += 1;
        this.lastProgressAt = this.clock.now();
        const note = dropped > 0 ? ` [${dropped} events dropped]` : '';
        await this.sink.progress({
          progress: this.progress,
          message: this.describe() + note,
          droppedEvents: dropped,
        });
      }
      this.sent++;
    } catch {
      // The client went away or the transport failed: notifications are best effort, the run goes on.
    } finally {
      this.sending = false;
    }
    this.schedule();
  }

  /** Keeps a progress notification going at least every heartbeatMs while nothing else moved. */
  private armHeartbeat(): void {
    this.heartbeat = this.clock.setTimeout(() => {
      this.heartbeat = undefined;
      if (this.closed) return;
      if (this.clock.now() - this.lastProgressAt >= this.config.heartbeatMs) {
        this.progressDirty = true;
        this.schedule();
      }
      this.armHeartbeat();
    }, this.config.heartbeatMs);
  }
}

/** Many log lines pending at once become one message at the most severe level among them. */
function coalesce(lines: readonly LogEntry[]): LogEntry {
  if (lines.length === 1) return lines[0]!;
  let level: LogLevel = 'debug';
  for (const l of lines) if (LOG_LEVELS.indexOf(l.level) > LOG_LEVELS.indexOf(level)) level = l.level;
  return { level, text: lines.map((l) => l.text).join('\n') };
}
