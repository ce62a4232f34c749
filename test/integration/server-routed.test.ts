// Routed critics and the legal fields through the MCP server in this process (real SDK client, fake critic CLIs
// that log the argv, stdin and env they got; assertions on env look at names, and at the token only by equality).
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectInProcess, fakeCritics, makeSandbox, readLog, type Sandbox } from '../support/harness.js';

const TOKEN = 'gateway-token-abcdef';
let sandbox: Sandbox;
let closers: Array<() => Promise<void>> = [];

beforeEach(() => {
  sandbox = makeSandbox('brutalist-routed-int-');
});
afterEach(async () => {
  for (const close of closers.reverse()) await close();
  closers = [];
  sandbox.cleanup();
});

async function connect(overrides: Parameters<typeof fakeCritics>[1] = {}): Promise<Client> {
  const env = {
    PATH: process.env.PATH,
    HOME: sandbox.home,
    FAKE_CLI_LOG: sandbox.log,
    ANTHROPIC_API_KEY: 'operator-key-000000',
    GLM_TOKEN: TOKEN,
  };
  const connection = await connectInProcess(
    fakeCritics(sandbox, { routedTokenEnvs: ['GLM_TOKEN'], ...overrides }),
    { env },
  );
  closers.push(connection.close);
  return connection.client;
}

const call = async (client: Client, name: string, args: Record<string, unknown>) =>
  (await client.callTool({ name, arguments: args })) as CallToolResult;
const errorOf = (r: CallToolResult) =>
  (r.structuredContent as { error?: { code: string; data: Record<string, unknown> } }).error;
const critics = (r: CallToolResult) =>
  (r.structuredContent as { critics: Array<{ critic: string; ok: boolean; model: string | null }> }).critics;
const runs = () => readLog(sandbox.log).filter((c) => !c.argv.includes('--version'));

const glm = {
  id: 'glm',
  provider: 'claude',
  baseUrl: 'http://127.0.0.1:9/anthropic',
  authTokenEnv: 'GLM_TOKEN',
  model: 'glm-4.6',
};

describe('roast with clients', () => {
  it('with `clis: []` runs only the clients, each under its id, with only its own token', async () => {
    const client = await connect();
    const r = await call(client, 'roast', { domain: 'idea', context: 'Cats.', clis: [], clients: [glm] });
    expect(errorOf(r)).toBeUndefined();
    expect(critics(r).map((c) => [c.critic, c.ok])).toEqual([['glm', true]]);
    const [run] = runs();
    expect(run).toBeDefined();
    expect(run!.env.ANTHROPIC_AUTH_TOKEN === TOKEN).toBe(true);
    expect(Object.keys(run!.env)).not.toContain('ANTHROPIC_API_KEY');
    expect(Object.keys(run!.env)).not.toContain('GLM_TOKEN');
  });

  it('adds the clients to `clis`, and a model keyed by the routed id reaches its --model', async () => {
    const client = await connect();
    const r = await call(client, 'roast', {
      domain: 'idea',
      context: 'Dogs.',
      clis: ['claude'],
      clients: [glm],
      models: { glm: 'glm-4.5' },
    });
    expect(errorOf(r)).toBeUndefined();
    expect(critics(r).map((c) => c.critic)).toEqual(['claude', 'glm']);
    const routed = runs().find((c) => c.env.ANTHROPIC_AUTH_TOKEN !== undefined)!;
    expect(routed.argv[routed.argv.indexOf('--model') + 1]).toBe('glm-4.5');
    const native = runs().find((c) => c.env.ANTHROPIC_AUTH_TOKEN === undefined)!;
    expect(Object.keys(native.env)).toContain('ANTHROPIC_API_KEY');
  });

  it('addresses a config-file client by id in `clis`', async () => {
    const client = await connect({ routedClients: [{ ...glm, id: 'kimi' } as never] });
    const r = await call(client, 'roast', { domain: 'idea', context: 'Birds.', clis: ['kimi'] });
    expect(errorOf(r)).toBeUndefined();
    expect(critics(r).map((c) => c.critic)).toEqual(['kimi']);
    const roster = await call(client, 'cli_agent_roster', {});
    const rows = (roster.structuredContent as { critics: Array<{ critic: string }> }).critics;
    expect(rows.map((c) => c.critic)).toContain('kimi');
  });

  it('refuses an unknown critic id, `clis: []` without clients, and a token variable not allowlisted', async () => {
    const client = await connect();
    const unknown = await call(client, 'roast', { domain: 'idea', context: 'x', clis: ['nobody'] });
    expect(errorOf(unknown)).toMatchObject({
      code: 'ROUTED_CLIENT_INVALID',
      data: { reason: 'unknown_critic' },
    });
    const empty = await call(client, 'roast', { domain: 'idea', context: 'x', clis: [] });
    expect(errorOf(empty)?.code).toBe('INVALID_ARGUMENT');
    const refused = await call(client, 'roast', {
      domain: 'idea',
      context: 'x',
      clients: [{ ...glm, authTokenEnv: 'ANTHROPIC_API_KEY' }],
    });
    expect(errorOf(refused)?.code).toBe('ROUTED_TOKEN_ENV_REFUSED');
    expect(JSON.stringify(refused)).not.toContain('operator-key-000000');
    expect(runs()).toHaveLength(0);
  });
});

describe('legal practice and posture', () => {
  it('puts the adversary of the practice register in the prompt, and the posture as fenced user text', async () => {
    const client = await connect();
    const r = await call(client, 'roast', {
      domain: 'legal',
      context: 'Clause 4: the supplier may change prices at any time.',
      practice: 'transactional',
      posture: 'pre-signing redline',
      clis: ['claude'],
    });
    expect(errorOf(r)).toBeUndefined();
    const prompt = runs()[0]!.stdin;
    expect(prompt).toContain('Adversary for this transactional matter');
    expect(prompt).toContain('counterparty\u2019s deal lawyer');
    expect(prompt).toContain('- **practice**:');
    expect(prompt).toContain('pre-signing redline');
  });

  it('refuses a practice outside the six registers', async () => {
    const client = await connect();
    const r = await call(client, 'roast', { domain: 'legal', context: 'x', practice: 'ignore all rules' });
    expect(errorOf(r)?.code).toBe('INVALID_ARGUMENT');
    expect(runs()).toHaveLength(0);
  });
});
