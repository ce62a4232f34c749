// End to end: the built server as a child process, driven by the MCP SDK client over stdio, fake critics underneath.
import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { isAlive, readLog, waitFor } from '../support/harness.js';
import { sharedStdioServer } from '../support/shared-server.js';

const server = sharedStdioServer('brutalist-e2e-', { BRUTALIST_PAGE_CHARS: '20000' });

async function call(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await server.client.callTool({ name, arguments: args })) as CallToolResult;
}

function text(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
}

function errorOf(result: CallToolResult): { code: string; message: string; data: Record<string, unknown> } {
  expect(result.isError).toBe(true);
  return (
    result.structuredContent as { error: { code: string; message: string; data: Record<string, unknown> } }
  ).error;
}

type Structured = {
  contextId: string;
  page: { offset: number; nextOffset: number | null; totalChars: number; nextCursor: string | null };
  critics: Array<{
    critic: string;
    ok: boolean;
    model: string | null;
    cliVersion: string | null;
    exitClass: string;
  }>;
  cached: boolean;
};
const structured = (r: CallToolResult) => r.structuredContent as unknown as Structured;

describe('tools/list', () => {
  it('lists the four tools and the admin slo_report with input schemas and read-only annotations', async () => {
    const { tools } = await server.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'brutalist_discover',
      'cli_agent_roster',
      'roast',
      'roast_cli_debate',
      'slo_report',
    ]);
    const roast = tools.find((t) => t.name === 'roast')!;
    // Nothing is required by the schema: a follow-up (cursor, context_id) has no domain; the engine asks for it.
    expect(roast.inputSchema.required).toBeUndefined();
    expect(roast.outputSchema?.required).toEqual(['text', 'status']);
    expect(Object.keys(roast.inputSchema.properties ?? {})).toEqual(
      expect.arrayContaining([
        'domain',
        'target',
        'context',
        'clis',
        'models',
        'cursor',
        'context_id',
        'cancel',
        'resume',
        'commitRange',
      ]),
    );
    expect(roast.annotations?.readOnlyHint).toBe(true);
  });
});

