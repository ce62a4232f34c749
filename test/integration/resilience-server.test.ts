// Resilience through the MCP server in this process: fallbacks while a circuit is open, the priority argument,
// the `_meta.timeoutMs` deadline, queue position in progress, and the roster's breaker and queue columns.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectInProcess, fakeCritics, makeSandbox, readLog, type Sandbox } from '../support/harness.js';

let sandbox: Sandbox;
let closers: Array<() => Promise<void>> = [];

beforeEach(() => {
  sandbox = makeSandbox('brutalist-res-');
});

afterEach(async () => {
  for (const close of closers.reverse()) await close();
  closers = [];
  sandbox.cleanup();
});

async function connect(overrides: Parameters<typeof fakeCritics>[1] = {}) {
  const connection = await connectInProcess(fakeCritics(sandbox, { killGraceMs: 200, ...overrides }), {
    env: { PATH: process.env.PATH, HOME: sandbox.home, FAKE_CLI_LOG: sandbox.log },
  });
  closers.push(connection.close);
  return connection;
}

type Result = CallToolResult & {
  structuredContent?: {
    error?: { code: string; data: Record<string, unknown> };
    critics?: Array<{ critic: string }>;
    notes?: string[];
    cached?: boolean;
    stale?: boolean;
    cacheAgeMs?: number;
  };
};

const call = async (client: Client, args: Record<string, unknown>, meta?: Record<string, unknown>) =>
  (await client.callTool({ name: 'roast', arguments: args, ...(meta ? { _meta: meta } : {}) })) as Result;
const codeOf = (r: Result) => r.structuredContent?.error?.code;
const spawns = () => readLog(sandbox.log).filter((l) => !l.argv.includes('--version')).length;

/** Failing claude runs until its breaker opens (window 10, minimum 5, 50% failures). */
async function openClaude(client: Client): Promise<void> {
  for (let i = 0; i < 10; i++) {
    const r = await call(client, {
      domain: 'idea',
      context: `broken ${i}\n@@fake error=server`,
      clis: ['claude'],
    });
    if (codeOf(r) === 'CIRCUIT_OPEN') return;
    expect(codeOf(r)).toBe('CLI_FAILED');
  }
  throw new Error('the breaker did not open');
}

describe('fallbacks while a circuit is open', () => {
  it('serves a cached critique of the same request, marked stale with its age', async () => {
    const { client } = await connect({ criticPreference: ['claude', 'codex', 'gemini'] });
    const firstStarted = Date.now();
    const first = await call(client, { domain: 'idea', context: 'a rocket of cardboard', clis: ['claude'] });
    const cachedBy = Date.now();
    expect(first.isError).toBeFalsy();
    await openClaude(client);
    const before = spawns();
    const staleStarted = Date.now();
    const stale = await call(client, {
      domain: 'idea',
      context: 'a rocket of cardboard',
      clis: ['claude'],
      force_refresh: true,
    });
    const staleDone = Date.now();
    expect(stale.isError).toBeFalsy();
    expect(stale.structuredContent).toMatchObject({ cached: true, stale: true });
    // The age is counted from when the first answer was cached: within what the test saw around both calls.
    const age = stale.structuredContent?.cacheAgeMs ?? -1;
    expect(age).toBeGreaterThanOrEqual(staleStarted - cachedBy);
    expect(age).toBeLessThanOrEqual(staleDone - firstStarted);
    expect(stale.structuredContent?.notes?.join(' ')).toContain('stale cached critique');
    expect(spawns()).toBe(before);
  });

  it('asks another available critic when the caller did not pin one, and says so', async () => {
    const { client } = await connect({ criticPreference: ['claude', 'codex', 'gemini'] });
    await openClaude(client);
    const r = await call(client, { domain: 'idea', context: 'a bridge of spaghetti' });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent?.critics?.map((c) => c.critic)).toEqual(['codex']);
    expect(r.structuredContent?.notes?.join(' ')).toContain('codex answered instead');
  });

  it('fails fast with CIRCUIT_OPEN and retryAfterMs when the caller pinned the critic', async () => {
    const { client } = await connect();
    await openClaude(client);
    const before = spawns();
    const r = await call(client, { domain: 'idea', context: 'something new', clis: ['claude'] });
    expect(codeOf(r)).toBe('CIRCUIT_OPEN');
    expect(r.structuredContent?.error?.data.retryAfterMs).toBeGreaterThan(0);
    expect(spawns()).toBe(before);
  });

  it('shows the open breaker in the roster', async () => {
    const { client } = await connect();
    await openClaude(client);
    const roster = (await client.callTool({ name: 'cli_agent_roster', arguments: {} })) as CallToolResult;
    const critics = (
      roster.structuredContent as { critics: Array<{ critic: string; circuit: { state: string } }> }
    ).critics;
    expect(critics.find((c) => c.critic === 'claude')?.circuit.state).toBe('open');
    expect(critics.find((c) => c.critic === 'codex')?.circuit.state).toBe('closed');
    const text = roster.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
    expect(text).toContain('| circuit |');
    expect(text).toMatch(/Slots: 0\/\d+ running/);
  });
});

