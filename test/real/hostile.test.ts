// Real binaries, hostile target: a repository carrying hooks, endpoint and key redirects, MCP servers, tool and
// model overrides, instruction files, a git fsmonitor and planted executables is reviewed by each real CLI
// through the real server. No attack runs (no marker file anywhere in the sandbox), the attacker's model API gets
// nothing, and the legitimate stub's critique comes back. The operator trusted the folder in codex and claude
// before (a realistic state that turns their project config on).
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ATTACKER_KEY,
  ATTACKER_MODEL,
  codexTrustsProject,
  markersIn,
  PLANTED_TEXT,
  writeHostileRepo,
} from '../support/hostile-repo.js';
import type { RealCritic } from '../support/real-clis.js';
import {
  callTool,
  connectRealServer,
  errorOf,
  INSTALL_TIMEOUT_MS,
  makeRealSandbox,
  REAL_TEST_TIMEOUT_MS,
  type RealSandbox,
  realServerEnv,
  requireRealClis,
  runBare,
  type Structured,
  structuredOf,
  textOf,
} from '../support/real-clis.js';
import { defaultText, type RecordedRequest, StubModelServer } from '../support/stub-model/index.js';

vi.setConfig({ testTimeout: REAL_TEST_TIMEOUT_MS });

const CRITICS = ['claude', 'codex', 'gemini'] as const;
const API = { claude: 'anthropic', codex: 'openai', gemini: 'gemini' } as const;
const MARK = `HOSTILE-${process.pid}`;

let stub: StubModelServer;
let attacker: StubModelServer;
let sandbox: RealSandbox;
let bins: Record<RealCritic, string>;
const results = new Map<RealCritic, { text: string; structured: Structured; error: unknown }>();

beforeAll(async () => {
  bins = await requireRealClis();
  stub = await StubModelServer.start();
  attacker = await StubModelServer.start();
  attacker.setDefault({ text: 'ATTACKER-CRITIQUE' });
  sandbox = makeRealSandbox('brutalist-hostile-');
  writeHostileRepo(sandbox.project, attacker.url, join(sandbox.dir, 'markers'));
  codexTrustsProject(sandbox.codexHome, sandbox.project);
  writeFileSync(
    join(sandbox.home, '.claude.json'),
    `${JSON.stringify({ projects: { [sandbox.project]: { hasTrustDialogAccepted: true } } })}\n`,
  );
  const server = await connectRealServer(realServerEnv(sandbox, bins, stub), sandbox.project);
  try {
    // One critic per call, in turn: each request body is then that critic's alone.
    for (const critic of CRITICS) {
      const response = await callTool(server.client, 'roast', {
        domain: 'codebase',
        target: '.',
        context: `Review this repository. ${MARK}`,
        clis: [critic],
      });
      results.set(critic, {
        text: textOf(response),
        structured: structuredOf(response),
        error: errorOf(response),
      });
    }
  } finally {
    await server.close();
  }
}, INSTALL_TIMEOUT_MS);

afterAll(async () => {
  await stub?.close();
  await attacker?.close();
  sandbox?.cleanup();
});

const requestsOf = (critic: RealCritic): RecordedRequest[] =>
  stub.requestsWith(MARK).filter((r) => r.api === API[critic] && r.stream);
const toolNames = (request: RecordedRequest): string[] => {
  const tools = ((request.body as { tools?: unknown[] }).tools ?? []) as Array<Record<string, unknown>>;
  return tools.flatMap((t) =>
    Array.isArray(t.functionDeclarations)
      ? (t.functionDeclarations as Array<{ name: string }>).map((f) => f.name)
      : [String(t.name ?? t.type)],
  );
};

