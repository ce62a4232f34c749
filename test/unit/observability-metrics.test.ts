// Metrics from the core's diagnostics channels: names and labels of the Interface, closed label sets, bounded principals.
import { afterEach, describe, expect, it } from 'vitest';
import { criticRunChannel } from '../../src/critics/diagnostics.js';
import { resolveConfig } from '../../src/engine/config.js';
import { ManualClock } from '../../src/infra/index.js';
import {
  createMetrics,
  createObservability,
  exitClassLabel,
  type FinishedRequest,
  type Metrics,
  observeToolCall,
  outcomeOfCode,
  RequestTracker,
  runInRequest,
} from '../../src/observability/index.js';
import { PrincipalLabels } from '../../src/observability/principal-labels.js';
import { exitChannel, firstOutputChannel, spawnChannel } from '../../src/process/diagnostics.js';
import { AdmissionQueue } from '../../src/resilience/admission.js';
import { admissionDepthChannel, breakerStateChannel, retryChannel } from '../../src/resilience/events.js';
import {
  cacheLookupChannel,
  ForwardingStateStore,
  MemoryStateStore,
  type StoreHealth,
} from '../../src/state/index.js';
import { streamDropChannel } from '../../src/streaming/index.js';

const TOOLS = ['roast', 'roast_cli_debate', 'brutalist_discover', 'cli_agent_roster'];
let metrics: Metrics | undefined;
afterEach(() => metrics?.close());

function make(topPrincipals = 20): Metrics {
  metrics = createMetrics({ tools: TOOLS, topPrincipals, processMetrics: false });
  return metrics;
}

async function text(m: Metrics): Promise<string> {
  return (await m.render()).body;
}

/** One tool call through the same wrapper mcp/server.ts uses, ending with `result`. */
function call(tool: string, result: object, principal = 'local', domain?: string, during?: () => void) {
  return runInRequest(tool, () =>
    observeToolCall({ principal, domain }, async () => {
      during?.();
      return result;
    }),
  );
}

const done = { structuredContent: { status: 'done' } };
const failed = (code: string) => ({ isError: true, structuredContent: { status: 'error', error: { code } } });

describe('request metrics', () => {
  it('counts calls by tool and outcome, errors by code, and the critiques by domain', async () => {
    const m = make();
    await call('roast', done, 'local', 'security');
    await call('roast', { structuredContent: { status: 'running' } }, 'local', 'made-up-domain');
    await call('roast', failed('QUEUE_FULL'));
    await call('roast', failed('PATH_OUTSIDE_ROOT'));
    await call('cli_agent_roster', failed('CLI_TIMEOUT'));
    await call('no_such_tool', failed('INVALID_ARGUMENT'));
    const body = await text(m);
    expect(body).toContain('brutalist_requests_total{tool="roast",outcome="ok"} 1');
    expect(body).toContain('brutalist_requests_total{tool="roast",outcome="pending"} 1');
    expect(body).toContain('brutalist_requests_total{tool="roast",outcome="unavailable"} 1');
    expect(body).toContain('brutalist_requests_total{tool="roast",outcome="client_error"} 1');
    expect(body).toContain('brutalist_requests_total{tool="cli_agent_roster",outcome="error"} 1');
    expect(body).toContain('brutalist_requests_total{tool="other",outcome="client_error"} 1');
    expect(body).toContain('brutalist_request_errors_total{tool="roast",code="QUEUE_FULL"} 1');
    expect(body).toContain('brutalist_critiques_total{domain="security"} 1');
    expect(body).toContain('brutalist_critiques_total{domain="other"} 1');
    expect(body).toContain('brutalist_request_duration_seconds_count{tool="roast"} 4');
    expect(body).toContain('brutalist_inflight_requests 0');
  });

  it('measures answered calls to the first critic byte printed in their own context', async () => {
    const m = make();
    await call('roast', done, 'local', 'idea', () => firstOutputChannel.publish({ pid: 1 }));
    const body = await text(m);
    expect(body).toContain('brutalist_request_first_byte_seconds_count{tool="roast"} 1');
  });

  it('ends a call that throws as error INTERNAL_ERROR and rethrows', async () => {
    const m = make();
    await expect(
      runInRequest('roast', () =>
        observeToolCall({ principal: 'local' }, async () => {
          throw new Error('boom');
        }),
      ),
    ).rejects.toThrow('boom');
    expect(await text(m)).toContain('brutalist_request_errors_total{tool="roast",code="INTERNAL_ERROR"} 1');
  });

  it('labels the first principals seen twice and every other one "other"', async () => {
    const m = make(2);
    for (const p of ['alice', 'alice', 'bob', 'bob', 'carol', 'carol', 'once']) await call('roast', done, p);
    const body = await text(m);
    expect(body).toContain('brutalist_principal_requests_total{principal="alice"} 1');
    expect(body).toContain('brutalist_principal_requests_total{principal="bob"} 1');
    expect(body).toContain('brutalist_principal_requests_total{principal="other"} 5');
    expect(body).not.toContain('principal="carol"');
  });
});