describe('roast', () => {
  it.each(['claude', 'codex', 'gemini'])(
    'returns a critique from %s over the real adapter path',
    async (cli) => {
      const result = await call('roast', {
        domain: 'codebase',
        target: '.',
        clis: [cli],
        force_refresh: true,
        verbose: true,
      });
      expect(result.isError).toBeFalsy();
      expect(text(result)).toContain(`FAKE-${cli.toUpperCase()} CRITIQUE`);
      const s = structured(result);
      expect(s.critics).toHaveLength(1);
      expect(s.critics[0]).toMatchObject({ critic: cli, ok: true, exitClass: 'ok' });
      expect(s.critics[0]!.cliVersion).toMatch(/^\d+\.\d+\.\d+$/);
      expect(s.contextId).toMatch(/^[0-9a-f-]{36}$/);
    },
  );

  it('runs one critic by default and several in parallel only when asked', async () => {
    const single = await call('roast', {
      domain: 'idea',
      context: 'A to-do app for cats',
      force_refresh: true,
    });
    expect(structured(single).critics.map((c) => c.critic)).toEqual(['claude']);
    const both = await call('roast', {
      domain: 'idea',
      context: 'A to-do app for cats',
      clis: ['claude', 'codex'],
    });
    expect(structured(both).critics.map((c) => c.critic)).toEqual(['claude', 'codex']);
    expect(text(both)).toContain('## claude');
    expect(text(both)).toContain('## codex');
  });

  it('sends the prompt on stdin only, with the hardening flags and a scrubbed env', async () => {
    const marker = `stdin-marker-${Date.now()}`;
    await call('roast', {
      domain: 'security',
      context: `Review this: ${marker}`,
      clis: ['claude', 'codex', 'gemini'],
    });
    const runs = readLog(server.sandbox.log).filter((l) => l.stdin.includes(marker));
    expect(runs).toHaveLength(3);
    for (const run of runs) {
      expect(run.argv.join(' ')).not.toContain(marker);
      expect(run.argv.join(' ')).not.toMatch(/dangerously|yolo|danger-full-access|bypass/);
      expect(
        Object.keys(run.env).filter((k) => k.startsWith('BRUTALIST_') && k !== 'BRUTALIST_CRITIC_DEPTH'),
      ).toEqual([]);
      expect(run.env.BRUTALIST_CRITIC_DEPTH).toBe('1');
    }
    const argvOf = (bin: string) => runs.find((r) => r.argv.includes(bin) || r.argv[0] === bin)?.argv ?? [];
    expect(runs.some((r) => r.argv.includes('--disallowedTools'))).toBe(true);
    expect(runs.some((r) => r.argv.join(' ').includes('--sandbox read-only'))).toBe(true);
    expect(argvOf('exec')).toContain('-');
  });

  it('is served from cache for an identical request, and not after the target changes', async () => {
    const args = { domain: 'file_structure', target: 'src', clis: ['gemini'] };
    const first = await call('roast', args);
    const second = await call('roast', args);
    expect(structured(first).cached).toBe(false);
    expect(structured(second).cached).toBe(true);
    writeFileSync(join(server.sandbox.project, 'src', 'new.ts'), 'export {};\n');
    const third = await call('roast', args);
    expect(structured(third).cached).toBe(false);
    const refreshed = await call('roast', { ...args, force_refresh: true });
    expect(structured(refreshed).cached).toBe(false);
  });

  it('pages a long critique by characters and reassembles it exactly', async () => {
    const result = await call('roast', {
      domain: 'idea',
      context: 'Long one please\n@@fake spew_bytes=120000',
      clis: ['codex'],
    });
    const first = structured(result);
    expect(first.page.nextCursor).toMatch(/^c_/);
    expect(first.page.totalChars).toBeGreaterThan(120_000);
    const pages = [text(result).split('\n\n---\n')[0]!];
    let cursor = first.page.nextCursor;
    let count = 1;
    while (cursor) {
      const next = await call('roast', { domain: 'idea', cursor });
      expect(next.isError).toBeFalsy();
      pages.push(text(next).split('\n\n---\n')[0]!);
      cursor = structured(next).page.nextCursor;
      count++;
    }
    expect(count).toBeGreaterThanOrEqual(Math.ceil(first.page.totalChars / 20_000));
    expect(pages.join('').length).toBe(first.page.totalChars);
    const byOffset = await call('roast', {
      domain: 'idea',
      context_id: first.contextId,
      offset: first.page.nextOffset!,
    });
    expect(text(byOffset).startsWith(pages[1]!)).toBe(true);
  });

  it('continues a conversation with resume, replaying the earlier critique to the same critic', async () => {
    const first = await call('roast', {
      domain: 'product',
      context: 'Subscription box for socks',
      clis: ['gemini'],
    });
    const contextId = structured(first).contextId;
    const follow = await call('roast', {
      domain: 'product',
      context_id: contextId,
      resume: true,
      context: 'What about B2B?',
    });
    expect(follow.isError).toBeFalsy();
    expect(structured(follow).critics.map((c) => c.critic)).toEqual(['gemini']);
    const last = readLog(server.sandbox.log).at(-1)!;
    expect(last.stdin).toContain('Subscription box for socks');
    expect(last.stdin).toContain('FAKE-GEMINI CRITIQUE');
    expect(last.stdin).toContain('What about B2B?');
  });

  it('maps critic failures to their codes', async () => {
    const cases: Array<[string, string, string]> = [
      ['claude', 'auth', 'AUTH_REQUIRED'],
      ['codex', 'rate_limit', 'RATE_LIMITED'],
      ['gemini', 'server', 'CLI_FAILED'],
    ];
    for (const [cli, knob, code] of cases) {
      const result = await call('roast', { domain: 'idea', context: `x\n@@fake error=${knob}`, clis: [cli] });
      expect(errorOf(result).code).toBe(code);
    }
  });

  it('reports progress while a critic runs', async () => {
    const messages: string[] = [];
    const result = await server.client.callTool(
      {
        name: 'roast',
        arguments: { domain: 'idea', context: 'slow\n@@fake delay_ms=1200', clis: ['claude'] },
      },
      undefined,
      { onprogress: (p) => messages.push(String(p.message)), resetTimeoutOnProgress: true },
    );
    expect(result.isError).toBeFalsy();
    expect(messages.length).toBeGreaterThanOrEqual(1);
    expect(messages.at(-1)).toMatch(/^claude running: \d+\.\d KB \(\d+s elapsed\)$/);
  });

  it('kills the whole critic process group when the client cancels', async () => {
    const pidfile = join(server.sandbox.dir, 'grandchild.pid');
    const controller = new AbortController();
    const pending = server.client
      .callTool(
        {
          name: 'roast',
          arguments: {
            domain: 'idea',
            context: `hang\n@@fake hang=1\n@@fake grandchild=1\n@@fake pidfile=${pidfile}`,
            clis: ['claude'],
          },
        },
        undefined,
        { signal: controller.signal },
      )
      .catch((err: unknown) => err);
    expect(await waitFor(() => existsSync(pidfile) && readFileSync(pidfile, 'utf8').length > 0, 10_000)).toBe(
      true,
    );
    const grandchild = Number(readFileSync(pidfile, 'utf8'));
    const critic = readLog(server.sandbox.log).find((l) => l.stdin.includes(pidfile))!.pid;
    expect(isAlive(critic)).toBe(true);
    expect(isAlive(grandchild)).toBe(true);
    controller.abort();
    await pending;
    expect(await waitFor(() => !isAlive(critic) && !isAlive(grandchild), 2_000)).toBe(true);
  });
});

