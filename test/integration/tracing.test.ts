// Tracing: one span tree per tool call, continued from the caller's traceparent, whose trace id is the request id
// in error data, in log lines and in the critic's TRACEPARENT. The real SDK client, the server in this process,
// fake critics that are real executables logging their env, and the OTel SDK's in-memory exporter.

import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ConfigInput, resolveConfig } from '../../src/engine/config.js';
import { createLogger, startTracing, type Tracing } from '../../src/observability/index.js';
import { createApp } from '../../src/transport/index.js';
import { connectInProcess, fakeCritics, makeSandbox, readLog, type Sandbox } from '../support/harness.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${CALLER_SPAN}-01`;
const IDEA = 'a private idea nobody may see in a span';
const FAIL = '\n@@fake exit_code=3';
const HEX32 = /^[0-9a-f]{32}$/;

let sandbox: Sandbox;
let exporter: InMemorySpanExporter;
let closers: Array<() => Promise<void>> = [];

beforeEach(() => {
  sandbox = makeSandbox('brutalist-trace-');
  exporter = new InMemorySpanExporter();
});

afterEach(async () => {
  for (const close of closers.reverse()) await close();
  closers = [];
  sandbox.cleanup();
});

const TRACING = {
  otlpEndpoint: '',
  traceExportTimeoutMs: 1_000,
  traceMaxQueueSpans: 100,
  traceExportDelayMs: 10,
};

/** Tracing into the in-memory exporter (children sampled at `childPct`), and the server in this process. */
async function start(options: { childPct?: number; tracing?: boolean; overrides?: ConfigInput } = {}) {
  let tracing: Tracing | undefined;
  if (options.tracing !== false) {
    tracing = startTracing({ ...TRACING, traceChildSamplePct: options.childPct ?? 100 }, { exporter });
    closers.push(async () => tracing?.close());
  }
  const lines: string[] = [];
  const env = { PATH: process.env.PATH, HOME: sandbox.home, FAKE_CLI_LOG: sandbox.log };
  const logger = createLogger({
    level: 'info',
    env,
    destination: { write: (l: string) => void lines.push(l) },
  });
  const config = resolveConfig({
    overrides: { stateStore: 'memory', ...fakeCritics(sandbox), ...options.overrides },
  });
  const app = createApp(config, { env, logger });
  const connection = await connectInProcess({}, { app, env });
  closers.push(async () => {
    await connection.close();
    await app.shutdown();
  });
  const spans = async (): Promise<ReadableSpan[]> => {
    await tracing?.flush();
    return exporter.getFinishedSpans();
  };
  const logLines = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { client: connection.client, spans, logLines };
}

async function roast(
  client: Awaited<ReturnType<typeof start>>['client'],
  context: string,
  traceparent?: string,
): Promise<CallToolResult> {
  return (await client.callTool({
    name: 'roast',
    arguments: { domain: 'idea', context, clis: ['claude'] },
    ...(traceparent ? { _meta: { traceparent } } : {}),
  })) as CallToolResult;
}

const named = (spans: ReadableSpan[], name: string) => spans.filter((s) => s.name === name);
const only = (spans: ReadableSpan[], name: string): ReadableSpan => {
  const found = named(spans, name);
  expect(found, name).toHaveLength(1);
  return found[0]!;
};
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
/** TRACEPARENT of every critic run (the version probe, outside any request, has none). */
const criticTraceparents = () =>
  readLog(sandbox.log)
    .filter((i) => !i.argv.includes('--version'))
    .map((i) => i.env.TRACEPARENT);
const errorData = (r: CallToolResult) =>
  (r.structuredContent as { error: { code: string; data: { requestId?: string } } }).error;