describe('core metrics', () => {
  it('maps critic runs to closed critic and exit-class labels', async () => {
    const m = make();
    const run = { durationMs: 1500, outputBytes: 10, truncated: false, inputTokens: 7, outputTokens: 3 };
    criticRunChannel.publish({ critic: 'claude', exitClass: 'ok', code: undefined, ...run });
    criticRunChannel.publish({
      critic: 'codex',
      exitClass: 'exit:137',
      code: 'CLI_FAILED',
      ...run,
      truncated: true,
    });
    const body = await text(m);
    expect(body).toContain('brutalist_critic_runs_total{critic="claude",exit_class="ok"} 1');
    expect(body).toContain('brutalist_critic_runs_total{critic="codex",exit_class="exit_nonzero"} 1');
    expect(body).toContain('brutalist_critic_failures_total{critic="codex",code="CLI_FAILED"} 1');
    expect(body).toContain('brutalist_truncations_total{critic="codex"} 1');
    expect(body).toContain('brutalist_critic_tokens_total{critic="claude",direction="input"} 7');
    expect(body).toContain('brutalist_critic_output_bytes_total{critic="claude"} 10');
    expect(exitClassLabel('signal:SIGKILL')).toBe('signal');
    expect(exitClassLabel('something new')).toBe('other');
  });

  it('labels routed critics by config-file id or `routed`, and any other name `other` (a bounded set)', async () => {
    metrics = createMetrics({
      tools: TOOLS,
      topPrincipals: 20,
      processMetrics: false,
      routedCritics: ['kimi', 'routed'],
    });
    const run = { durationMs: 1, outputBytes: 1, truncated: false, inputTokens: 0, outputTokens: 0 };
    for (const critic of ['kimi', 'routed', 'glm-from-a-call']) {
      criticRunChannel.publish({ critic, exitClass: 'ok', code: undefined, ...run });
    }
    const body = await text(metrics);
    expect(body).toContain('brutalist_critic_runs_total{critic="kimi",exit_class="ok"} 1');
    expect(body).toContain('brutalist_critic_runs_total{critic="routed",exit_class="ok"} 1');
    expect(body).toContain('brutalist_critic_runs_total{critic="other",exit_class="ok"} 1');
    expect(body).not.toContain('glm-from-a-call');
  });

  it('shows breaker state, queue depth per priority, slots, children, cache lookups and drops', async () => {
    const m = make();
    const before = await text(m);
    expect(before).toContain('brutalist_breaker_state{critic="gemini"} 0');
    expect(before).toContain('brutalist_queue_depth{priority="batch"} 0');
    const state = { kind: 'open' as const, epoch: 1, openedAt: 0, reopenAt: 1, consecutiveOpens: 1 };
    breakerStateChannel.publish({ name: 'gemini', from: 'closed', to: 'open', at: 0, state });
    admissionDepthChannel.publish({ priority: 3, queuedAtPriority: 4, running: 6, maxConcurrent: 8 });
    spawnChannel.publish({ pid: 10, command: 'claude', argCount: 3 });
    spawnChannel.publish({ pid: 11, command: 'claude', argCount: 3 });
    exitChannel.publish({ pid: 10, exit: { kind: 'ok' }, durationMs: 1, stdoutBytes: 0, truncated: false });
    exitChannel.publish({
      pid: undefined,
      exit: { kind: 'not_found' },
      durationMs: 0,
      stdoutBytes: 0,
      truncated: false,
    });
    cacheLookupChannel.publish({ hit: true });
    cacheLookupChannel.publish({ hit: false });
    streamDropChannel.publish({ dropped: 3 });
    retryChannel.publish({ key: 'claude', code: 'RATE_LIMITED', attempt: 2, delayMs: 10 });
    const body = await text(m);
    expect(body).toContain('brutalist_breaker_state{critic="gemini"} 2');
    expect(body).toContain('brutalist_breaker_transitions_total{critic="gemini",to="open"} 1');
    expect(body).toContain('brutalist_queue_depth{priority="batch"} 4');
    expect(body).toContain('brutalist_critic_slots_in_use 6');
    expect(body).toContain('brutalist_concurrency_utilization_ratio 0.75');
    expect(body).toContain('brutalist_child_processes 1');
    expect(body).toContain('brutalist_cache_lookups_total{result="hit"} 1');
    expect(body).toContain('brutalist_stream_events_dropped_total 3');
    expect(body).toContain('brutalist_critic_retries_total{critic="claude",code="RATE_LIMITED"} 1');
  });

  it('stops counting once closed', async () => {
    const m = make();
    m.close();
    cacheLookupChannel.publish({ hit: true });
    expect(await text(m)).not.toContain('brutalist_cache_lookups_total{result="hit"}');
  });

  it('times state store calls and counts their failures', async () => {
    const m = make();
    const store = m.instrumentStore(
      new MemoryStateStore({ maxBytes: 1 << 20, maxEntries: 100, cacheMaxEntryBytes: 1024 }),
    );
    await store.getCache('k');
    await store.close();
    await expect(store.putConversation({} as never, 1, 1)).rejects.toMatchObject({
      code: 'STATE_UNAVAILABLE',
    });
    const body = await text(m);
    expect(body).toContain('brutalist_state_operation_duration_seconds_count{op="get_cache"} 1');
    expect(body).toContain('brutalist_state_operation_errors_total{op="put_conversation"} 1');
  });

  it('renders Node process metrics when asked', async () => {
    const m = createMetrics({ tools: TOOLS, topPrincipals: 1 });
    const body = await text(m);
    m.close();
    for (const name of [
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_gc_duration_seconds',
      'process_open_fds',
    ]) {
      expect(body).toContain(name);
    }
  });
});

