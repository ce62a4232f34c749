// Real claude 2.1.197 against the stub model, through the built server: max_usd becomes claude's own
// --max-budget-usd, the run it stops comes back as a partial critique with the usage from modelUsage; max_tokens
// stops real codex mid-stream.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  callTool,
  connectRealServer,
  INSTALL_TIMEOUT_MS,
  makeRealSandbox,
  REAL_TEST_TIMEOUT_MS,
  type RealSandbox,
  type RealServer,
  realServerEnv,
  requireRealClis,
  structuredOf,
} from '../support/real-clis.js';
import { StubModelServer } from '../support/stub-model/index.js';

vi.setConfig({ testTimeout: REAL_TEST_TIMEOUT_MS });

let stub: StubModelServer;
let sandbox: RealSandbox;
let server: RealServer;

beforeAll(async () => {
  const bins = await requireRealClis();
  stub = await StubModelServer.start();
  sandbox = makeRealSandbox('brutalist-real-budget-');
  server = await connectRealServer(
    realServerEnv(sandbox, bins, stub, { BRUTALIST_CACHE_TTL_MS: '0' }),
    sandbox.project,
  );
}, INSTALL_TIMEOUT_MS);

afterAll(async () => {
  await server?.close();
  await stub?.close();
  sandbox?.cleanup();
});

interface Result {
  status: string;
  text: string;
  critics: Array<{
    critic: string;
    ok: boolean;
    exitClass: string;
    stoppedBy?: string;
    usage: Record<string, number | null> | null;
  }>;
  usage: { costUsd: number | null; stopped: Array<{ critic: string; by: string }> };
  notes: string[];
}

describe('max_usd with real claude', () => {
  it('is claude --max-budget-usd; the stopped turn is returned as a partial critique with its real usage', async () => {
    const mark = `BUDGET-${process.pid}`;
    stub.when(mark, { text: `${mark} ${'An expensive paragraph of critique. '.repeat(100)}` });
    const result = await callTool(server.client, 'roast', {
      domain: 'idea',
      context: `A to-do app for cats. ${mark}`,
      clis: ['claude'],
      max_usd: 0.000001,
      verbose: true,
    });
    const r = result.structuredContent as unknown as Result;
    expect(r.status).toBe('done');
    const [claude] = r.critics;
    expect(claude).toMatchObject({ ok: true, exitClass: 'budget', stoppedBy: 'max_usd' });
    // 2.1.197 zeroes `usage` on this stop; modelUsage has the real figures.
    expect(claude!.usage!.outputTokens).toBeGreaterThan(0);
    expect(claude!.usage!.costUsd).toBeGreaterThan(0.000001);
    expect(r.usage.stopped).toEqual([{ critic: 'claude', by: 'max_usd' }]);
    expect(r.text).toContain('An expensive paragraph of critique.');
    expect(r.notes.join('\n')).toContain('claude was stopped');
    const argvLine = r.text.split('\n').find((l) => l.includes('--max-budget-usd'));
    expect(argvLine).toContain('0.000001');
  });
});

describe('max_tokens with real claude', () => {
  it('stops the run mid-stream once the streamed answer passes the cap, and returns the partial critique', async () => {
    const mark = `CLAUDE-TOKENS-${process.pid}`;
    const sentence = 'Streamed sentence of critique text. ';
    // 72 KB in 1 KiB deltas: far past 200 tokens (800 bytes at 4 bytes per token) long before the end.
    stub.when(mark, { text: `${mark} ${sentence.repeat(2000)}THE-END`, chunkChars: 1024 }, 'anthropic');
    const result = await callTool(server.client, 'roast', {
      domain: 'idea',
      context: `A to-do app for fish. ${mark}`,
      clis: ['claude'],
      max_tokens: 200,
    });
    const r = result.structuredContent as unknown as Result;
    expect(r.status).toBe('done');
    expect(r.critics[0]).toMatchObject({ ok: true, exitClass: 'budget', stoppedBy: 'max_tokens' });
    expect(r.usage.stopped).toEqual([{ critic: 'claude', by: 'max_tokens' }]);
    expect(r.text).toContain(sentence.trim());
    expect(r.text).not.toContain('THE-END');
    expect(r.notes.join('\n')).toContain('claude was stopped');
  });
});

describe('max_tokens with real codex', () => {
  it('stops the run once the streamed answer passes the cap', async () => {
    const mark = `TOKENS-${process.pid}`;
    stub.when(mark, { text: `${mark} ${'Streamed sentence of critique text. '.repeat(2000)}` });
    const result = await callTool(server.client, 'roast', {
      domain: 'idea',
      context: `A to-do app for dogs. ${mark}`,
      clis: ['codex'],
      max_tokens: 200,
    });
    const r = structuredOf(result) as unknown as Result;
    expect(r.status).toBe('done');
    expect(r.critics[0]).toMatchObject({ ok: true, stoppedBy: 'max_tokens' });
  });
});
