// The MCP server in this process: real SDK client over the in-memory transport, real fake-critic subprocesses.
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { activeProcessGroups } from '../../src/process/index.js';
import {
  connectInProcess,
  fakeCritics,
  isAlive,
  makeSandbox,
  readLog,
  type Sandbox,
  waitFor,
} from '../support/harness.js';

let sandbox: Sandbox;
let closers: Array<() => Promise<void>> = [];

beforeEach(() => {
  sandbox = makeSandbox('brutalist-int-');
});

afterEach(async () => {
  for (const close of closers.reverse()) await close();
  closers = [];
  sandbox.cleanup();
});

function envFor(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: sandbox.home, FAKE_CLI_LOG: sandbox.log, ...extra };
}

async function connect(
  overrides: Parameters<typeof fakeCritics>[1] = {},
  options: Parameters<typeof connectInProcess>[1] = {},
): Promise<Awaited<ReturnType<typeof connectInProcess>>> {
  const connection = await connectInProcess(fakeCritics(sandbox, overrides), { env: envFor(), ...options });
  closers.push(connection.close);
  return connection;
}

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
const codeOf = (r: CallToolResult) => (r.structuredContent as { error?: { code: string } }).error?.code;
const meta = (r: CallToolResult) =>
  r.structuredContent as {
    contextId: string;
    cached: boolean;
    critics: Array<{ critic: string; ok: boolean; truncated: boolean; error: { code: string } | null }>;
    skipped: Array<{ critic: string; code: string }>;
    notes: string[];
    page: { nextCursor: string | null; totalChars: number };
  };