describe('classification', () => {
  it('puts each error code in one outcome class', () => {
    expect(outcomeOfCode('CANCELLED')).toBe('cancelled');
    expect(outcomeOfCode('INVALID_ARGUMENT')).toBe('client_error');
    expect(outcomeOfCode('PATH_NOT_FOUND')).toBe('client_error');
    expect(outcomeOfCode('QUEUE_FULL')).toBe('unavailable');
    expect(outcomeOfCode('CIRCUIT_OPEN')).toBe('unavailable');
    expect(outcomeOfCode('RATE_LIMITED')).toBe('error');
    expect(outcomeOfCode('CLI_TIMEOUT')).toBe('error');
  });

  it('bounds principal labels and never lets "other" take a slot', () => {
    const labels = new PrincipalLabels(1);
    expect(labels.labelFor('other')).toBe('other');
    expect(labels.labelFor('other')).toBe('other');
    expect(labels.labelFor('a')).toBe('other');
    expect(labels.labelFor('a')).toBe('a');
    expect(labels.labelFor('b')).toBe('other');
    expect(labels.labelFor('b')).toBe('other');
    expect(labels.size).toBe(1);
  });

  it('forgets the oldest one-off principal beyond 8 candidates per free slot, so it must be seen twice again', () => {
    const labels = new PrincipalLabels(1);
    for (let i = 0; i <= 8; i++) expect(labels.labelFor(`p${i}`)).toBe('other');
    expect(labels.labelFor('p0')).toBe('other');
    expect(labels.labelFor('p0')).toBe('p0');
    expect(labels.size).toBe(1);
  });

  it('keeps the other candidates while free slots remain after one is taken', () => {
    const labels = new PrincipalLabels(2);
    labels.labelFor('a');
    labels.labelFor('b');
    expect(labels.labelFor('a')).toBe('a');
    expect(labels.labelFor('b')).toBe('b');
    expect(labels.size).toBe(2);
  });
});