describe('deadlines and priorities', () => {
  it('stops the critic at the deadline the client sent in _meta.timeoutMs', async () => {
    const { client } = await connect();
    const r = await call(
      client,
      { domain: 'idea', context: 'x\n@@fake hang=1', clis: ['codex'] },
      { timeoutMs: 400 },
    );
    expect(codeOf(r)).toBe('DEADLINE_EXCEEDED');
  });

  it('rejects a malformed _meta.timeoutMs as INVALID_ARGUMENT', async () => {
    const { client } = await connect();
    const r = await call(client, { domain: 'idea', context: 'x' }, { timeoutMs: -5 });
    expect(codeOf(r)).toBe('INVALID_ARGUMENT');
  });

  it('accepts a priority argument and refuses an unknown one', async () => {
    const { client } = await connect();
    expect((await call(client, { domain: 'idea', context: 'x', priority: 'batch' })).isError).toBeFalsy();
    expect(codeOf(await call(client, { domain: 'idea', context: 'x', priority: 'urgent' }))).toBe(
      'INVALID_ARGUMENT',
    );
  });

  it('reports the queue position in progress notifications while waiting for a slot', async () => {
    const { client } = await connect({ maxConcurrent: 1 });
    const slow = call(client, { domain: 'idea', context: 'slow\n@@fake delay_ms=1500', clis: ['codex'] });
    await new Promise((r) => setTimeout(r, 200));
    const messages: string[] = [];
    const queued = client.callTool(
      { name: 'roast', arguments: { domain: 'idea', context: 'waiting', clis: ['codex'] } },
      undefined,
      { onprogress: (p) => messages.push(p.message ?? '') },
    );
    await Promise.all([slow, queued]);
    expect(messages.some((m) => m.includes('queued at position 1'))).toBe(true);
  });

  it('answers QUEUE_FULL at once when the queue is full', async () => {
    const { client } = await connect({ maxConcurrent: 1, maxQueueSize: 1 });
    const running = call(client, { domain: 'idea', context: 'a\n@@fake delay_ms=800', clis: ['codex'] });
    await new Promise((r) => setTimeout(r, 200));
    const waiting = call(client, { domain: 'idea', context: 'b', clis: ['codex'] });
    await new Promise((r) => setTimeout(r, 50));
    const refused = await call(client, { domain: 'idea', context: 'c', clis: ['codex'] });
    expect(codeOf(refused)).toBe('QUEUE_FULL');
    expect(refused.structuredContent?.error?.data).toMatchObject({ queued: 1, limit: 1 });
    expect((await running).isError).toBeFalsy();
    expect((await waiting).isError).toBeFalsy();
  });
});
