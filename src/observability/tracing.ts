/**
 * OpenTelemetry tracing: the core's trace steps (infra/trace.ts) become spans — one per tool call, children for
 * validation, admission, cache, lock, critic runs and store writes — exported over OTLP/HTTP when configured.
 * Spans carry closed-set attributes only: never prompts, paths or secrets.
 */
import {
  type Attributes,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  type IdGenerator,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import {
  ATTR_ERROR_TYPE,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
} from '@opentelemetry/semantic-conventions';
import type { Config } from '../config/index.js';
import { isBrutalistError } from '../errors/index.js';
import {
  listenToSteps,
  newSpanId,
  newTraceId,
  type StepEvent,
  type TraceContext,
  VERSION,
} from '../infra/index.js';
import { currentRequest } from './request-context.js';
import { outcomeOfResult, type ToolResultShape } from './request-events.js';

export type TracingConfig = Pick<
  Config,
  | 'otlpEndpoint'
  | 'traceChildSamplePct'
  | 'traceExportTimeoutMs'
  | 'traceMaxQueueSpans'
  | 'traceExportDelayMs'
>;

export interface TracingOptions {
  /** Where spans go instead of OTLP (tests: the SDK's InMemorySpanExporter). */
  readonly exporter?: SpanExporter;
}

export interface Tracing {
  /** Exports every ended span now. */
  flush(): Promise<void>;
  /** Stops turning steps into spans, exports what is left and shuts the exporter down. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts tracing when `config.otlpEndpoint` is set or an exporter is given; undefined otherwise (the default:
 * no spans, no exporter, steps cost one `hasSubscribers` read). One at a time: steps are a process-wide channel.
 */
export function startTracing(config: TracingConfig, options: TracingOptions = {}): Tracing | undefined {
  const processor = spanProcessor(config, options);
  if (!processor) return undefined;
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: 'brutalist-mcp',
      [ATTR_SERVICE_VERSION]: VERSION,
    }),
    // Sampling is decided here, per step (the request span always, children by traceChildSamplePct).
    sampler: new AlwaysOnSampler(),
    idGenerator: requestIdGenerator,
    spanProcessors: [processor],
  });
  const spans = new StepSpans(provider.getTracer('brutalist-mcp', VERSION), config.traceChildSamplePct);
  const unlisten = listenToSteps(spans);
  let closing: Promise<void> | undefined;
  return {
    flush: () => provider.forceFlush(),
    close() {
      closing ??= (async () => {
        unlisten();
        await provider.shutdown();
      })();
      return closing;
    },
  };
}

/** Spans are batched (ending one is an array push); `flush` exports them at once. */
function spanProcessor(config: TracingConfig, options: TracingOptions): SpanProcessor | undefined {
  if (!options.exporter && config.otlpEndpoint === '') return undefined;
  const exporter =
    options.exporter ??
    new OTLPTraceExporter({ url: config.otlpEndpoint, timeoutMillis: config.traceExportTimeoutMs });
  return new BatchSpanProcessor(exporter, {
    maxQueueSize: config.traceMaxQueueSpans,
    maxExportBatchSize: Math.min(512, config.traceMaxQueueSpans),
    scheduledDelayMillis: config.traceExportDelayMs,
    exportTimeoutMillis: config.traceExportTimeoutMs,
  });
}

/** A root span's trace id is its request's id (itself a fresh trace id), so logs and errors name the trace. */
const requestIdGenerator: IdGenerator = {
  generateTraceId: () => currentRequest()?.requestId ?? newTraceId(),
  generateSpanId: newSpanId,
};

const SAMPLE_SPACE = 0x1_0000_0000;

/** The spans of the steps in flight, keyed by the step event the TracingChannel hands back when it settles. */
class StepSpans {
  private readonly open = new WeakMap<StepEvent, Span>();
  private readonly threshold: number;

  constructor(
    private readonly tracer: ReturnType<BasicTracerProvider['getTracer']>,
    childSamplePct: number,
  ) {
    this.threshold = (childSamplePct / 100) * SAMPLE_SPACE;
  }

