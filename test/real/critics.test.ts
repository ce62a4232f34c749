// Real binaries, happy paths: the built server over stdio (MCP SDK client) runs the pinned claude, codex and
// gemini against the stub model API; each critique comes back through `roast`, in parallel, in a debate, paged.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { getDomain } from '../../src/domains/index.js';
import {
  callTool,
  connectRealServer,
  errorOf,
  INSTALL_TIMEOUT_MS,
  makeRealSandbox,
  PINNED,
  pinOf,
  REAL_TEST_TIMEOUT_MS,
  type RealSandbox,
  type RealServer,
  realServerEnv,
  requireRealClis,
  STUB_KEYS,
  structuredOf,
  textOf,
} from '../support/real-clis.js';
import { defaultText, type StubApi, StubModelServer } from '../support/stub-model/index.js';
import { longCritique } from '../support/stub-model/text.js';

// Real CLIs on a busy 2-core machine: generous per-test limits; our own deadlines are what the tests check.
vi.setConfig({ testTimeout: REAL_TEST_TIMEOUT_MS });

const API: Record<'claude' | 'codex' | 'gemini', StubApi> = {
  claude: 'anthropic',
  codex: 'openai',
  gemini: 'gemini',
};
const CRITICS = ['claude', 'codex', 'gemini'] as const;

let stub: StubModelServer;
let sandbox: RealSandbox;
let server: RealServer;
let seq = 0;
const marker = (label: string) => `MARK-${label}-${process.pid}-${++seq}`;

beforeAll(async () => {
  const bins = await requireRealClis();
  stub = await StubModelServer.start();
  sandbox = makeRealSandbox();
  server = await connectRealServer(realServerEnv(sandbox, bins, stub), sandbox.project);
}, INSTALL_TIMEOUT_MS);

afterAll(async () => {
  await server?.close();
  await stub?.close();
  sandbox?.cleanup();
});

describe('cli_agent_roster', () => {
  it('finds the three installable real CLIs at their pinned versions, and agy (not installable here) missing', async () => {
    const result = await callTool(server.client, 'cli_agent_roster', {});
    const { critics } = result.structuredContent as {
      critics: Array<{ critic: string; available: boolean; version: string | null }>;
    };
    expect(critics.map((c) => [c.critic, c.available, c.version])).toEqual([
      ...PINNED.map((p) => [p.critic, true, p.version]),
      ['agy', false, null],
    ]);
  });
});

describe('roast with one real critic', () => {
  it.each(CRITICS)(
    '%s returns the stub critique, with the prompt, persona, model and key reaching the API',
    async (critic) => {
      const mark = marker(critic);
      const answer = `Verdict from ${critic}: ${mark} the pricing assumption is the fatal one.`;
      stub.when(mark, { text: answer });
      const model = `${critic}-stub-model-1`;
      const result = await callTool(server.client, 'roast', {
        domain: 'idea',
        context: `A to-do app for cats. ${mark}`,
        clis: [critic],
        models: { [critic]: model },
        verbose: true,
      });
      expect(errorOf(result)).toBeUndefined();
      expect(textOf(result)).toContain(answer);
      const s = structuredOf(result);
      expect(s.critics).toHaveLength(1);
      expect(s.critics[0]).toMatchObject({
        critic,
        ok: true,
        exitClass: 'ok',
        cliVersion: pinOf(critic).version,
        truncated: false,
      });
      expect(s.contextId).toMatch(/^[0-9a-f-]{36}$/);

      const requests = stub.requestsWith(mark).filter((r) => r.stream);
      expect(requests).toHaveLength(1);
      const request = requests[0]!;
      expect(request.api).toBe(API[critic]);
      expect(request.model).toBe(model);
      // Our prompt (persona + read-only rule + the user's text) is what the model was asked.
      expect(request.promptText).toContain(getDomain('idea').persona.slice(0, 60));
      expect(request.promptText).toContain('You are reviewing, not editing');
      expect(request.promptText).toContain(`A to-do app for cats. ${mark}`);
      // The API key crossed the env allowlist (and nothing else was sent instead).
      const auth = JSON.stringify(request.headers);
      const key = {
        claude: STUB_KEYS.ANTHROPIC_API_KEY,
        codex: STUB_KEYS.OPENAI_API_KEY,
        gemini: STUB_KEYS.GEMINI_API_KEY,
      };
      expect(auth).toContain(key[critic]);
    },
  );

  it('uses the CLI default model when none is configured (gemini routes through generateContent first)', async () => {
    const mark = marker('default-model');
    const result = await callTool(server.client, 'roast', {
      domain: 'idea',
      context: `Solar kettles. ${mark}`,
      clis: ['gemini'],
    });
    expect(errorOf(result)).toBeUndefined();
    expect(textOf(result)).toContain(defaultText('gemini'));
    const seen = stub.requestsWith(mark);
    expect(seen.some((r) => r.url.includes(':generateContent'))).toBe(true);
    expect(seen.some((r) => r.url.includes(':streamGenerateContent'))).toBe(true);
  });
});

