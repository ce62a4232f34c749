/**
 * Follows each tool call from its start event to its end event and notes its first critic byte on the way, so
 * metrics and the SLO engine see one finished-request record with the server-side latency.
 */
import { performance } from 'node:perf_hooks';
import { firstOutputChannel } from '../process/diagnostics.js';
import { currentRequest } from './request-context.js';
import {
  type RequestEndEvent,
  type RequestStartEvent,
  requestEndChannel,
  requestStartChannel,
} from './request-events.js';

export interface FinishedRequest extends RequestEndEvent {
  /**
   * Server-side latency: from the call's start to the first byte a critic printed for it (queue wait, spawn and
   * CLI start-up included, the critic's thinking after that not); the whole call when no critic printed for it.
   */
  readonly latencyMs: number;
}

interface Open {
  readonly tool: string;
  readonly startedAt: number;
  firstByteMs: number | undefined;
}

/** Default bound on calls followed at once; past it a call is still counted, its first byte is not noted. */
export const DEFAULT_MAX_TRACKED_REQUESTS = 10_000;

export class RequestTracker {
  private readonly open = new Map<string, Open>();
  private readonly listeners: Array<(request: FinishedRequest) => void> = [];
  private readonly startListeners: Array<(request: RequestStartEvent) => void> = [];
  private readonly unsubscribers: Array<() => void>;
  private inflightCount = 0;

  /**
   * @param maxTracked calls followed at once (first bytes noted)
   * @param now monotonic milliseconds (performance.now); tests pass their own
   */
  constructor(
    private readonly maxTracked = DEFAULT_MAX_TRACKED_REQUESTS,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.unsubscribers = [
      requestStartChannel.subscribe((e) => this.start(e)),
      requestEndChannel.subscribe((e) => this.end(e)),
      firstOutputChannel.subscribe(() => this.firstByte()),
    ];
  }

  /** Calls being handled now. */
  get inflight(): number {
    return this.inflightCount;
  }

  /** The calls followed now (up to maxTracked), oldest first, with how long each has run (the dashboard's list). */
  openRequests(): Array<{ requestId: string; tool: string; elapsedMs: number }> {
    const now = this.now();
    return [...this.open].map(([requestId, o]) => ({
      requestId,
      tool: o.tool,
      elapsedMs: now - o.startedAt,
    }));
  }

  /** Calls `listener` with every call that ends from now on; returns the unsubscriber. */
  onFinish(listener: (request: FinishedRequest) => void): () => void {
    return listen(this.listeners, listener);
  }

  /** Calls `listener` with every call that starts from now on (after `inflight` counts it); returns the unsubscriber. */
  onStart(listener: (request: RequestStartEvent) => void): () => void {
    return listen(this.startListeners, listener);
  }

  close(): void {
    for (const unsubscribe of this.unsubscribers) unsubscribe();
    this.open.clear();
  }

  private start(e: RequestStartEvent): void {
    this.inflightCount++;
    if (this.open.size < this.maxTracked && e.requestId !== '') {
      this.open.set(e.requestId, { tool: e.tool, startedAt: this.now(), firstByteMs: undefined });
    }
    for (const listener of this.startListeners) listener(e);
  }

  /** Runs in the async context of the process that printed: its request is the one that started the run. */
  private firstByte(): void {
    const id = currentRequest()?.requestId;
    const entry = id === undefined ? undefined : this.open.get(id);
    if (entry && entry.firstByteMs === undefined) entry.firstByteMs = this.now() - entry.startedAt;
  }

  private end(e: RequestEndEvent): void {
    this.inflightCount = Math.max(0, this.inflightCount - 1);
    const entry = this.open.get(e.requestId);
    this.open.delete(e.requestId);
    // On the tracker's own clock when it followed the call; the event's duration when it could not.
    const latencyMs = entry ? (entry.firstByteMs ?? this.now() - entry.startedAt) : e.durationMs;
    const finished: FinishedRequest = { ...e, latencyMs };
    for (const listener of this.listeners) listener(finished);
  }
}

function listen<T>(listeners: Array<(value: T) => void>, listener: (value: T) => void): () => void {
  listeners.push(listener);
  return () => {
    const at = listeners.indexOf(listener);
    if (at >= 0) listeners.splice(at, 1);
  };
}
