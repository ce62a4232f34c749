/**
 * Prometheus metrics fed by the core's diagnostics channels (the core imports no metrics library): one registry
 * per server that `/metrics` (HTTP, or the loopback metrics port in stdio mode) renders.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import { CRITIC_NAMES, PRIORITY_NAMES } from '../config/index.js';
import { criticRunChannel } from '../critics/diagnostics.js';
import { DOMAIN_IDS } from '../domains/index.js';
import { exitChannel, spawnChannel } from '../process/diagnostics.js';
import {
  admissionDepthChannel,
  admissionRejectChannel,
  breakerStateChannel,
  retryChannel,
  shedChannel,
} from '../resilience/events.js';
import { cacheLookupChannel, type StateStore } from '../state/index.js';
import { streamDropChannel } from '../streaming/index.js';
import { observeLiveHeap } from './heap-live.js';
import { BREAKER_STATE_VALUE, defineMetrics, type MetricSet } from './metric-defs.js';
import { PrincipalLabels } from './principal-labels.js';
import { type FinishedRequest, RequestTracker } from './request-tracker.js';
import { TimedStateStore } from './timed-store.js';

export interface MetricsOptions {
  /** The tool names calls may carry; anything else is labelled `other`. */
  readonly tools: readonly string[];
  /** Principals labelled by name; the rest are `other` (metricsTopPrincipals). */
  readonly topPrincipals: number;
  /**
   * Register Node's process metrics (`process_*`, `nodejs_*`: RSS, heap, fds, event-loop delay, GC) and
   * `brutalist_heap_live_bytes`. Default true.
   */
  readonly processMetrics?: boolean;
  /** The server's finished calls; default a tracker of this registry's own. */
  readonly tracker?: RequestTracker;
  /**
   * Critic labels beside the native names: the config file's routed critic ids and `routed` (every per-call
   * routed critic), so the set stays bounded (ADR 0048). Default: none.
   */
  readonly routedCritics?: readonly string[];
}

export interface Metrics {
  readonly registry: Registry;
  readonly tracker: RequestTracker;
  /** The Prometheus text exposition of every metric, with its content type. */
  render(): Promise<{ contentType: string; body: string }>;
  /** Wraps `store` so each call's latency is recorded (brutalist_state_operation_duration_seconds). */
  instrumentStore(store: StateStore): StateStore;
  /** Stops listening to the channels. Idempotent. */
  close(): void;
}

const OTHER = 'other';
const EXIT_CLASSES = new Set([
  'ok',
  'timeout',
  'stalled',
  'output_cap',
  'cancelled',
  'not_found',
  'spawn_error',
]);

/** The closed exit-class label of a critic run: `exit:2` → exit_nonzero, `signal:SIGKILL` → signal. */
export function exitClassLabel(exitClass: string): string {
  if (EXIT_CLASSES.has(exitClass)) return exitClass;
  if (exitClass.startsWith('exit:')) return 'exit_nonzero';
  if (exitClass.startsWith('signal:')) return 'signal';
  return OTHER;
}

function closed(values: readonly string[]): (value: string | undefined) => string {
  const known = new Set(values);
  return (value) => (value !== undefined && known.has(value) ? value : OTHER);
}

export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  const processMetrics = options.processMetrics ?? true;
  if (processMetrics) collectDefaultMetrics({ register: registry });
  const stopLiveHeap = processMetrics ? observeLiveHeap(registry) : () => {};
  const m = defineMetrics(registry);
  const tool = closed(options.tools);
  const critic = closed([...CRITIC_NAMES, ...(options.routedCritics ?? [])]);
  const domain = closed(DOMAIN_IDS);
  const principals = new PrincipalLabels(options.topPrincipals);
  const ownTracker = options.tracker === undefined;
  const tracker = options.tracker ?? new RequestTracker();
  for (const priority of PRIORITY_NAMES) m.queueDepth.set({ priority }, 0);
  for (const name of CRITIC_NAMES) m.breakerState.set({ critic: name }, BREAKER_STATE_VALUE.closed);

  const unsubscribers = [
    tracker.onFinish((r) => recordRequest(m, r, tool(r.tool), domain, tracker)),
    ...subscribeCore(m, critic, principals, tracker),
  ];
  let closedOnce = false;
  return {
    registry,
    tracker,
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
    instrumentStore: (store) => new TimedStateStore(store, m.storeDuration, m.storeErrors),
    close() {
      if (closedOnce) return;
      closedOnce = true;
      for (const unsubscribe of unsubscribers) unsubscribe();
      stopLiveHeap();
      if (ownTracker) tracker.close();
    },
  };
}