describe('several real critics', () => {
  it('runs a 2-critic roast of the target in parallel', async () => {
    const mark = marker('parallel');
    // Neither critic is answered until both requests have arrived: a serial run would wait out the gate.
    const gate = { count: 2, maxWaitMs: 60_000 };
    stub.when(mark, { text: `claude says ${mark}`, gate }, 'anthropic');
    stub.when(mark, { text: `codex says ${mark}`, gate }, 'openai');
    const result = await callTool(server.client, 'roast', {
      domain: 'codebase',
      target: '.',
      context: `Background: ${mark}`,
      clis: ['claude', 'codex'],
      force_refresh: true,
    });
    expect(errorOf(result)).toBeUndefined();
    expect(structuredOf(result).critics.map((c) => [c.critic, c.ok])).toEqual([
      ['claude', true],
      ['codex', true],
    ]);
    expect(textOf(result)).toContain(`claude says ${mark}`);
    expect(textOf(result)).toContain(`codex says ${mark}`);
    const [a, b] = stub.requestsWith(mark).filter((r) => r.stream);
    expect(a && b).toBeTruthy();
    // Both requests were in flight at once: the second arrived before the first was answered.
    const [first, second] = [a!, b!].sort((x, y) => x.receivedAt - y.receivedAt);
    expect(second!.receivedAt).toBeLessThanOrEqual(first!.answeredAt ?? Number.POSITIVE_INFINITY);
  });

  it('runs roast_cli_debate with claude (pro) and codex (con), rebuttals seeing the other side', async () => {
    const mark = marker('debate');
    stub.when(mark, { text: `PRO-CASE ${mark}: one repo, one truth.` }, 'anthropic');
    stub.when(mark, { text: `CON-CASE ${mark}: blast radius.` }, 'openai');
    const result = await callTool(server.client, 'roast_cli_debate', {
      topic: `Monorepo or polyrepo ${mark}`,
      proPosition: 'Monorepo',
      conPosition: 'Polyrepo',
      agents: ['claude', 'codex'],
      rounds: 2,
    });
    expect(errorOf(result)).toBeUndefined();
    expect(
      structuredOf(result)
        .critics.map((c) => c.critic)
        .sort(),
    ).toEqual(['claude', 'claude', 'codex', 'codex']);
    expect(textOf(result)).toContain(`PRO-CASE ${mark}`);
    expect(textOf(result)).toContain(`CON-CASE ${mark}`);
    const codexTurns = stub.requestsWith(mark).filter((r) => r.api === 'openai');
    const claudeTurns = stub.requestsWith(mark).filter((r) => r.api === 'anthropic' && r.stream);
    expect(codexTurns).toHaveLength(2);
    expect(claudeTurns).toHaveLength(2);
    // Openings are blind; each rebuttal quotes the opponent's opening.
    expect(codexTurns.some((r) => r.promptText.includes(`PRO-CASE ${mark}`))).toBe(true);
    expect(claudeTurns.some((r) => r.promptText.includes(`CON-CASE ${mark}`))).toBe(true);
  });
});

describe('a critique of more than 2 MB', () => {
  it.each(CRITICS)('%s: pages end to end and reassembles exactly', async (critic) => {
    const mark = marker(`big-${critic}`);
    const big = longCritique(2_100_000, seq);
    stub.when(mark, { text: big, chunkChars: 16_384 });
    const result = await callTool(server.client, 'roast', {
      domain: 'idea',
      context: `Long please. ${mark}`,
      clis: [critic],
    });
    expect(errorOf(result)).toBeUndefined();
    const first = structuredOf(result);
    expect(first.critics[0]).toMatchObject({ critic, ok: true, truncated: false });
    expect(first.page.totalChars).toBeGreaterThan(2_000_000);
    const pages = [textOf(result).split('\n\n---\n')[0]!];
    let cursor = first.page.nextCursor;
    while (cursor) {
      const next = await callTool(server.client, 'roast', { domain: 'idea', cursor });
      expect(errorOf(next)).toBeUndefined();
      pages.push(textOf(next).split('\n\n---\n')[0]!);
      cursor = structuredOf(next).page.nextCursor;
    }
    const whole = pages.join('');
    expect(pages.length).toBeGreaterThan(20);
    expect(whole.length).toBe(first.page.totalChars);
    expect(whole).toContain(big.trimEnd());
  });
});