describe('roots', () => {
  it('lets client roots narrow the configured roots: only paths inside both are allowed', async () => {
    const { client } = await connect({}, { roots: [join(sandbox.project, 'src')] });
    const inside = await call(client, 'roast', { domain: 'codebase', target: 'index.ts' });
    expect(inside.isError).toBeFalsy();
    expect(readLog(sandbox.log).at(-1)!.cwd).toBe(join(sandbox.project, 'src'));
    const configuredOnly = await call(client, 'roast', {
      domain: 'codebase',
      target: join(sandbox.project, 'package.json'),
    });
    expect(codeOf(configuredOnly)).toBe('PATH_OUTSIDE_ROOT');
  });

  it('never lets client roots widen the configured roots: a root outside them leaves nothing allowed', async () => {
    const clientRoot = join(sandbox.dir, 'client-root');
    mkdirSync(clientRoot);
    writeFileSync(join(clientRoot, 'app.py'), 'print(1)\n');
    const { client } = await connect({}, { roots: [clientRoot] });
    const own = await call(client, 'roast', { domain: 'codebase', target: join(clientRoot, 'app.py') });
    expect(codeOf(own)).toBe('PATH_OUTSIDE_ROOT');
    const configured = await call(client, 'roast', { domain: 'codebase', target: sandbox.project });
    expect(codeOf(configured)).toBe('PATH_OUTSIDE_ROOT');
    expect(readLog(sandbox.log).filter((l) => !l.argv.includes('--version'))).toHaveLength(0);
  });

  it('judges client roots by realpath: a symlink inside that points outside is dropped', async () => {
    const outside = join(sandbox.dir, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret.txt'), 'x\n');
    symlinkSync(outside, join(sandbox.project, 'escape'));
    const { client } = await connect({}, { roots: [join(sandbox.project, 'escape')] });
    const result = await call(client, 'roast', { domain: 'codebase', target: join(outside, 'secret.txt') });
    expect(codeOf(result)).toBe('PATH_OUTSIDE_ROOT');
  });

  it("uses the client's roots as they are when no roots are configured", async () => {
    const clientRoot = join(sandbox.dir, 'client-root');
    mkdirSync(clientRoot);
    writeFileSync(join(clientRoot, 'app.py'), 'print(1)\n');
    const { client } = await connect({ roots: [] }, { roots: [clientRoot] });
    const inside = await call(client, 'roast', { domain: 'codebase', target: join(clientRoot, 'app.py') });
    expect(inside.isError).toBeFalsy();
    const elsewhere = await call(client, 'roast', { domain: 'codebase', target: sandbox.project });
    expect(codeOf(elsewhere)).toBe('PATH_OUTSIDE_ROOT');
  });

  it('runs a single-file target with cwd = its directory and names only the file to the critic', async () => {
    const { client } = await connect();
    const result = await call(client, 'roast', {
      domain: 'codebase',
      target: 'src/index.ts',
      clis: ['codex'],
    });
    expect(result.isError).toBeFalsy();
    const run = readLog(sandbox.log).at(-1)!;
    expect(run.cwd).toBe(join(sandbox.project, 'src'));
    expect(run.stdin).toContain('index.ts');
    expect(run.stdin).not.toContain(sandbox.dir);
  });
});

describe('secrets in input', () => {
  const token = 'ghp_Zq8xLm2Rt7Vb4Nc8Hj5Ws1Ya6Ed0UkP3oA9f';

  it('redacts debate topics and positions before either debater sees them', async () => {
    const { client } = await connect();
    const result = await call(client, 'roast_cli_debate', {
      topic: `Rotate ${token} now?`,
      proPosition: 'Yes',
      conPosition: `No, keep password=hunter2x9 forever`,
      agents: ['claude', 'codex'],
    });
    expect(result.isError).toBeFalsy();
    const runs = readLog(sandbox.log).filter((l) => l.stdin.includes('Rotate'));
    expect(runs).toHaveLength(2);
    for (const run of runs) {
      expect(run.stdin).not.toContain(token);
      expect(run.stdin).not.toContain('hunter2x9');
    }
    expect((result.structuredContent as { redactedInput: unknown }).redactedInput).toEqual({
      secrets: 2,
      envValues: 0,
    });
  });

  it('sends input as it is when redactInputSecrets is off, and reports nothing redacted', async () => {
    const { client } = await connect({ redactInputSecrets: false });
    const result = await call(client, 'roast', { domain: 'idea', context: `deploy with ${token}` });
    expect(result.isError).toBeFalsy();
    expect(readLog(sandbox.log).at(-1)!.stdin).toContain(token);
    expect((result.structuredContent as { redactedInput: unknown }).redactedInput).toEqual({
      secrets: 0,
      envValues: 0,
    });
  });
});

describe('critic selection', () => {
  it('fails with NO_CRITIC_AVAILABLE when no critic is installed', async () => {
    const missing = join(sandbox.dir, 'nope');
    const { client } = await connect({ claudeBin: missing, codexBin: missing, geminiBin: missing });
    expect(codeOf(await call(client, 'roast', { domain: 'idea', context: 'x' }))).toBe('NO_CRITIC_AVAILABLE');
    const roster = await call(client, 'cli_agent_roster', {});
    expect(text(roster)).toContain('CLI_NOT_FOUND');
  });

  it('the roster says which installed critics are logged in, with the fix for the others', async () => {
    const { client } = await connect(
      { geminiBin: join(sandbox.dir, 'nope') },
      { env: envFor({ FAKE_CLI_LOGIN: 'none', CODEX_API_KEY: 'k' }) },
    );
    const roster = await call(client, 'cli_agent_roster', {});
    const { critics } = roster.structuredContent as {
      critics: Array<{ critic: string; login: { loggedIn: boolean | null; method: string | null } | null }>;
    };
    expect(critics.map((c) => [c.critic, c.login?.loggedIn ?? null, c.login?.method ?? null])).toEqual([
      ['claude', false, null],
      ['codex', true, 'API key (CODEX_API_KEY)'],
      ['gemini', null, null],
      // agy has no status command: no ~/.gemini/antigravity-cli folder is a missing sign-in.
      ['agy', false, null],
    ]);
    expect(text(roster)).toContain('| claude | yes | 2.1.197 | no: run `claude auth login`');
    expect(text(roster)).toContain('| codex | yes | 0.169.0 | yes (API key (CODEX_API_KEY)) |');
    expect(text(roster)).toMatch(/\| gemini \| no \| - \| - \|/);
  });

  it('fails with CLI_NOT_FOUND when the one pinned critic is missing, and skips missing ones among several', async () => {
    const { client } = await connect({ geminiBin: join(sandbox.dir, 'nope') });
    expect(codeOf(await call(client, 'roast', { domain: 'idea', context: 'x', clis: ['gemini'] }))).toBe(
      'CLI_NOT_FOUND',
    );
    const some = await call(client, 'roast', { domain: 'idea', context: 'x', clis: ['gemini', 'codex'] });
    expect(some.isError).toBeFalsy();
    expect(meta(some).skipped).toEqual([{ critic: 'gemini', code: 'CLI_NOT_FOUND' }]);
    expect(text(some)).toContain('Skipped gemini');
  });

  it('falls back along the preference order to the first available critic', async () => {
    const { client } = await connect({
      claudeBin: join(sandbox.dir, 'nope'),
      criticPreference: ['claude', 'gemini', 'codex'],
    });
    const result = await call(client, 'roast', { domain: 'idea', context: 'x' });
    expect(meta(result).critics.map((c) => c.critic)).toEqual(['gemini']);
  });

  it('keeps the successful critique when one of two critics fails', async () => {
    // A codex that answers the version probe but fails every run.
    const broken = join(sandbox.dir, 'broken-codex');
    writeFileSync(
      broken,
      '#!/bin/sh\n[ "$1" = "--version" ] && echo "codex-cli 0.169.0" && exit 0\necho boom >&2\nexit 7\n',
      {
        mode: 0o755,
      },
    );
    const { client } = await connect({ codexBin: broken });
    const result = await call(client, 'roast', { domain: 'idea', context: 'x', clis: ['claude', 'codex'] });
    expect(result.isError).toBeFalsy();
    expect(meta(result).critics.map((c) => [c.critic, c.ok, c.error?.code ?? null])).toEqual([
      ['claude', true, null],
      ['codex', false, 'CLI_FAILED'],
    ]);
    expect(text(result)).toContain('## codex · failed: CLI_FAILED');
    expect(
      meta(await call(client, 'roast', { domain: 'idea', context: 'x', clis: ['claude', 'codex'] })).cached,
    ).toBe(false);
    const failing = await call(client, 'roast', {
      domain: 'idea',
      context: 'x\n@@fake exit_code=3',
      clis: ['claude', 'codex'],
    });
    expect(codeOf(failing)).toBe('CLI_FAILED');
    expect((failing.structuredContent as { error: { data: { codes: string[] } } }).error.data.codes).toEqual([
      'claude:CLI_FAILED',
      'codex:CLI_FAILED',
    ]);
  });

  it('reports an untrusted gemini folder as WORKSPACE_UNTRUSTED, and runs there once trust is configured', async () => {
    const args = { domain: 'idea', context: 'x\n@@fake untrusted=1', clis: ['gemini'] };
    const strict = await connect();
    expect(codeOf(await call(strict.client, 'roast', args))).toBe('WORKSPACE_UNTRUSTED');
    const trusting = await connect({ geminiTrustWorkspace: true });
    expect((await call(trusting.client, 'roast', args)).isError).toBeFalsy();
    expect(readLog(sandbox.log).at(-1)!.env.GEMINI_CLI_TRUST_WORKSPACE).toBe('true');
  });

  it('refuses nested critiques when started by a critic', async () => {
    const { client } = await connect({}, { env: envFor({ BRUTALIST_CRITIC_DEPTH: '1' }) });
    expect(codeOf(await call(client, 'roast', { domain: 'idea', context: 'x' }))).toBe('RECURSION_BLOCKED');
  });

  it('rejects more critics than maxParallelCritics', async () => {
    const { client } = await connect({ maxParallelCritics: 1 });
    expect(
      codeOf(await call(client, 'roast', { domain: 'idea', context: 'x', clis: ['claude', 'codex'] })),
    ).toBe('INVALID_ARGUMENT');
  });
});

describe('cache and single-flight', () => {
  it('runs the critic once for two identical concurrent requests', async () => {
    const { client } = await connect();
    const args = { domain: 'idea', context: 'shared\n@@fake delay_ms=300', clis: ['claude'] };
    const [a, b] = await Promise.all([call(client, 'roast', args), call(client, 'roast', args)]);
    expect(a.isError || b.isError).toBeFalsy();
    expect(readLog(sandbox.log).filter((l) => l.stdin.includes('shared')).length).toBe(1);
    expect(meta(a).contextId).not.toBe(meta(b).contextId);
  });

  it('keeps a shared run alive when only one of its callers cancels', async () => {
    const { client } = await connect();
    const args = { domain: 'idea', context: 'shared-cancel\n@@fake delay_ms=600', clis: ['claude'] };
    const controller = new AbortController();
    const cancelled = client
      .callTool({ name: 'roast', arguments: args }, undefined, { signal: controller.signal })
      .catch((e: unknown) => e);
    const kept = call(client, 'roast', args);
    await waitFor(() => readLog(sandbox.log).some((l) => l.stdin.includes('shared-cancel')), 5_000);
    controller.abort();
    await cancelled;
    const result = await kept;
    expect(result.isError).toBeFalsy();
    expect(text(result)).toContain('FAKE-CLAUDE CRITIQUE');
  });

  it('returns and pages a critique larger than the cache entry limit without caching it', async () => {
    const { client } = await connect({ cacheMaxEntryBytes: 4_096, pageChars: 10_000 });
    const args = { domain: 'idea', context: 'big\n@@fake spew_bytes=50000', clis: ['gemini'] };
    const first = await call(client, 'roast', args);
    expect(first.isError).toBeFalsy();
    expect(meta(first).page.totalChars).toBeGreaterThan(50_000);
    const second = await call(client, 'roast', args);
    expect(meta(second).cached).toBe(false);
  });

  it('marks an output-capped critique as truncated and never caches it', async () => {
    const { client } = await connect({ maxOutputBytes: 65_536 });
    const args = { domain: 'idea', context: 'huge\n@@fake spew_bytes=400000', clis: ['codex'] };
    const first = await call(client, 'roast', args);
    expect(first.isError).toBeFalsy();
    expect(meta(first).critics[0]!.truncated).toBe(true);
    expect(text(first)).toContain('Truncated');
    expect(meta(await call(client, 'roast', args)).cached).toBe(false);
  });

  it('adds run details when verbose', async () => {
    const { client } = await connect();
    const result = await call(client, 'roast', {
      domain: 'idea',
      context: 'x',
      verbose: true,
      clis: ['claude'],
    });
    expect(text(result)).toMatch(/argv: `-p --output-format stream-json/);
    expect(text(result)).toContain('prompt sha256');
  });
});

describe('ownership of results', () => {
  it("never serves one caller's context ids, cursors or conversations to another", async () => {
    const alice = await connect({ pageChars: 5_000 }, { owner: 'alice' });
    const bob = await connect({}, { owner: 'bob', app: alice.app });
    const result = await call(alice.client, 'roast', {
      domain: 'idea',
      context: 'x\n@@fake spew_bytes=20000',
    });
    const { contextId, page } = meta(result);
    expect(codeOf(await call(bob.client, 'roast', { domain: 'idea', context_id: contextId }))).toBe(
      'CONTEXT_NOT_FOUND',
    );
    expect(codeOf(await call(bob.client, 'roast', { domain: 'idea', cursor: page.nextCursor }))).toBe(
      'INVALID_CURSOR',
    );
    expect(
      codeOf(
        await call(bob.client, 'roast', {
          domain: 'idea',
          context_id: contextId,
          resume: true,
          context: 'more',
        }),
      ),
    ).toBe('CONTEXT_NOT_FOUND');
    expect(
      (await call(alice.client, 'roast', { domain: 'idea', cursor: page.nextCursor })).isError,
    ).toBeFalsy();
  });

  it('rejects resume without a context id or a follow-up, and offset without a context id', async () => {
    const { client } = await connect();
    expect(codeOf(await call(client, 'roast', { domain: 'idea', resume: true, context: 'x' }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(
      codeOf(await call(client, 'roast', { domain: 'idea', resume: true, context_id: 'abcdefgh1234' })),
    ).toBe('INVALID_ARGUMENT');
    expect(codeOf(await call(client, 'roast', { domain: 'idea', context: 'x', offset: 10 }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(codeOf(await call(client, 'roast', { domain: 'idea', context_id: 'bad id!' }))).toBe(
      'CONTEXT_NOT_FOUND',
    );
  });
});

describe('debate', () => {
  it('lets the only available critic argue both sides, and says so', async () => {
    const missing = join(sandbox.dir, 'nope');
    const { client } = await connect({ codexBin: missing, geminiBin: missing });
    const result = await call(client, 'roast_cli_debate', { topic: 't', proPosition: 'a', conPosition: 'b' });
    expect(result.isError).toBeFalsy();
    expect(meta(result).notes[0]).toMatch(/Only claude is available/);
  });

  it('fails with the missing critic code when a named agent is not installed', async () => {
    const { client } = await connect({ codexBin: join(sandbox.dir, 'nope') });
    const result = await call(client, 'roast_cli_debate', {
      topic: 't',
      proPosition: 'a',
      conPosition: 'b',
      agents: ['claude', 'codex'],
    });
    expect(codeOf(result)).toBe('CLI_NOT_FOUND');
  });

  it('surfaces a failing turn as the tool error', async () => {
    const { client } = await connect();
    const result = await call(client, 'roast_cli_debate', {
      topic: 't',
      proPosition: 'a',
      conPosition: 'b',
      context: '@@fake error=quota',
      agents: ['claude', 'gemini'],
    });
    expect(result.isError).toBe(true);
  });
});

describe('shutdown', () => {
  it('kills running critics and ends their calls', async () => {
    const pidfile = join(sandbox.dir, 'gc.pid');
    const { client, app } = await connect();
    const pending = call(client, 'roast', {
      domain: 'idea',
      context: `x\n@@fake hang=1\n@@fake grandchild=1\n@@fake pidfile=${pidfile}`,
      clis: ['codex'],
    });
    expect(await waitFor(() => existsSync(pidfile) && readFileSync(pidfile, 'utf8').length > 0, 10_000)).toBe(
      true,
    );
    const grandchild = Number(readFileSync(pidfile, 'utf8'));
    expect(activeProcessGroups()).toBe(1);
    await app.shutdown();
    const result = await pending;
    expect(codeOf(result)).toBe('CANCELLED');
    expect(isAlive(grandchild)).toBe(false);
    expect(activeProcessGroups()).toBe(0);
  });
});