function recordRequest(
  m: MetricSet,
  r: FinishedRequest,
  toolLabel: string,
  domain: (value: string | undefined) => string,
  tracker: RequestTracker,
): void {
  m.inflight.set(tracker.inflight);
  m.requests.inc({ tool: toolLabel, outcome: r.outcome });
  m.requestDuration.observe({ tool: toolLabel }, r.durationMs / 1000);
  if (r.code !== undefined) m.requestErrors.inc({ tool: toolLabel, code: r.code });
  if (r.outcome === 'ok' || r.outcome === 'pending')
    m.firstByte.observe({ tool: toolLabel }, r.latencyMs / 1000);
  if (toolLabel === 'roast' || toolLabel === 'roast_cli_debate') {
    m.critiques.inc({ domain: r.domain === undefined ? 'none' : domain(r.domain) });
  }
}

function subscribeCore(
  m: MetricSet,
  critic: (value: string | undefined) => string,
  principals: PrincipalLabels,
  tracker: RequestTracker,
): Array<() => void> {
  const priority = (level: number) => PRIORITY_NAMES[level] ?? OTHER;
  return [
    criticRunChannel.subscribe((e) => {
      const c = critic(e.critic);
      m.criticRuns.inc({ critic: c, exit_class: exitClassLabel(e.exitClass) });
      m.criticDuration.observe({ critic: c }, e.durationMs / 1000);
      m.criticOutput.inc({ critic: c }, e.outputBytes);
      if (e.code !== undefined) m.criticFailures.inc({ critic: c, code: e.code });
      if (e.truncated) m.truncations.inc({ critic: c });
      if (e.inputTokens) m.criticTokens.inc({ critic: c, direction: 'input' }, e.inputTokens);
      if (e.outputTokens) m.criticTokens.inc({ critic: c, direction: 'output' }, e.outputTokens);
    }),
    breakerStateChannel.subscribe(({ name, to }) => {
      const c = critic(name);
      m.breakerState.set({ critic: c }, BREAKER_STATE_VALUE[to]);
      m.breakerTransitions.inc({ critic: c, to });
    }),
    admissionDepthChannel.subscribe((e) => {
      m.queueDepth.set({ priority: priority(e.priority) }, e.queuedAtPriority);
      m.slotsInUse.set(e.running);
      m.utilization.set(e.maxConcurrent > 0 ? e.running / e.maxConcurrent : 0);
    }),
    admissionRejectChannel.subscribe((e) => m.admissionRejects.inc({ reason: e.reason })),
    shedChannel.subscribe((e) => m.shed.inc({ priority: priority(e.priority) })),
    retryChannel.subscribe((e) => m.retries.inc({ critic: critic(e.key), code: e.code })),
    spawnChannel.subscribe(() => m.children.inc()),
    exitChannel.subscribe((e) => {
      if (e.pid !== undefined) m.children.dec();
    }),
    cacheLookupChannel.subscribe((e) => m.cacheLookups.inc({ result: e.hit ? 'hit' : 'miss' })),
    streamDropChannel.subscribe((e) => m.streamDrops.inc(e.dropped)),
    requestStartSubscriber(m, principals, tracker),
  ];
}

/** Started calls: in-flight now, and the caller's count under its bounded principal label. */
function requestStartSubscriber(
  m: MetricSet,
  principals: PrincipalLabels,
  tracker: RequestTracker,
): () => void {
  return tracker.onStart((e) => {
    m.inflight.set(tracker.inflight);
    m.byPrincipal.inc({ principal: principals.labelFor(e.principal) });
  });
}
