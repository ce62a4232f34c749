// Usage and budgets end to end: fake critics (real executables) that report usage or not, the real SDK client,
// per-call caps stopping a run mid-way, daily caps refusing up front, and the ledger in a real SQLite file.
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/engine/config.js';
import { createApp } from '../../src/transport/index.js';
import { connectInProcess, fakeCritics, makeSandbox, readLog, type Sandbox } from '../support/harness.js';

let sandbox: Sandbox;
let closers: Array<() => Promise<void>> = [];
beforeEach(() => {
  sandbox = makeSandbox('brutalist-usage-');
});
afterEach(async () => {
  for (const close of closers.reverse()) await close();
  closers = [];
  sandbox.cleanup();
});

type Overrides = Parameters<typeof fakeCritics>[1];
const env = () => ({ PATH: process.env.PATH, HOME: sandbox.home });

async function connect(overrides: Overrides = {}, owner = 'local') {
  const c = await connectInProcess(fakeCritics(sandbox, overrides), { env: env(), owner });
  closers.push(c.close);
  await c.client.listTools(); // the SDK client validates structuredContent against the listed outputSchema
  return c;
}

/** A server on a SQLite file in the sandbox, closed by the caller (a restart is close, then connect again). */
async function connectSqlite(overrides: Overrides = {}) {
  const config = resolveConfig({
    overrides: {
      ...fakeCritics(sandbox, overrides),
      stateStore: 'sqlite',
      stateDir: join(sandbox.dir, 'state'),
    },
  });
  const app = createApp(config, { env: env() });
  const c = await connectInProcess({}, { env: env(), app });
  await c.client.listTools();
  return {
    ...c,
    close: async () => {
      await c.close();
      await app.shutdown();
    },
  };
}

async function roast(client: Client, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name: 'roast', arguments: { domain: 'idea', ...args } })) as CallToolResult;
}

interface Summary {
  critic: string;
  ok: boolean;
  exitClass: string;
  truncated: boolean;
  stoppedBy?: string;
  usage: Record<string, number | null> | null;
}
interface Structured {
  status: string;
  text: string;
  critics: Summary[];
  usage: Record<string, unknown> & { stopped: Array<{ critic: string; by: string }> };
  notes: string[];
  error?: { code: string; data: Record<string, unknown> };
}
const structured = (r: CallToolResult) => r.structuredContent as unknown as Structured;

/** A long answer streamed in small pieces, slowly enough for a cap to stop it part way. */
const SPEW = '@@fake spew_bytes=400000\n@@fake piece_chars=2000\n@@fake chunk_delay_ms=5';

describe('usage per critic run and per call', () => {
  it('reports what each CLI reported, null for what it did not (codex reports no cost), and sums them', async () => {
    const { client } = await connect();
    const r = structured(await roast(client, { context: 'A plan.', clis: ['claude', 'codex'] }));
    expect(r.status).toBe('done');
    const claude = r.critics.find((c) => c.critic === 'claude')!;
    const codex = r.critics.find((c) => c.critic === 'codex')!;
    expect(claude.usage).toMatchObject({ inputTokens: expect.any(Number), costUsd: expect.any(Number) });
    expect(codex.usage).toMatchObject({ outputTokens: expect.any(Number), costUsd: null });
    expect(r.usage).toMatchObject({
      runs: 2,
      reportedRuns: 2,
      outputTokens: (claude.usage!.outputTokens as number) + (codex.usage!.outputTokens as number),
      costUsd: claude.usage!.costUsd,
      stopped: [],
    });
  });

  it('says null, never a guess, when the CLI reports no usage at all', async () => {
    const { client } = await connect();
    const r = structured(await roast(client, { context: 'A plan.\n@@fake no_usage=1', clis: ['codex'] }));
    expect(r.critics[0]!.usage).toBeNull();
    expect(r.usage).toMatchObject({
      inputTokens: null,
      outputTokens: null,
      costUsd: null,
      reportedRuns: 0,
      runs: 1,
    });
  });
});

