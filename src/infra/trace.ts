/**
 * The trace context of the work in progress (W3C trace id, span id, sampled flag, carried by AsyncLocalStorage)
 * and the steps the core marks on a diagnostics_channel TracingChannel; observability turns steps into spans.
 * No tracing library here: with nothing subscribed a step is one `hasSubscribers` read.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { tracingChannel } from 'node:diagnostics_channel';

/** Where a piece of work sits in a trace: its trace id and the span it belongs to. */
export interface TraceContext {
  /** 32 lowercase hex digits, not all zero. */
  readonly traceId: string;
  /** 16 lowercase hex digits, not all zero: the current span (or the caller's, before ours starts). */
  readonly spanId: string;
  readonly sampled: boolean;
  /** Whether the steps under this context become spans (set by the tracing listener; children may be sampled out). */
  readonly recordSteps?: boolean;
}

/** The steps of a request that become spans; `request` is the tool call itself. */
export type StepName = 'request' | 'validation' | 'admission' | 'cache' | 'lock' | 'critic' | 'store';

export type StepAttributes = Readonly<Record<string, string | number | boolean>>;

/** What a step publishes; the TracingChannel adds `result` or `error` when the step settles. */
export interface StepEvent {
  readonly step: StepName;
  readonly attributes: StepAttributes;
  result?: unknown;
  error?: unknown;
}

const traceStore = new AsyncLocalStorage<TraceContext>();
const steps = tracingChannel<TraceContext, StepEvent>('brutalist:step');

const TRACEPARENT_RE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** Ids come from a pool of random bytes: one crypto call per 4 KiB instead of one per id (it was a fifth of a traced call's CPU). */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolOffset = 0;

function randomHex(bytes: number): string {
  if (poolOffset + bytes > pool.length) {
    pool = randomBytes(POOL_BYTES);
    poolOffset = 0;
  }
  const hex = pool.toString('hex', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  // All zeros is the one invalid id (W3C); drawn once in 2^64 spans, and then drawn again.
  return /[^0]/.test(hex) ? hex : randomHex(bytes);
}

/** A fresh random trace id (16 bytes, hex). */
export function newTraceId(): string {
  return randomHex(16);
}

/** A fresh random span id (8 bytes, hex). */
export function newSpanId(): string {
  return randomHex(8);
}

/**
 * The context a W3C `traceparent` value names (version 00; surrounding whitespace and upper-case hex accepted),
 * or undefined for anything else: a bad header starts a new trace, it never fails the request.
 */
export function parseTraceparent(value: unknown): TraceContext | undefined {
  if (typeof value !== 'string' || value.length > 64) return undefined;
  const match = TRACEPARENT_RE.exec(value.trim().toLowerCase());
  if (!match) return undefined;
  const [, traceId, spanId, flags] = match as unknown as [string, string, string, string];
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, sampled: (Number.parseInt(flags, 16) & 1) === 1 };
}

export function formatTraceparent(context: Pick<TraceContext, 'traceId' | 'spanId' | 'sampled'>): string {
  return `00-${context.traceId}-${context.spanId}-${context.sampled ? '01' : '00'}`;
}

/** The trace context the caller runs in, or undefined outside any request. */
export function currentTrace(): TraceContext | undefined {
  return traceStore.getStore();
}

/** The current context as a `traceparent` value, or undefined outside any request. */
export function currentTraceparent(): string | undefined {
  const context = traceStore.getStore();
  return context && formatTraceparent(context);
}

/** Runs `fn` in `context`; everything it starts sees it. */
export function runInTrace<T>(context: TraceContext, fn: () => T): T {
  return traceStore.run(context, fn);
}

/**
 * Runs one step of a request. When observability listens, the step is published on the `brutalist:step`
 * TracingChannel and `fn` runs in the trace context the listener chose for it (its span); otherwise `fn` just runs.
 */
export function traceStep<T>(step: StepName, attributes: StepAttributes, fn: () => Promise<T>): Promise<T> {
  if (!steps.hasSubscribers) return fn();
  // A step in a request whose child spans are sampled out costs one context read more.
  if (step !== 'request' && traceStore.getStore()?.recordSteps !== true) return fn();
  // An async wrapper: a step whose fn threw synchronously would otherwise never publish its end.
  return steps.tracePromise(async () => fn(), { step, attributes });
}

export interface StepListener {
  /** The context `event`'s work runs in (its span's), from the one it was started in; called first. */
  enter(event: StepEvent, parent: TraceContext | undefined): TraceContext | undefined;
  /** The step settled (`event.result` or `event.error` set). */
  settled(event: StepEvent): void;
}

/** Subscribes `listener` to every step (one listener at a time makes sense); returns the unsubscriber. */
export function listenToSteps(listener: StepListener): () => void {
  // Outside any request the step keeps running in no context (the store accepts undefined; its types do not).
  steps.start.bindStore(traceStore, (event) => listener.enter(event, traceStore.getStore()) as TraceContext);
  const handlers = {
    start() {},
    end() {},
    asyncStart() {},
    asyncEnd: (event: StepEvent) => listener.settled(event),
    error() {},
  };
  steps.subscribe(handlers);
  return () => {
    steps.unsubscribe(handlers);
    steps.start.unbindStore(traceStore);
  };
}
