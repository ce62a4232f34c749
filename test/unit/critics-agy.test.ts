// The agy adapter without a process: argv and env, the prompt file, model labels, terminal text, refusals, logins.
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AGY_PROMPT_FILE, AGY_RESTRICTIVE_ARGS, agyAdapter, isIdeLauncher } from '../../src/critics/agy.js';
import { AgyTerminalText, durationMs } from '../../src/critics/agy-output.js';
import { ADAPTERS, DEFAULT_CRITIC_PREFERENCE } from '../../src/critics/index.js';
import type { RunResult } from '../../src/process/types.js';

const dir = mkdtempSync(join(tmpdir(), 'brutalist-agy-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ESC = '\u001b';
const okRun: RunResult = {
  exit: { kind: 'ok' },
  stdout: Buffer.alloc(0),
  stdoutBytes: 0,
  stderrTail: '',
  truncated: false,
  durationMs: 1,
  pid: 1,
};

function parse(chunks: readonly string[], maxAnswerBytes = 1 << 20) {
  const parser = agyAdapter.openParser({ maxAnswerBytes });
  for (const chunk of chunks) parser.push(Buffer.from(chunk, 'utf8'));
  return parser.finish();
}

function classify(chunks: readonly string[]) {
  const parsed = parse(chunks);
  return { parsed, code: agyAdapter.classifyFailure(okRun, parsed) };
}

describe('agy invocation', () => {
  it('runs in plan mode in its sandbox with slash commands off, never skipping permissions, the prompt in argv', () => {
    const inv = agyAdapter.buildInvocation({ prompt: 'Critique this.' }, undefined, {});
    expect(inv.args).toEqual([...AGY_RESTRICTIVE_ARGS, '--print', 'Critique this.']);
    expect(inv.args).not.toContain('--dangerously-skip-permissions');
    expect(inv.shownArgs).toEqual([...AGY_RESTRICTIVE_ARGS, '--print', '<prompt>']);
    expect(inv.stdin).toBe('');
    expect(inv.env).toMatchObject({ AGY_CLI_DISABLE_AUTO_UPDATE: '1', NO_COLOR: '1' });
  });

  it('passes a model label as one argv item and refuses one that could be read as an option', () => {
    const inv = agyAdapter.buildInvocation({ prompt: 'p' }, 'Gemini 3.5 Flash (Medium)', {});
    expect(inv.args.slice(inv.args.indexOf('--model'), inv.args.indexOf('--model') + 2)).toEqual([
      '--model',
      'Gemini 3.5 Flash (Medium)',
    ]);
    for (const bad of [
      '--dangerously-skip-permissions',
      ' Gemini',
      'Gemini  3',
      'Gemini 3 ',
      'a\nb',
      'x;y',
    ]) {
      expect(agyAdapter.acceptsModel(bad)).toBe(false);
      expect(() => agyAdapter.buildInvocation({ prompt: 'p' }, bad, {})).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    }
    expect(agyAdapter.acceptsModel('Claude Sonnet 4.6 (Thinking)')).toBe(true);
    // The other critics keep plain identifiers: a label is not a claude model.
    expect(ADAPTERS.claude.acceptsModel('Gemini 3.1 Pro (High)')).toBe(false);
  });

  it('never lets a prompt start like an option', () => {
    const inv = agyAdapter.buildInvocation({ prompt: '--mode accept-edits' }, undefined, {});
    expect(inv.args.at(-1)).toBe('\n--mode accept-edits');
  });

  it('puts a prompt longer than the argv bound in a 0600 file of the scratch folder, named in a short prompt', () => {
    const scratch = mkdtempSync(join(dir, 'scratch-'));
    const prompt = `Persona.\n${'x'.repeat(2_000)}`;
    const inv = agyAdapter.buildInvocation({ prompt }, undefined, {
      maxArgvPromptBytes: 1_024,
      scratchDir: () => scratch,
    });
    const file = join(scratch, AGY_PROMPT_FILE);
    expect(readFileSync(file, 'utf8')).toBe(prompt);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(inv.args).toEqual(expect.arrayContaining(['--add-dir', scratch]));
    const argvPrompt = inv.args.at(-1)!;
    expect(argvPrompt).toContain(file);
    expect(Buffer.byteLength(argvPrompt)).toBeLessThan(1_024);
    expect(inv.readOnlyPaths).toEqual([scratch]);
    expect(inv.shownArgs).not.toContain(scratch);
  });

  it('never writes through a file or symlink already in the scratch folder', () => {
    const scratch = mkdtempSync(join(dir, 'scratch-'));
    const elsewhere = join(dir, 'victim.txt');
    writeFileSync(elsewhere, 'untouched');
    symlinkSync(elsewhere, join(scratch, AGY_PROMPT_FILE));
    expect(() =>
      agyAdapter.buildInvocation({ prompt: 'y'.repeat(5_000) }, undefined, {
        maxArgvPromptBytes: 1_024,
        scratchDir: () => scratch,
      }),
    ).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(readFileSync(elsewhere, 'utf8')).toBe('untouched');
  });

  it("is left out of the default preference (plan mode is agy's promise, not one the server can check)", () => {
    expect(agyAdapter.readOnly).toBe(false);
    expect(DEFAULT_CRITIC_PREFERENCE).toEqual(['claude', 'codex', 'gemini']);
  });
});

describe('agy terminal output', () => {
  it('keeps the answer and drops colours, cursor moves and the spinner lines redrawn over \\r', () => {
    const out = [
      `${ESC}[?25l`,
      `\r${ESC}[2K${ESC}[36m⠋${ESC}[0m Thinking…`,
      `\r${ESC}[2K${ESC}[36m⠙${ESC}[0m Thinking…`,
      `\r${ESC}[2K${ESC}]0;agy${ESC}\\`,
      `${ESC}[1m## Findings\r\n\r\n- the cache never expires\r\n${ESC}[0m`,
      `${ESC}[?25h`,
    ];
    expect(parse(out)).toEqual({ text: '## Findings\n\n- the cache never expires' });
  });

  it('reads an escape sequence and a character cut between chunks, whatever the chunking', () => {
    const whole = `${ESC}[1mrésumé ✓ ${ESC}[38;5;208mdone${ESC}[0m\r\n`;
    const bytes = Buffer.from(whole, 'utf8');
    for (const size of [1, 2, 3, 5, 7]) {
      const parser = agyAdapter.openParser({ maxAnswerBytes: 1 << 20 });
      for (let i = 0; i < bytes.length; i += size) parser.push(bytes.subarray(i, i + size));
      expect(parser.finish().text).toBe('résumé ✓ done');
    }
  });

  it('says it is full past maxAnswerBytes and returns the answer cut to it', () => {
    const parser = new AgyTerminalText({ maxAnswerBytes: 100 });
    expect(parser.push(Buffer.from('a'.repeat(90)))).toBe(true);
    expect(parser.push(Buffer.from('b'.repeat(90)))).toBe(false);
    expect(parser.finish().text).toBe(`${'a'.repeat(90)}${'b'.repeat(10)}`);
  });

  it('is CLI_OUTPUT_INVALID when nothing but control output arrived (agy on a pipe prints nothing)', () => {
    expect(() => parse([])).toThrow(expect.objectContaining({ code: 'CLI_OUTPUT_INVALID' }));
    expect(() => parse([`${ESC}[?25l\r${ESC}[2K⠋ Thinking…\r${ESC}[2K${ESC}[?25h`])).toThrow(
      expect.objectContaining({ code: 'CLI_OUTPUT_INVALID' }),
    );
  });

  it('reads the version from a terminal line', () => {
    expect(agyAdapter.parseVersion(`${ESC}[0magy 1.0.5\r\n`)).toBe('1.0.5');
  });
});

describe('agy refusals (stdout, exit 0)', () => {
  it('maps "Authentication required." to AUTH_REQUIRED', () => {
    const { parsed, code } = classify([
      'Authentication required. Open this link in a browser to sign in with Google:\r\n',
      'https://accounts.google.com/o/oauth2/v2/auth?x=1\r\n',
    ]);
    expect(code).toBe('AUTH_REQUIRED');
    expect(parsed.text).toBe('');
  });

  it('maps the individual quota line to QUOTA_EXCEEDED with the reset time as retryAfterMs', () => {
    const { parsed, code } = classify([
      `${ESC}[33m⚠ Individual quota reached for Gemini 3.1 Pro (High). Resets in 2h3m4s.${ESC}[0m\r\n`,
    ]);
    expect(code).toBe('QUOTA_EXCEEDED');
    expect(parsed.error?.retryAfterMs).toBe((2 * 3600 + 3 * 60 + 4) * 1000);
  });

  it('maps an unknown model label to MODEL_NOT_FOUND', () => {
    expect(classify(['Error: model "Gemini 9" not found. Available models: …\r\n']).code).toBe(
      'MODEL_NOT_FOUND',
    );
  });

  it('keeps a long critique that merely starts by quoting a refusal', () => {
    const { parsed, code } = classify([
      `Authentication required. is what the login page says.\n${'z'.repeat(3_000)}`,
    ]);
    expect(code).toBeUndefined();
    expect(parsed.text.startsWith('Authentication required.')).toBe(true);
  });

  it('reads durations of h, m and s parts', () => {
    expect(durationMs('45s')).toBe(45_000);
    expect(durationMs('1h')).toBe(3_600_000);
    expect(durationMs('3m')).toBe(180_000);
    expect(durationMs('')).toBeUndefined();
    expect(durationMs('soon')).toBeUndefined();
  });
});

describe('agy binary and login', () => {
  function script(path: string, text: string): string {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
    chmodSync(path, 0o755);
    return path;
  }

  it("tells the IDE's Electron launcher from the CLI", () => {
    const ide = script(
      join(dir, 'ide', 'bin', 'agy'),
      '#!/usr/bin/env sh\nELECTRON_RUN_AS_NODE=1 "$ELECTRON" "$CLI" "$@"\n',
    );
    const cli = script(join(dir, 'cli', 'agy'), '#!/usr/bin/env node\nconsole.log("agy")\n');
    expect(isIdeLauncher(ide)).toBe(true);
    expect(isIdeLauncher(cli)).toBe(false);
    expect(isIdeLauncher(process.execPath)).toBe(false); // a native binary
  });

  it('passes over the IDE launcher first on PATH for ~/.local/bin/agy, and says so', async () => {
    const home = join(dir, 'home-ide');
    const ideBin = join(dir, 'ide-path');
    script(join(ideBin, 'agy'), '#!/bin/sh\nexport ELECTRON_RUN_AS_NODE=1\n');
    const real = script(join(home, '.local', 'bin', 'agy'), '#!/usr/bin/env node\n');
    const found = await agyAdapter.locate!('agy', { PATH: ideBin, HOME: home });
    expect(found.path).toBe(real);
    expect(found.note).toContain("Antigravity IDE's launcher");
    const none = await agyAdapter.locate!('agy', { PATH: ideBin, HOME: join(dir, 'nobody') });
    expect(none.path).toBeUndefined();
    expect(none.note).toContain('install the Antigravity CLI');
  });

  it('reads the login from ~/.gemini/antigravity-cli without a browser: absent, saved, or unknown', () => {
    const login = agyAdapter.login.fromFiles!;
    const home = join(dir, 'home-login');
    expect(login({ HOME: home })).toMatchObject({ loggedIn: false });
    mkdirSync(join(home, '.gemini', 'antigravity-cli'), { recursive: true });
    expect(login({ HOME: home })).toMatchObject({ loggedIn: null, method: 'Google account' });
    writeFileSync(join(home, '.gemini', 'antigravity-cli', 'oauth_token.json'), '{"t":1}');
    expect(login({ HOME: home })).toMatchObject({ loggedIn: true });
  });
});
