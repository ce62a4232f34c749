// Real binaries, hardening: the whole server runs under strace while the three real critics review a target
// repository. The CLIs write nothing outside their temp HOME/TMPDIR and nothing in the target; the read-only
// flags really reach the CLIs (argv) and the model (the tools and sandbox each CLI declared in its request).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CLAUDE_READ_TOOLS } from '../../src/critics/index.js';
import {
  callTool,
  connectRealServer,
  errorOf,
  INSTALL_TIMEOUT_MS,
  makeRealSandbox,
  processTable,
  REAL_TEST_TIMEOUT_MS,
  type RealSandbox,
  type RealServer,
  realServerEnv,
  requireRealClis,
  type Structured,
  structuredOf,
  treeHash,
  waitUntil,
} from '../support/real-clis.js';
import { type RecordedRequest, StubModelServer } from '../support/stub-model/index.js';
import {
  readTrace,
  requireStrace,
  straceArgs,
  type TracedWrite,
  writesOutside,
} from '../support/write-trace.js';

// Real CLIs on a busy 2-core machine: generous per-test limits; our own deadlines are what the tests check.
vi.setConfig({ testTimeout: REAL_TEST_TIMEOUT_MS });

const MARK = `HARDEN-${process.pid}`;
let stub: StubModelServer;
let sandbox: RealSandbox;
let server: RealServer;
let traceDir: string;
let hashBefore: string;
let hashAfter: string;
let result: Structured;
let writes: TracedWrite[];

beforeAll(async () => {
  requireStrace();
  const bins = await requireRealClis();
  stub = await StubModelServer.start();
  sandbox = makeRealSandbox();
  traceDir = join(sandbox.dir, 'trace');
  mkdirSync(traceDir);
  hashBefore = treeHash(sandbox.project);
  server = await connectRealServer(realServerEnv(sandbox, bins, stub), sandbox.project, {
    command: 'strace',
    args: straceArgs(join(traceDir, 'w')),
  });
  const response = await callTool(server.client, 'roast', {
    domain: 'codebase',
    target: '.',
    context: `Review it. ${MARK}`,
    clis: ['claude', 'codex', 'gemini'],
    // argv is in structuredContent only with verbose.
    verbose: true,
  });
  expect(errorOf(response)).toBeUndefined();
  result = structuredOf(response);
  const strace = server.pid;
  await server.close();
  // strace flushes its per-process files when the traced server has exited.
  await waitUntil(() => !processTable().has(strace), 10_000);
  hashAfter = treeHash(sandbox.project);
  writes = readTrace(traceDir, 'w');
}, INSTALL_TIMEOUT_MS);

afterAll(async () => {
  await stub?.close();
  sandbox?.cleanup();
});

const requestOf = (api: RecordedRequest['api']) =>
  stub.requestsWith(MARK).find((r) => r.api === api && r.stream)!;
const argvOf = (critic: string) => result.critics.find((c) => c.critic === critic)!.argv ?? [];

describe('what the critic CLIs write', () => {
  it('sees the writes at all (the trace works): each CLI keeps its state under the temp HOME', () => {
    expect(writes.some((w) => w.path.startsWith(`${sandbox.home}/.claude`))).toBe(true);
    expect(writes.some((w) => w.path.startsWith(sandbox.codexHome))).toBe(true);
    expect(writes.some((w) => w.path.startsWith(`${sandbox.home}/.gemini`))).toBe(true);
  });

  it('writes nothing outside the temp HOME and TMPDIR', () => {
    const outside = writesOutside(writes, [sandbox.home, sandbox.tmp]).map((w) => `${w.syscall} ${w.path}`);
    expect(outside).toEqual([]);
  });

  it('leaves the target repository byte-for-byte unchanged', () => {
    expect(hashAfter).toBe(hashBefore);
    expect(writes.filter((w) => w.path.startsWith(sandbox.project))).toEqual([]);
  });
});

describe('the read-only flags reach the CLIs', () => {
  it('all three critics answered', () => {
    expect(result.critics.map((c) => [c.critic, c.ok])).toEqual([
      ['claude', true],
      ['codex', true],
      ['gemini', true],
    ]);
  });

  it('never passes a permission-bypass flag', () => {
    for (const critic of ['claude', 'codex', 'gemini']) {
      expect(argvOf(critic).join(' ')).not.toMatch(/dangerously|skip-permissions|yolo|bypass|full-access/);
    }
  });

  it('claude: only Read, Glob and Grep were offered to the model', () => {
    const argv = argvOf('claude');
    expect(argv[argv.indexOf('--tools') + 1]).toBe(CLAUDE_READ_TOOLS);
    const body = requestOf('anthropic').body as { tools?: Array<{ name: string }> };
    expect((body.tools ?? []).map((t) => t.name).sort()).toEqual(['Glob', 'Grep', 'Read']);
  });

  it('codex: the model was told the sandbox is read-only and approvals are off', () => {
    const argv = argvOf('codex');
    expect(argv[argv.indexOf('--sandbox') + 1]).toBe('read-only');
    const body = JSON.stringify(requestOf('openai').body);
    expect(body).toContain('`sandbox_mode` is `read-only`');
    expect(body).toContain('Approval policy is currently never');
  });

  it('gemini: approval mode default in headless mode offers no write, shell or fetch tool', () => {
    const argv = argvOf('gemini');
    expect(argv[argv.indexOf('--approval-mode') + 1]).toBe('default');
    const body = requestOf('gemini').body as {
      tools?: Array<{ functionDeclarations?: Array<{ name: string }> }>;
    };
    const names = (body.tools ?? []).flatMap((t) => (t.functionDeclarations ?? []).map((f) => f.name));
    expect(names).toEqual(expect.arrayContaining(['read_file', 'list_directory']));
    for (const forbidden of ['write_file', 'replace', 'run_shell_command', 'web_fetch', 'save_memory']) {
      expect(names).not.toContain(forbidden);
    }
  });
});