describe('per-call budgets', () => {
  it('stops a run past max_tokens and returns its partial critique, marked', async () => {
    const { client } = await connect();
    const r = structured(
      await roast(client, { context: `A plan.\n${SPEW}`, clis: ['codex'], max_tokens: 1000 }),
    );
    // The whole outcome on a miss (it once answered `error` under load, cause not captured).
    expect({ status: r.status, error: r.error, critics: r.critics }).toMatchObject({ status: 'done' });
    const [codex] = r.critics;
    expect(codex).toMatchObject({ ok: true, exitClass: 'budget', truncated: true, stoppedBy: 'max_tokens' });
    expect(r.usage.stopped).toEqual([{ critic: 'codex', by: 'max_tokens' }]);
    expect(r.notes.join('\n')).toContain('codex was stopped at this call');
    expect(r.text).toContain('FAKE SPEW');
    // Stopped soon after the cap (4 bytes a token), far short of the 400 KB answer.
    const answerChars = r.text.split('FAKE SPEW').length * 49;
    expect(answerChars).toBeGreaterThan(4000);
    expect(answerChars).toBeLessThan(100_000);
  });

  it('refuses max_usd for a critic that reports no cost when no price is configured', async () => {
    const { client } = await connect();
    const r = structured(await roast(client, { context: 'A plan.', clis: ['codex'], max_usd: 1 }));
    expect(r.status).toBe('error');
    expect(r.error).toMatchObject({
      code: 'BUDGET_UNENFORCEABLE',
      data: { critic: 'codex', option: 'usagePrices' },
    });
  });

  it('holds max_usd for codex through the price table, stopping it mid-run', async () => {
    const { client } = await connect({ usagePrices: ['codex=1/10'] });
    // 10 $/M output tokens: $0.001 is 100 tokens, about 400 bytes of answer.
    const r = structured(
      await roast(client, { context: `A plan.\n${SPEW}`, clis: ['codex'], max_usd: 0.001 }),
    );
    expect(r.critics[0]).toMatchObject({ ok: true, stoppedBy: 'max_usd', exitClass: 'budget' });
    expect(r.critics[0]!.usage).toBeNull(); // stopped before codex reported anything: nothing is invented
  });

  it('hands claude max_usd as its own --max-budget-usd and keeps the answer it stopped with', async () => {
    const log = join(sandbox.dir, 'claude.log');
    const { client } = await connect();
    const context = `A plan.\n@@fake log=${log}\n@@fake text=${'Costly critique. '.repeat(300)}`;
    const r = structured(await roast(client, { context, clis: ['claude'], max_usd: 0.0001 }));
    const argv = readLog(log)[0]!.argv;
    expect(argv[argv.indexOf('--max-budget-usd') + 1]).toBe('0.0001');
    expect(r.critics[0]).toMatchObject({
      ok: true,
      stoppedBy: 'max_usd',
      exitClass: 'budget',
      truncated: true,
    });
    // claude zeroes `usage` on this stop; the real counts come from modelUsage.
    expect(r.critics[0]!.usage).toMatchObject({ outputTokens: 1275, costUsd: expect.any(Number) });
    expect(r.text).toContain('Costly critique.');
  });
});

describe('daily budgets per caller', () => {
  it('counts usage across calls and refuses up front once the day is spent, for that caller only', async () => {
    const overrides = { usageDailyMaxTokens: 50, cacheTtlMs: 0 };
    const alice = await connect(overrides, 'alice');
    const bob = await connect(overrides, 'bob');
    const context = `A plan.\n@@fake text=${'x'.repeat(400)}`; // 100 output tokens
    expect(structured(await roast(alice.client, { context, clis: ['codex'] })).status).toBe('done');
    const refused = structured(await roast(alice.client, { context, clis: ['codex'] }));
    expect(refused.error).toMatchObject({
      code: 'BUDGET_EXCEEDED',
      data: { caller: 'alice', limit: 'tokens', spent: 100, max: 50 },
    });
    expect(structured(await roast(bob.client, { context, clis: ['codex'] })).status).toBe('done');
  });

  it('keeps the day across a server restart on the same SQLite file', async () => {
    const overrides = { usageDailyMaxTokens: 50, cacheTtlMs: 0 };
    const context = `A plan.\n@@fake text=${'y'.repeat(400)}`;
    const first = await connectSqlite(overrides);
    expect(structured(await roast(first.client, { context, clis: ['codex'] })).status).toBe('done');
    await first.close();
    const second = await connectSqlite(overrides);
    closers.push(second.close);
    const r = structured(await roast(second.client, { context, clis: ['codex'] }));
    expect(r.error?.code).toBe('BUDGET_EXCEEDED');
  });

  it('caps a call at what is left of the day', async () => {
    const { client } = await connect({ usageDailyMaxTokens: 2000, cacheTtlMs: 0 });
    const r = structured(await roast(client, { context: `A plan.\n${SPEW}`, clis: ['codex'] }));
    expect(r.critics[0]).toMatchObject({ stoppedBy: 'max_tokens' });
    const next = structured(await roast(client, { context: 'Again.', clis: ['codex'] }));
    expect(next.error?.code).toBe('BUDGET_EXCEEDED');
  });
});

describe('budgets in a debate', () => {
  it('share one cap across the turns: once spent, the remaining turns are skipped and the debate is returned', async () => {
    const { client } = await connect();
    const result = (await client.callTool({
      name: 'roast_cli_debate',
      arguments: {
        topic: 'Tabs or spaces',
        proPosition: 'Tabs',
        conPosition: 'Spaces',
        context: `Decide.\n${SPEW}`,
        agents: ['codex', 'claude'],
        rounds: 2,
        max_tokens: 500,
      },
    })) as CallToolResult;
    const r = structured(result);
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('done');
    expect(r.usage.stopped.length).toBeGreaterThanOrEqual(1);
    expect(
      r.critics.some(
        (c) => !c.ok && (c as unknown as { error: { code: string } }).error.code === 'BUDGET_EXCEEDED',
      ),
    ).toBe(true);
    expect(r.text).toContain("did not speak: this call's budget is spent");
  });
});

describe('cached results', () => {
  it('count no run in the call totals', async () => {
    const { client } = await connect();
    await roast(client, { context: 'Cache me.', clis: ['codex'] });
    const again = structured(await roast(client, { context: 'Cache me.', clis: ['codex'] }));
    expect((again as unknown as { cached: boolean }).cached).toBe(true);
    expect(again.usage).toMatchObject({ runs: 0, outputTokens: null });
    expect(again.critics[0]!.usage).not.toBeNull();
  });
});
