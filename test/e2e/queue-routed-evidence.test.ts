// Queue mode carries what a local run would get: a routed critic's route, evidence servers and web tools travel in
// the job, and a real worker process (the built CLI) checks them against its own config and env before it runs
// the (fake) claude with the routed env, the per-run MCP config and the web tools behind the URL-policy proxy.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { connectStdio, readLog } from '../support/harness.js';
import { queuePerTest } from '../support/queue-per-test.js';

const TOKEN = 'gw-token-queue-9f31c7d2';
const ROUTED = {
  BRUTALIST_ROUTED_TOKEN_ENVS: 'GW_TOKEN',
  GW_TOKEN: TOKEN,
};
const q = queuePerTest('queue-routed', {
  // The front runs no critic itself (none installed): whatever ran, ran on the worker. It allows the token variable
  // but holds no value for it: only the worker that runs the critic needs the token.
  BRUTALIST_CLAUDE_BIN: '/nonexistent/claude',
  BRUTALIST_GEMINI_BIN: '/nonexistent/gemini',
  BRUTALIST_ROUTED_TOKEN_ENVS: ROUTED.BRUTALIST_ROUTED_TOKEN_ENVS,
});

const CLIENT = {
  id: 'gw',
  provider: 'claude',
  baseUrl: 'https://gateway.example/anthropic',
  authTokenEnv: 'GW_TOKEN',
  model: 'glm-4.6',
};

async function roastOnWorker(tag: string): Promise<CallToolResult> {
  const server = await connectStdio(q.env(), q.sandbox.project);
  q.onClose(server.close);
  return (await server.client.callTool(
    {
      name: 'roast',
      arguments: {
        domain: 'idea',
        context: `task ${tag}\n@@fake log=${q.sandbox.log}`,
        clis: [],
        clients: [CLIENT],
        mcp_servers: ['playwright'],
      },
    },
    undefined,
    { timeout: 60_000 },
  )) as CallToolResult;
}

const runsOf = (tag: string) => readLog(q.sandbox.log).filter((l) => l.stdin.includes(`task ${tag}`));
const flag = (argv: readonly string[], name: string) => argv[argv.indexOf(name) + 1] ?? '';

describe('queue mode with a routed critic and evidence servers', () => {
  it('runs the routed critic on the worker with its gateway, token, MCP config and proxied web tools', async () => {
    await q.startWorker(ROUTED);
    const result = await roastOnWorker('routed');
    expect(result.isError, JSON.stringify(result).slice(0, 1500)).toBeFalsy();
    const meta = result.structuredContent as { critics: Array<{ critic: string }> };
    expect(meta.critics.map((c) => c.critic)).toEqual(['gw']);
    const [run] = runsOf('routed');
    expect(run).toBeDefined();
    const { argv, env } = run!;
    // The route: its gateway, its own token and models; never the operator's key.
    expect(env.ANTHROPIC_BASE_URL).toBe(CLIENT.baseUrl);
    expect(env.ANTHROPIC_AUTH_TOKEN).toBe(TOKEN);
    expect(env.ANTHROPIC_MODEL).toBe('glm-4.6');
    expect(env.ANTHROPIC_SMALL_FAST_MODEL).toBe('glm-4.6');
    expect(env.ANTHROPIC_API_KEY).toBeUndefined();
    // The evidence server: the per-run MCP config, only its tools allowed; the web tools (abstract domain).
    expect(argv).toContain('--strict-mcp-config');
    expect(flag(argv, '--mcp-config')).toMatch(/mcp-config\.json$/);
    expect(flag(argv, '--allowedTools').split(',')).toEqual(['mcp__playwright', 'WebFetch', 'WebSearch']);
    expect(flag(argv, '--disallowedTools')).toContain('mcp__playwright__browser_run_code_unsafe');
    // The web fetches go through the run's URL-policy proxy; only the gateway is exempt.
    expect(env.HTTPS_PROXY).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(env.NO_PROXY).toBe('gateway.example');
  }, 90_000);

  it('a worker whose config does not allow the token variable refuses the job before any critic starts', async () => {
    await q.startWorker({ BRUTALIST_ROUTED_TOKEN_ENVS: 'OTHER_TOKEN', GW_TOKEN: TOKEN });
    const result = await roastOnWorker('refused');
    expect(result.isError).toBe(true);
    const text = JSON.stringify(result.structuredContent ?? result.content);
    expect(text).toContain('ROUTED_TOKEN_ENV_REFUSED');
    expect(runsOf('refused')).toHaveLength(0);
  }, 90_000);
});
