import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeBin, makeSandbox, readLog } from '../support/harness.js';

// The fake CLIs are test infrastructure other suites rely on: their contract is pinned here.
describe('fake critic CLIs', () => {
  let box: ReturnType<typeof makeSandbox>;
  beforeEach(() => {
    box = makeSandbox('brutalist-critics-');
  });
  afterEach(() => box.cleanup());

  const sh = (name: string, args: string[], input = '', env: Record<string, string> = {}) => {
    const r = spawnSync(fakeBin(name), args, {
      input,
      cwd: box.target,
      env: { PATH: process.env.PATH ?? '', HOME: box.home, ...env },
      encoding: 'utf8',
      timeout: 20_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const lines = (s: string) =>
    s
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  it('print their versions in the real shapes', () => {
    expect(sh('claude', ['--version']).stdout).toBe('2.1.197 (Claude Code)\n');
    expect(sh('codex', ['--version']).stdout).toBe('codex-cli 0.169.0\n');
    expect(sh('gemini', ['--version']).stdout).toBe('0.61.0\n');
    expect(sh('gemini', ['--version'], '', { FAKE_CLI_VERSION: '1.2.3' }).stdout).toBe('1.2.3\n');
  });

  it.each([
    ['claude', ['-p', '--no-such-flag'], /unknown option '--no-such-flag'[\s\S]*Usage: claude/],
    [
      'codex',
      ['exec', '--no-such-flag', '-'],
      /unexpected argument '--no-such-flag'[\s\S]*Usage: codex exec/,
    ],
    ['gemini', ['--no-such-flag', '-p', ''], /Usage: gemini[\s\S]*Unknown argument: no-such-flag/],
  ])('%s rejects unknown flags with exit 2 and a usage line', (name, args, message) => {
    const r = sh(name, args, 'prompt');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('claude requires --verbose for stream-json, like the real one', () => {
    const r = sh('claude', ['-p', '--output-format', 'stream-json'], 'prompt');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('requires --verbose');
  });

  it('claude prints system/init, assistant and result events in stream-json', () => {
    const r = sh('claude', ['-p', '--output-format', 'stream-json', '--verbose', '--model', 'm-1'], 'hello');
    const events = lines(r.stdout);
    expect(events.map((e) => e.type)).toEqual(['system', 'assistant', 'result']);
    expect(events[2]).toMatchObject({ is_error: false, result: 'FAKE-CLAUDE CRITIQUE: 5 prompt chars' });
    expect(events[0]).toMatchObject({ subtype: 'init', model: 'm-1[1m]' });
  });

  it('codex prints only the final message without --json, and the JSONL events with it', () => {
    expect(sh('codex', ['exec', '-'], 'hello').stdout).toBe('FAKE-CODEX CRITIQUE: 5 prompt chars\n');
    const events = lines(sh('codex', ['exec', '--json', '-'], 'hello').stdout);
    expect(events.map((e) => e.type)).toEqual([
      'thread.started',
      'item.completed',
      'turn.started',
      'item.completed',
      'turn.completed',
    ]);
  });

  it('gemini appends -p to the stdin prompt and prints -o json as one object', () => {
    const r = sh('gemini', ['-o', 'json', '-p', 'tail'], 'head');
    expect(JSON.parse(r.stdout)).toMatchObject({
      response: `FAKE-GEMINI CRITIQUE: ${'head\n\ntail'.length} prompt chars`,
    });
    expect(sh('gemini', ['-o', 'text', '--yolo', '--approval-mode', 'plan', '-p', ''], 'x').code).toBe(1);
  });

  it('lets prompt directives override env knobs, the later directive winning', () => {
    const r = sh('claude', ['-p'], 'x\n@@fake text=first\n@@fake text=second\n', {
      FAKE_CLI_TEXT: 'from-env',
    });
    expect(r.stdout).toBe('second\n');
    expect(sh('claude', ['-p'], 'x', { FAKE_CLI_TEXT: 'from-env' }).stdout).toBe('from-env\n');
  });

  it('reports errors the vendor way: gemini auth exits 41, claude and codex exit 1 with structured events', () => {
    const gemini = sh('gemini', ['-o', 'stream-json', '-p', ''], 'x\n@@fake error=auth');
    expect(gemini.code).toBe(41);
    expect(lines(gemini.stdout)[0]).toMatchObject({ type: 'result', status: 'error' });
    const claude = sh('claude', ['-p', '--output-format', 'json'], 'x\n@@fake error=rate_limit');
    expect(claude.code).toBe(1);
    expect(lines(claude.stdout)[0]).toMatchObject({ is_error: true, api_error_status: 429 });
    const codex = sh('codex', ['exec', '--json', '-'], 'x\n@@fake error=model_not_found');
    expect(codex.code).toBe(1);
    expect(lines(codex.stdout).at(-1)).toMatchObject({ type: 'turn.failed' });
  });

  it('logs argv, env, stdin, cwd and pids, and dies mid-line on crash_after_bytes', () => {
    const r = sh('codex', ['exec', '--json', '-'], 'abc\n@@fake crash_after_bytes=100', {
      FAKE_CLI_LOG: box.log,
    });
    expect(r.code).toBeNull();
    expect(r.stdout.length).toBe(100);
    const [call] = readLog(box.log);
    expect(call).toMatchObject({
      argv: ['exec', '--json', '-'],
      stdin: 'abc\n@@fake crash_after_bytes=100',
      cwd: box.target,
    });
    expect(call?.env.FAKE_CLI_LOG).toBe(box.log);
  });
});
