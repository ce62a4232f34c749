// Real claude 2.1.197 against the stub model, through the built server: max_usd becomes claude's own
// --max-budget-usd, the run it stops comes back as a partial critique with the usage from modelUsage; max_tokens
// stops real claude, codex and gemini mid-stream; their reported usage reaches the ledger `brutalist-mcp usage` reads.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CLI_JS } from '../support/harness.js';
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
import { longCritique } from '../support/stub-model/text.js';

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
    const mark = `MAXTOK-CLAUDE-${process.pid}`;
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

describe('max_tokens with real gemini', () => {
  it('stops the run once the streamed answer passes the cap', async () => {
    const mark = `MAXTOK-GEMINI-${process.pid}`;
    // Never repetitive: gemini's loop detection ends a turn that streams the same sentence over and over.
    const text = `${mark} ${longCritique(72_000, 7)}THE-END`;
    stub.when(mark, { text, chunkChars: 1024 }, 'gemini');
    const result = await callTool(server.client, 'roast', {
      domain: 'idea',
      context: `A to-do app for hamsters. ${mark}`,
      clis: ['gemini'],
      max_tokens: 200,
    });
    const r = result.structuredContent as unknown as Result;
    expect(r.status).toBe('done');
    expect(r.critics[0]).toMatchObject({ ok: true, exitClass: 'budget', stoppedBy: 'max_tokens' });
    expect(r.text).toContain('000001. The ');
    expect(r.text).not.toContain('THE-END');
  });
});

describe('usage of real claude and codex runs, read back by `brutalist-mcp usage`', () => {
  it('sums what the CLIs reported into the SQLite ledger, per caller and day', async () => {
    const bins = await requireRealClis();
    const box = makeRealSandbox('brutalist-real-usage-');
    const env = realServerEnv(box, bins, stub, {
      BRUTALIST_CACHE_TTL_MS: '0',
      BRUTALIST_STATE_STORE: 'sqlite',
      BRUTALIST_STATE_DIR: join(box.dir, 'state'),
    });
    try {
      const own = await connectRealServer(env, box.project);
      const mark = `USAGE-${process.pid}`;
      stub.when(mark, { text: `${mark} A short critique.` });
      let call: Result;
      try {
        const result = await callTool(own.client, 'roast', {
          domain: 'idea',
          context: `A to-do app for birds. ${mark}`,
          clis: ['claude', 'codex'],
        });
        call = result.structuredContent as unknown as Result;
      } finally {
        await own.close(); // the engine's close flushes usage not yet merged into the store
      }
      const claude = call.critics.find((c) => c.critic === 'claude')!;
      const codex = call.critics.find((c) => c.critic === 'codex')!;
      // What each CLI reported: claude tokens and dollars, codex tokens and no cost (never invented).
      expect(claude.usage!.outputTokens).toBeGreaterThan(0);
      expect(claude.usage!.costUsd).toBeGreaterThan(0);
      expect(codex.usage!.outputTokens).toBeGreaterThan(0);
      expect(codex.usage!.costUsd).toBeNull();
      expect(call.usage.costUsd).toBe(claude.usage!.costUsd);

      const printed = spawnSync(process.execPath, [CLI_JS, 'usage', '--since', '1d', '--json'], {
        cwd: box.project,
        env,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(printed.status, printed.stderr).toBe(0);
      const report = JSON.parse(printed.stdout) as {
        callers: Array<{ caller: string; runs: number; outputTokens: number; costUsd: number }>;
      };
      expect(report.callers).toHaveLength(1);
      expect(report.callers[0]).toMatchObject({
        runs: 2,
        outputTokens: claude.usage!.outputTokens! + codex.usage!.outputTokens!,
        costUsd: claude.usage!.costUsd,
      });
    } finally {
      box.cleanup();
    }
  });
});
