import { describe, expect, it } from 'vitest';
import { codexAdapter } from '../../src/critics/index.js';
import type { ExitClass } from '../../src/process/types.js';
import { CODEX_JSON_OK, CODEX_STDERR, codexJsonError, exit, OK, runResult } from './critics-samples.js';

const jsonl = (...events: unknown[]) => `${events.map((e) => JSON.stringify(e)).join('\n')}\n`;
const agent = (text: string) => ({ type: 'item.completed', item: { id: 'i', type: 'agent_message', text } });

describe('codex adapter: invocation', () => {
  it('runs exec --json in the read-only sandbox with approvals off and reads the prompt from stdin', () => {
    const inv = codexAdapter.buildInvocation({ prompt: 'PROMPT-TEXT' }, undefined);
    expect(inv.args).toEqual([
      'exec',
      '--json',
      '--ephemeral',
      '--skip-git-repo-check',
      '--sandbox',
      'read-only',
      '--ignore-rules',
      '-c',
      'approval_policy="never"',
      '-',
    ]);
    expect(inv.stdin).toBe('PROMPT-TEXT');
    expect(inv.args.join(' ')).not.toMatch(/PROMPT-TEXT|danger|bypass|full-access/);
  });

  it('puts -m before the stdin marker when a model is given', () => {
    expect(codexAdapter.buildInvocation({ prompt: 'p' }, 'gpt-5.1-codex').args.slice(-3)).toEqual([
      '-m',
      'gpt-5.1-codex',
      '-',
    ]);
  });

  it('refuses a model that looks like an option', () => {
    expect(() =>
      codexAdapter.buildInvocation({ prompt: 'p' }, '--dangerously-bypass-approvals-and-sandbox'),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('parses "codex-cli 0.169.0"', () => {
    expect(codexAdapter.parseVersion('codex-cli 0.169.0\n')).toBe('0.169.0');
  });
});

describe('codex adapter: output parsing', () => {
  it('takes the agent message, ignores the harmless "Model metadata" error item and reads usage', () => {
    const parsed = codexAdapter.parseOutput(CODEX_JSON_OK);
    expect(parsed.text).toBe('STUB-CRITIQUE: the plan looks fine; add tests.');
    expect(parsed.error).toBeUndefined();
    expect(parsed.sessionId).toBe('01a21358-ab8e-75a1-8c2a-dc35b8ed4e87');
    expect(parsed.usage).toEqual({ inputTokens: 10, outputTokens: 5, cachedInputTokens: 2, totalTokens: 15 });
  });

  it("joins the last turn's agent messages with blank lines", () => {
    const stdout = jsonl(
      { type: 'turn.started' },
      agent('old turn'),
      { type: 'turn.completed', usage: {} },
      { type: 'turn.started' },
      agent('one'),
      agent('two'),
      { type: 'turn.completed', usage: {} },
    );
    expect(codexAdapter.parseOutput(stdout).text).toBe('one\n\ntwo');
  });

  it('keeps the complete messages of a truncated run and drops the cut line', () => {
    const stdout = `${jsonl({ type: 'turn.started' }, agent('kept'))}{"type":"item.completed","item":{"type":"agent_mes`;
    const parsed = codexAdapter.parseOutput(stdout);
    expect(parsed.text).toBe('kept');
    expect(parsed.error).toBeUndefined();
  });

  it('reports turn.failed as a structured error with the HTTP status from its message', () => {
    const parsed = codexAdapter.parseOutput(
      codexJsonError('unexpected status 401 Unauthorized: Missing bearer'),
    );
    expect(parsed.error).toEqual({
      message: 'unexpected status 401 Unauthorized: Missing bearer',
      status: 401,
    });
    expect(parsed.text).toBe('');
  });

  it('ignores an error event that a later turn.completed superseded (a retried stream error)', () => {
    const stdout = jsonl(
      { type: 'turn.started' },
      { type: 'error', message: 'Reconnecting... 1/5' },
      agent('fine'),
      { type: 'turn.completed', usage: {} },
    );
    const parsed = codexAdapter.parseOutput(stdout);
    expect(parsed.error).toBeUndefined();
    expect(parsed.text).toBe('fine');
  });

  it('reports an error event left standing at the end', () => {
    const stdout = jsonl({ type: 'turn.started' }, { type: 'error', message: 'stream disconnected' });
    expect(codexAdapter.parseOutput(stdout).error).toEqual({ message: 'stream disconnected' });
  });

  it('throws CLI_OUTPUT_INVALID for plain-text output', () => {
    expect(() => codexAdapter.parseOutput('STUB-CRITIQUE: plain\n')).toThrow(
      expect.objectContaining({ code: 'CLI_OUTPUT_INVALID' }),
    );
  });
});

describe('codex adapter: failure classification', () => {
  const cases: Array<[string, ExitClass, string, string, string | undefined]> = [
    ['a clean run (with the PATH warning on stderr)', OK, CODEX_JSON_OK, CODEX_STDERR, undefined],
    [
      'a critique whose prose says "rate limit 429 invalid api key"',
      OK,
      jsonl({ type: 'turn.started' }, agent('rate limit 429 invalid api key quota'), {
        type: 'turn.completed',
      }),
      '',
      undefined,
    ],
    [
      '401',
      exit(1),
      codexJsonError('unexpected status 401 Unauthorized: Missing bearer'),
      CODEX_STDERR,
      'AUTH_REQUIRED',
    ],
    ['invalid key', exit(1), codexJsonError('Incorrect API key provided: sk-***'), '', 'AUTH_REQUIRED'],
    ['not logged in (stderr)', exit(1), '', 'Error: Not logged in. Run `codex login`.', 'AUTH_REQUIRED'],
    [
      '429',
      exit(1),
      codexJsonError('exceeded retry limit, last status: 429 Too Many Requests'),
      '',
      'RATE_LIMITED',
    ],
    [
      'quota',
      exit(1),
      codexJsonError('Quota exceeded. Check your plan and billing details.'),
      '',
      'QUOTA_EXCEEDED',
    ],
    [
      'insufficient_quota with 429',
      exit(1),
      codexJsonError('unexpected status 429: {"error":{"code":"insufficient_quota"}}'),
      '',
      'QUOTA_EXCEEDED',
    ],
    [
      'unknown model',
      exit(1),
      codexJsonError(
        'unexpected status 404 Not Found: The model `gpt-9` does not exist or you do not have access to it.',
      ),
      '',
      'MODEL_NOT_FOUND',
    ],
    ['500', exit(1), codexJsonError('unexpected status 500 Internal Server Error'), '', 'CLI_FAILED'],
    [
      'exit 1 with only the model-metadata warning on stderr',
      exit(1),
      '',
      'warning: Model metadata for `gpt-5` not found. Defaulting to fallback metadata',
      'CLI_FAILED',
    ],
    ['turn.failed with exit 0', OK, codexJsonError('unexpected status 500'), '', 'CLI_FAILED'],
    ['clap usage error', exit(2), '', "error: unexpected argument '--foo' found", 'CLI_FAILED'],
    ['deadline (codex hangs when the API is down)', { kind: 'timeout' }, '', '', 'CLI_TIMEOUT'],
    ['killed', { kind: 'signal', signal: 'SIGKILL' }, '', '', 'CLI_KILLED'],
  ];
  it.each(cases)('%s → %s', (_name, exitClass, stdout, stderr, expected) => {
    let parsed: ReturnType<typeof codexAdapter.parseOutput> | undefined;
    try {
      parsed = codexAdapter.parseOutput(stdout);
    } catch {
      parsed = undefined;
    }
    expect(codexAdapter.classifyFailure(runResult(exitClass, stdout, stderr), parsed)).toBe(expected);
  });
});

describe('codex adapter: odd events', () => {
  it('ignores lines without a type and error items without a message', () => {
    const stdout = jsonl(
      { thread_id: 'x' },
      { type: 'turn.started' },
      { type: 'item.completed', item: { type: 'error' } },
      agent('ok'),
    );
    const parsed = codexAdapter.parseOutput(stdout);
    expect(parsed.text).toBe('ok');
    expect(parsed.error).toBeUndefined();
  });

  it('keeps the last usage when a later turn.completed reports none', () => {
    const usage = { input_tokens: 5, cached_input_tokens: 0, output_tokens: 2 };
    const stdout = jsonl(
      { type: 'turn.started' },
      agent('first'),
      { type: 'turn.completed', usage },
      { type: 'turn.started' },
      agent('second'),
      { type: 'turn.completed' },
    );
    const parsed = codexAdapter.parseOutput(stdout);
    expect(parsed.text).toBe('second');
    expect(parsed.usage?.inputTokens).toBe(5);
  });

  it('says "turn failed" and "error" when the failure events carry no message', () => {
    const failed = jsonl({ type: 'turn.started' }, { type: 'turn.failed', error: {} });
    expect(codexAdapter.parseOutput(failed).error?.message).toBe('turn failed');
    const errored = jsonl({ type: 'turn.started' }, { type: 'error' });
    expect(codexAdapter.parseOutput(errored).error?.message).toBe('error');
  });
});

describe('codex adapter: login, progress and paths', () => {
  const status = (exitCode: number, stdout: string, stderr = '', env: Record<string, string> = {}) =>
    codexAdapter.login.interpret?.({ exitCode, stdout, stderr }, env);

  it('names the login method codex prints, a saved API key, or just "logged in"', () => {
    expect(status(0, 'Logged in using ChatGPT\n')).toEqual({ loggedIn: true, method: 'ChatGPT', fix: null });
    expect(status(0, '', 'API key configured\n')).toMatchObject({
      loggedIn: true,
      method: 'API key (saved by codex login)',
    });
    expect(status(0, 'ok')).toMatchObject({ loggedIn: true, method: 'logged in' });
  });

  it('counts CODEX_API_KEY from the env when codex says it is not logged in, and an empty one not at all', () => {
    expect(status(1, '', 'Not logged in', { CODEX_API_KEY: 'k' })).toMatchObject({
      loggedIn: true,
      method: 'API key (CODEX_API_KEY)',
    });
    expect(status(1, '', 'Not logged in', { CODEX_API_KEY: '' })).toMatchObject({ loggedIn: false });
  });

  it('reads agent text and started tools from stream lines, skipping reasoning and lines without an item', () => {
    const extract = (line: Record<string, unknown>) => codexAdapter.progress.extract('codex', line);
    expect(extract({ type: 'item.completed', item: { type: 'agent_message', text: 'abc' } })).toEqual([
      { kind: 'text', critic: 'codex', chars: 3 },
    ]);
    expect(extract({ type: 'item.completed', item: { type: 'agent_message' } })).toEqual([
      { kind: 'text', critic: 'codex', chars: 0 },
    ]);
    expect(extract({ type: 'item.started', item: { type: 'command_execution' } })).toEqual([
      { kind: 'tool', critic: 'codex', name: 'command_execution' },
    ]);
    expect(extract({ type: 'item.started', item: { type: 'reasoning' } })).toEqual([]);
    expect(extract({ type: 'item.started', item: { type: 7 } })).toEqual([]);
    expect(extract({ type: 'turn.started' })).toEqual([]);
  });

  it('shows CODEX_HOME (else ~/.codex) writable, and nothing without HOME', () => {
    expect(codexAdapter.configPaths({ HOME: '/home/u' })).toEqual({
      writable: ['/home/u/.codex'],
      readOnly: [],
    });
    expect(codexAdapter.configPaths({ HOME: '/home/u', CODEX_HOME: '/srv/codex' })).toEqual({
      writable: ['/srv/codex'],
      readOnly: [],
    });
    expect(codexAdapter.configPaths({})).toEqual({ writable: [], readOnly: [] });
  });
});