describe('the span tree of a tool call', () => {
  it('continues the caller traceparent: request span under the caller, every step under the request', async () => {
    const { client, spans } = await start();
    const result = await roast(client, IDEA, TRACEPARENT);
    expect(result.isError).toBeFalsy();
    const all = await spans();
    const request = only(all, 'tools/call roast');
    expect(request.spanContext().traceId).toBe(TRACE_ID);
    expect(parentOf(request)).toBe(CALLER_SPAN);
    expect(request.parentSpanContext?.isRemote).toBe(true);
    expect(request.attributes).toMatchObject({
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'roast',
      'brutalist.outcome': 'ok',
    });
    const requestId = request.spanContext().spanId;
    for (const span of all) expect(span.spanContext().traceId).toBe(TRACE_ID);
    for (const step of ['validation', 'lock']) {
      expect(parentOf(only(all, `brutalist.${step}`)), step).toBe(requestId);
    }
    const lock = only(all, 'brutalist.lock').spanContext().spanId;
    // The cache is read before the lock, and again under it (another instance may have finished meanwhile).
    const caches = named(all, 'brutalist.cache');
    expect(caches.map(parentOf)).toEqual([requestId, lock]);
    for (const cache of caches) expect(cache.attributes).toMatchObject({ 'brutalist.cache.hit': false });
    const admission = only(all, 'brutalist.admission');
    const critic = only(all, 'brutalist.critic');
    expect(parentOf(admission)).toBe(lock);
    expect(parentOf(critic)).toBe(lock);
    expect(admission.attributes).toMatchObject({ 'brutalist.critic': 'claude' });
    expect(critic.attributes).toMatchObject({
      'brutalist.critic': 'claude',
      'brutalist.critic.exit_class': 'ok',
    });
    expect(critic.attributes['brutalist.critic.output_bytes']).toBeGreaterThan(0);
    const stores = named(all, 'brutalist.store');
    expect(stores.map((s) => s.attributes['brutalist.what']).sort()).toEqual(['cache', 'result']);
    // The critic continues the trace from its own span.
    expect(criticTraceparents()).toEqual([`00-${TRACE_ID}-${critic.spanContext().spanId}-01`]);
  });

  it('never puts the prompt, a host path or the sandbox into a span', async () => {
    const { client, spans } = await start();
    await roast(client, IDEA, TRACEPARENT);
    const text = JSON.stringify((await spans()).map((s) => [s.name, s.attributes]));
    expect(text).not.toContain('private idea');
    expect(text).not.toContain(sandbox.dir);
    expect(text).not.toContain(sandbox.home);
  });

  it('starts a new trace without a traceparent; its trace id is the request id in error data and log lines', async () => {
    const { client, spans, logLines } = await start();
    const result = await roast(client, IDEA + FAIL);
    expect(result.isError).toBe(true);
    const request = only(await spans(), 'tools/call roast');
    const traceId = request.spanContext().traceId;
    expect(traceId).toMatch(HEX32);
    expect(request.parentSpanContext).toBeUndefined();
    expect(request.attributes).toMatchObject({ 'brutalist.outcome': 'error', 'error.type': 'CLI_FAILED' });
    expect(only(await spans(), 'brutalist.critic').attributes).toMatchObject({
      'error.type': 'CLI_FAILED',
      'brutalist.critic.exit_class': 'exit:3',
    });
    expect(errorData(result).data.requestId).toBe(traceId);
    const logged = logLines().filter((l) => l.event === 'critic_failure' || l.event === 'tool_error');
    expect(logged.length).toBeGreaterThanOrEqual(2);
    for (const line of logged) expect(line.requestId).toBe(traceId);
  });

  it('records only the request span when child spans are sampled out; the critic then continues the request span', async () => {
    const { client, spans } = await start({ childPct: 0 });
    await roast(client, IDEA, TRACEPARENT);
    const all = await spans();
    expect(all.map((s) => s.name)).toEqual(['tools/call roast']);
    expect(criticTraceparents()).toEqual([`00-${TRACE_ID}-${all[0]!.spanContext().spanId}-01`]);
  });
});

describe('without tracing', () => {
  it('still uses the caller trace id as request id and hands the caller span to the critic', async () => {
    const { client } = await start({ tracing: false });
    const result = await roast(client, IDEA + FAIL, TRACEPARENT);
    expect(errorData(result).data.requestId).toBe(TRACE_ID);
    expect(criticTraceparents()).toEqual([TRACEPARENT]);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('gives a call without traceparent a fresh W3C trace id, unsampled, as request id and critic TRACEPARENT', async () => {
    const { client } = await start({ tracing: false });
    const result = await roast(client, IDEA + FAIL);
    const requestId = errorData(result).data.requestId;
    expect(requestId).toMatch(HEX32);
    expect(criticTraceparents()).toEqual([
      expect.stringMatching(new RegExp(`^00-${requestId}-[0-9a-f]{16}-00$`)),
    ]);
  });

  it('ignores a malformed traceparent: a new trace, no error', async () => {
    const { client } = await start({ tracing: false });
    const result = await roast(client, IDEA + FAIL, `00-${'0'.repeat(32)}-${CALLER_SPAN}-01`);
    expect(errorData(result).code).toBe('CLI_FAILED');
    expect(errorData(result).data.requestId).not.toBe('0'.repeat(32));
    expect(errorData(result).data.requestId).toMatch(HEX32);
  });
});