describe('request tracker', () => {
  it('takes the latency to the first critic byte printed in the call, else the whole call', async () => {
    // start, first byte, end of the first call; start and end of the second.
    const times = [100, 130, 140, 200, 260];
    const tracker = new RequestTracker(10, () => times.shift() ?? 0);
    const finished: FinishedRequest[] = [];
    tracker.onFinish((r) => finished.push(r));
    try {
      await call('roast', done, 'local', 'idea', () => {
        firstOutputChannel.publish({ pid: 1 });
        firstOutputChannel.publish({ pid: 1 }); // only the first byte counts
      });
      firstOutputChannel.publish({ pid: 2 }); // outside any call: nobody's
      await call('roast', done);
    } finally {
      tracker.close();
    }
    expect(finished[0]!.latencyMs).toBe(30);
    expect(finished[1]!.latencyMs).toBe(60);
    expect(tracker.inflight).toBe(0);
  });

  it('still counts calls past its bound, without their first byte', async () => {
    const tracker = new RequestTracker(0);
    const finished: FinishedRequest[] = [];
    tracker.onFinish((r) => finished.push(r));
    await call('roast', done, 'local', 'idea', () => firstOutputChannel.publish({ pid: 1 }));
    tracker.close();
    expect(finished).toHaveLength(1);
    expect(finished[0]!.latencyMs).toBe(finished[0]!.durationMs);
  });
});

describe('queue depth from the admission queue', () => {
  it('follows waiters per priority and slots as runs start and end', async () => {
    const m = make();
    const clock = new ManualClock();
    const queue = new AdmissionQueue(
      {
        maxConcurrent: 1,
        maxConcurrentPerKey: 1,
        maxQueueSize: 4,
        queueTimeoutMs: 60_000,
        maxCallerSharePct: 100,
        priorityLevels: 4,
      },
      clock,
    );
    const request = (priority: number) => ({
      key: 'claude',
      priority,
      caller: 'c',
      deadlineAt: clock.now() + 60_000,
    });
    const first = await queue.acquire(request(2));
    const second = queue.acquire(request(3));
    let body = await text(m);
    expect(body).toContain('brutalist_queue_depth{priority="batch"} 1');
    expect(body).toContain('brutalist_concurrency_utilization_ratio 1');
    first.release();
    (await second).release();
    body = await text(m);
    expect(body).toContain('brutalist_queue_depth{priority="batch"} 0');
    expect(body).toContain('brutalist_critic_slots_in_use 0');
  });
});

describe('state store health', () => {
  /** A memory store that reports what a Redis store in outage reports. */
  class Degraded extends ForwardingStateStore {
    override async health(): Promise<StoreHealth> {
      return { backend: 'redis', status: 'degraded', detail: 'unreachable' };
    }
  }

  it('is 1 while the store is ok and 0 while it is degraded', async () => {
    const config = resolveConfig({ overrides: { sloFlushIntervalMs: 0 } });
    const memory = new MemoryStateStore({ maxBytes: 1 << 20, maxEntries: 100, cacheMaxEntryBytes: 1024 });
    const ok = createObservability(config, { tools: TOOLS, processMetrics: false });
    ok.attach(memory);
    const degraded = createObservability(config, { tools: TOOLS, processMetrics: false });
    degraded.attach(new Degraded(memory));
    try {
      expect((await ok.metrics.render()).body).toContain('brutalist_state_store_up{backend="memory"} 1');
      expect((await degraded.metrics.render()).body).toContain('brutalist_state_store_up{backend="redis"} 0');
    } finally {
      await ok.close();
      await degraded.close();
    }
  });
});