  enter(event: StepEvent, parent: TraceContext | undefined): TraceContext | undefined {
    if (event.step === 'request') return this.startRequest(event);
    // traceStep publishes only steps whose parent records them (sampled-in requests); anything else keeps its
    // context: a request whose children are sampled out gives its critics the request span's TRACEPARENT.
    if (!parent?.recordSteps) return parent;
    const span = this.tracer.startSpan(
      `brutalist.${event.step}`,
      { kind: SpanKind.INTERNAL, attributes: prefixed(event.attributes) },
      trace.setSpanContext(ROOT_CONTEXT, {
        traceId: parent.traceId,
        spanId: parent.spanId,
        traceFlags: TraceFlags.SAMPLED,
      }),
    );
    return this.track(event, span);
  }

  settled(event: StepEvent): void {
    const span = this.open.get(event);
    if (!span) return;
    this.open.delete(event);
    if (event.error !== undefined) markFailed(span, event.error);
    else if (event.step === 'request') markOutcome(span, event.result as ToolResultShape);
    else span.setAttributes(resultAttributes(event));
    span.end();
  }

  /** The tool call's span: child of the caller's span when it sent a traceparent, else a root. */
  private startRequest(event: StepEvent): TraceContext {
    const caller = currentRequest()?.parent;
    const tool = String(event.attributes.tool ?? '');
    const parent = caller
      ? trace.setSpanContext(ROOT_CONTEXT, {
          traceId: caller.traceId,
          spanId: caller.spanId,
          traceFlags: caller.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
          isRemote: true,
        })
      : ROOT_CONTEXT;
    const span = this.tracer.startSpan(
      `tools/call ${tool}`,
      { kind: SpanKind.SERVER, attributes: { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': tool } },
      parent,
    );
    return this.track(event, span, this.childrenSampled(span.spanContext().traceId));
  }

  private track(event: StepEvent, span: Span, recordSteps = true): TraceContext {
    this.open.set(event, span);
    const { traceId, spanId } = span.spanContext();
    return { traceId, spanId, sampled: true, recordSteps };
  }

  /** Decided by the trace id, so a request keeps all of its child spans or none. */
  private childrenSampled(traceId: string): boolean {
    return Number.parseInt(traceId.slice(-8), 16) < this.threshold;
  }
}

function prefixed(attributes: StepEvent['attributes']): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) out[`brutalist.${key}`] = value;
  return out;
}

/** What a settled step's result says, from closed sets and counts only. */
function resultAttributes(event: StepEvent): Attributes {
  const result = event.result as Record<string, unknown> | null | undefined;
  if (event.step === 'cache') return { 'brutalist.cache.hit': result != null };
  if (event.step !== 'critic' || typeof result !== 'object' || result === null) return {};
  return {
    'brutalist.critic.exit_class': String(result.exitClass ?? 'ok'),
    'brutalist.critic.output_bytes': Number(result.outputBytes ?? 0),
    'brutalist.critic.truncated': result.truncated === true,
  };
}

function markOutcome(span: Span, result: ToolResultShape): void {
  const { outcome, code } = outcomeOfResult(result);
  span.setAttribute('brutalist.outcome', outcome);
  if (code) span.setAttribute(ATTR_ERROR_TYPE, code);
  if (outcome === 'error' || outcome === 'unavailable') span.setStatus({ code: SpanStatusCode.ERROR });
}

/** A failed step: its error code (never the message: it may quote input); a cancellation is not an error. */
function markFailed(span: Span, error: unknown): void {
  const code = isBrutalistError(error) ? error.code : 'INTERNAL_ERROR';
  span.setAttribute(ATTR_ERROR_TYPE, code);
  if (isBrutalistError(error) && typeof error.data.exitClass === 'string') {
    span.setAttribute('brutalist.critic.exit_class', error.data.exitClass);
  }
  if (code !== 'CANCELLED') span.setStatus({ code: SpanStatusCode.ERROR });
}