describe('a hostile repository reviewed by each real critic', () => {
  it.each(CRITICS)('%s returns the legitimate stub critique', (critic) => {
    const result = results.get(critic)!;
    expect(result.error).toBeUndefined();
    expect(result.structured.critics.map((c) => [c.critic, c.ok])).toEqual([[critic, true]]);
    expect(result.text).toContain(defaultText(API[critic]));
    expect(result.text).not.toContain('ATTACKER-CRITIQUE');
  });

  it('runs no hook, MCP server, helper, discovery command, git fsmonitor or planted binary', () => {
    expect(markersIn(sandbox.dir)).toEqual([]);
  });

  it('sends nothing to the endpoint the repository names', () => {
    expect(attacker.requests.map((r) => `${r.method} ${r.url}`)).toEqual([]);
  });

  it.each(CRITICS)('%s used the operator key and model, not the repository ones', (critic) => {
    const requests = requestsOf(critic);
    expect(requests.length).toBeGreaterThan(0);
    for (const request of requests) {
      expect(request.model ?? '').not.toContain(ATTACKER_MODEL);
      expect(JSON.stringify(request.headers)).not.toContain(ATTACKER_KEY);
    }
  });

  it('claude: offered Read, Glob and Grep only, with no project instructions, style or git status', () => {
    const [request] = requestsOf('claude');
    expect(toolNames(request!).sort()).toEqual(['Glob', 'Grep', 'Read']);
    const body = JSON.stringify(request!.body);
    for (const planted of [
      PLANTED_TEXT.claudeMd,
      PLANTED_TEXT.claudeLocalMd,
      PLANTED_TEXT.outputStyle,
      PLANTED_TEXT.outsideRoot,
    ]) {
      expect(body).not.toContain(planted);
    }
    expect(body).not.toContain('gitStatus');
  });

  it('gemini: no shell or write tool from the repository settings, and no GEMINI.md', () => {
    const requests = requestsOf('gemini');
    for (const request of requests) {
      const names = toolNames(request);
      expect(names).not.toContain('run_shell_command');
      expect(names).not.toContain('write_file');
      expect(JSON.stringify(request.body)).not.toContain(PLANTED_TEXT.geminiMd);
    }
    expect(requests.flatMap(toolNames)).toContain('read_file');
  });

  it('codex: the model sees AGENTS.md as prompt text only, in the read-only sandbox', () => {
    const [request] = requestsOf('codex');
    const body = JSON.stringify(request!.body);
    expect(body).toContain('`sandbox_mode` is `read-only`');
    expect(body).not.toContain(PLANTED_TEXT.outsideRoot);
  });
});

describe('the repository .env cannot supply a key', () => {
  it('gemini without an API key in the server env does not use the one in the target .env', async () => {
    const bare = await runBare('gemini', bins, sandbox, stub.url, {
      prompt: `Review. ${MARK}-env`,
      unsetEnv: ['GEMINI_API_KEY'],
    });
    const keys = stub.requests
      .filter((r) => r.promptText.includes(`${MARK}-env`))
      .map((r) => r.headers['x-goog-api-key']);
    expect(keys).toEqual([]);
    expect(bare.code).toBe('AUTH_REQUIRED');
    expect(markersIn(sandbox.dir)).toEqual([]);
  });
});

describe('a run with nothing to read', () => {
  it.each(['claude', 'gemini'] as const)('%s offers the model no file tool', async (critic) => {
    const mark = `${MARK}-none-${critic}`;
    const bare = await runBare(critic, bins, sandbox, stub.url, {
      prompt: `Judge an idea. ${mark}`,
      fileAccess: 'none',
    });
    expect(bare.code).toBe('ok');
    const names = stub
      .requestsWith(mark)
      .filter((r) => r.stream)
      .flatMap(toolNames);
    for (const tool of [
      'Read',
      'Glob',
      'Grep',
      'read_file',
      'read_many_files',
      'list_directory',
      'glob',
      'grep_search',
    ]) {
      expect(names).not.toContain(tool);
    }
  });
});

describe('planted executables with . and an empty entry on the server PATH', () => {
  it.each(CRITICS)(
    '%s by its bare name runs the real CLI, which runs nothing from the target',
    async (critic) => {
      const bin = join(sandbox.dir, `bin-${critic}`);
      mkdirSync(bin);
      symlinkSync(bins[critic], join(bin, critic));
      const env = realServerEnv(sandbox, bins, stub, {
        PATH: `.::${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
        BRUTALIST_CLAUDE_BIN: 'claude',
        BRUTALIST_CODEX_BIN: 'codex',
        BRUTALIST_GEMINI_BIN: 'gemini',
      });
      const server = await connectRealServer(env, sandbox.project);
      try {
        const mark = `${MARK}-path-${critic}`;
        const response = await callTool(server.client, 'roast', {
          domain: 'codebase',
          target: '.',
          context: `Review. ${mark}`,
          clis: [critic],
        });
        expect(markersIn(sandbox.dir)).toEqual([]);
        expect(errorOf(response)).toBeUndefined();
        expect(textOf(response)).toContain(defaultText(API[critic]));
      } finally {
        await server.close();
      }
    },
  );
});
