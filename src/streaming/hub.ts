/** The server-wide streaming hub: one global rate shared by every request's stream. */
import type { Clock } from '../infra/index.js';
import { RequestStream } from './request-stream.js';
import { TokenBucket } from './token-bucket.js';
import type { StreamingConfig, StreamSink } from './types.js';

export class StreamHub {
  private readonly global: TokenBucket;
  private openCount = 0;

  constructor(
    readonly config: StreamingConfig,
    private readonly clock: Clock,
  ) {
    this.global = new TokenBucket(config.maxGlobalEventRate, clock);
  }

  /** Streams currently open (requests in flight). */
  get openStreams(): number {
    return this.openCount;
  }

  /** A stream for one request; close it when the request ends (its timers stop, its counts are final). */
  open(sink: StreamSink): RequestStream {
    this.openCount++;
    return new RequestStream(this.config, this.clock, sink, this.global, () => {
      this.openCount--;
    });
  }
}