describe('bad inputs get their codes, without host paths', () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ domain: 'codebase', target: '../../etc' }, 'PATH_OUTSIDE_ROOT'],
    [{ domain: 'codebase', target: '/etc/passwd' }, 'PATH_OUTSIDE_ROOT'],
    [{ domain: 'codebase', target: 'missing-dir' }, 'PATH_NOT_FOUND'],
    [{ domain: 'codebase', target: 'a\u0000b' }, 'PATH_INVALID'],
    [{ domain: 'codebase' }, 'INVALID_ARGUMENT'],
    [{ domain: 'idea' }, 'INVALID_ARGUMENT'],
    [{ domain: 'astrology', context: 'x' }, 'INVALID_ARGUMENT'],
    [{ domain: 'idea', context: 'x', clis: ['grok'] }, 'ROUTED_CLIENT_INVALID'],
    [
      { domain: 'idea', context: 'x', models: { claude: '--dangerously-skip-permissions' } },
      'INVALID_ARGUMENT',
    ],
    [{ domain: 'idea', context: 'x'.repeat(200_001) }, 'INPUT_TOO_LARGE'],
    [{ domain: 'idea', cursor: 'c_forgedforgedforgedforged' }, 'INVALID_CURSOR'],
    [{ domain: 'idea', cursor: '../../etc/passwd' }, 'INVALID_CURSOR'],
    [{ domain: 'idea', context_id: '00000000-0000-0000-0000-000000000000' }, 'CONTEXT_NOT_FOUND'],
    [{ domain: 'idea', context: 'x', limit: 10 }, 'INVALID_ARGUMENT'],
    [{ domain: 'idea', context: 'x', unknownField: 1 }, 'INVALID_ARGUMENT'],
  ];
  it.each(cases.map(([args, code]) => [JSON.stringify(args).slice(0, 90), args, code] as const))(
    '%s → %s',
    async (_label, args, code) => {
      const result = await call('roast', args);
      const error = errorOf(result);
      expect(error.code).toBe(code);
      const all = JSON.stringify(result);
      expect(all).not.toContain(server.sandbox.dir);
      expect(all).not.toContain('/etc/passwd');
      expect(all).not.toMatch(/\n\s+at /);
    },
  );

  it('rejects a symlink that points outside the roots', async () => {
    symlinkSync('/etc', join(server.sandbox.project, 'escape'));
    expect(errorOf(await call('roast', { domain: 'codebase', target: 'escape' })).code).toBe(
      'PATH_OUTSIDE_ROOT',
    );
  });

  it('answers an unknown tool with INVALID_ARGUMENT', async () => {
    expect(errorOf(await call('roast_everything', {})).code).toBe('INVALID_ARGUMENT');
  });
});

describe('roast_cli_debate', () => {
  it('runs blind openings in parallel and then rebuttals with two critics', async () => {
    const result = await call('roast_cli_debate', {
      topic: 'Monorepo or polyrepo',
      proPosition: 'Monorepo',
      conPosition: 'Polyrepo',
      agents: ['claude', 'codex'],
      rounds: 2,
    });
    expect(result.isError).toBeFalsy();
    const s = structured(result);
    expect(s.critics.map((c) => c.critic).sort()).toEqual(['claude', 'claude', 'codex', 'codex']);
    expect(text(result)).toContain('FAKE-CLAUDE CRITIQUE');
    expect(text(result)).toContain('FAKE-CODEX CRITIQUE');
  });

  it('requires exactly two agents', async () => {
    const result = await call('roast_cli_debate', {
      topic: 't',
      proPosition: 'a',
      conPosition: 'b',
      agents: ['claude'],
    });
    expect(errorOf(result).code).toBe('INVALID_ARGUMENT');
  });
});

describe('brutalist_discover and cli_agent_roster', () => {
  it('suggests the security domain for an auth question', async () => {
    const result = await call('brutalist_discover', {
      intent: 'is my login flow safe from injection attacks?',
    });
    const { suggestions } = result.structuredContent as { suggestions: Array<{ domain: string }> };
    expect(suggestions[0]!.domain).toBe('security');
  });

  it('lists every critic with its version', async () => {
    const result = await call('cli_agent_roster', {});
    const { critics } = result.structuredContent as {
      critics: Array<{ critic: string; available: boolean; version: string }>;
    };
    expect(critics.map((c) => [c.critic, c.available])).toEqual([
      ['claude', true],
      ['codex', true],
      ['gemini', true],
      ['agy', true],
    ]);
    expect(critics.map((c) => c.version)).toEqual(['2.1.197', '0.169.0', '0.61.0', '1.0.5']);
  });
});
