import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  GEMINI_SYSTEM_DEFAULTS_PATH,
  geminiAdapter,
  geminiReadsSystemFile,
} from '../../src/critics/index.js';
import { resolveConfig } from '../../src/engine/config.js';
import type { ExitClass } from '../../src/process/types.js';
import {
  exit,
  GEMINI_JSON_OK,
  GEMINI_STDERR,
  GEMINI_STREAM_OK,
  geminiStreamError,
  OK,
  runResult,
} from './critics-samples.js';

const jsonl = (...events: unknown[]) => `${events.map((e) => JSON.stringify(e)).join('\n')}\n`;

describe('gemini adapter: invocation', () => {
  it('runs headless stream-json with default approvals, prompt on stdin and an empty -p', () => {
    const inv = geminiAdapter.buildInvocation({ prompt: 'PROMPT-TEXT' }, undefined);
    expect(inv.args).toEqual(['-o', 'stream-json', '--approval-mode', 'default', '-p', '']);
    expect(inv.stdin).toBe('PROMPT-TEXT');
    expect(inv.args.join(' ')).not.toMatch(/PROMPT-TEXT|yolo|-y\b/);
  });

  it('passes -m when a model is given', () => {
    const args = geminiAdapter.buildInvocation({ prompt: 'p' }, 'gemini-2.5-pro').args;
    expect(args).toContain('-m');
    expect(args[args.indexOf('-m') + 1]).toBe('gemini-2.5-pro');
    expect(args.slice(-2)).toEqual(['-p', '']);
  });

  it('parses the bare version line', () => {
    expect(geminiAdapter.parseVersion('0.61.0\n')).toBe('0.61.0');
    expect(geminiAdapter.parseVersion('')).toBeUndefined();
  });
});

describe('gemini adapter: output parsing', () => {
  it('joins assistant deltas, skips the echoed user message and reads result.stats', () => {
    const parsed = geminiAdapter.parseOutput(GEMINI_STREAM_OK);
    expect(parsed.text).toBe('STUB-CRITIQUE: the plan looks fine; add tests.');
    expect(parsed.model).toBeUndefined(); // "auto" is a router, not a model
    expect(parsed.sessionId).toBe('7a397808');
    expect(parsed.usage).toEqual({
      inputTokens: 20,
      outputTokens: 10,
      cachedInputTokens: 4,
      totalTokens: 30,
    });
    expect(parsed.error).toBeUndefined();
  });

  it('reports the model named in init', () => {
    const stdout = jsonl(
      { type: 'init', model: 'gemini-2.5-pro' },
      { type: 'message', role: 'assistant', content: 'x' },
    );
    expect(geminiAdapter.parseOutput(stdout).model).toBe('gemini-2.5-pro');
  });

  it('accepts the -o json object {response, stats} and sums per-model tokens', () => {
    const parsed = geminiAdapter.parseOutput(GEMINI_JSON_OK);
    expect(parsed.text).toBe('STUB-CRITIQUE: the plan looks fine; add tests.');
    expect(parsed.usage).toEqual({
      inputTokens: 20,
      outputTokens: 10,
      cachedInputTokens: 1,
      totalTokens: 30,
    });
  });

  it('accepts the -o json error object', () => {
    const stdout = JSON.stringify(
      { session_id: 's', error: { type: 'Error', message: 'Please set an Auth method', code: 41 } },
      null,
      2,
    );
    expect(geminiAdapter.parseOutput(stdout).error).toEqual({ message: 'Please set an Auth method' });
  });

  it('reports a result with status error as a structured error', () => {
    const parsed = geminiAdapter.parseOutput(
      geminiStreamError('Error', '[API Error: got status: 429 Too Many Requests.]'),
    );
    expect(parsed.error).toEqual({ message: '[API Error: got status: 429 Too Many Requests.]', status: 429 });
    expect(parsed.text).toBe('');
  });

  it('keeps the deltas of a truncated stream and drops the cut line', () => {
    const stdout = `${jsonl({ type: 'init', model: 'auto' }, { type: 'message', role: 'assistant', content: 'partial', delta: true })}{"type":"message","ro`;
    expect(geminiAdapter.parseOutput(stdout).text).toBe('partial');
  });

  it('treats an error event as the error only when no result arrived', () => {
    const warnThenOk = jsonl(
      { type: 'error', severity: 'warning', message: 'Loop detected' },
      { type: 'message', role: 'assistant', content: 'ok' },
      { type: 'result', status: 'success', stats: {} },
    );
    expect(geminiAdapter.parseOutput(warnThenOk).error).toBeUndefined();
    const errorNoResult = jsonl(
      { type: 'init' },
      { type: 'error', severity: 'error', message: 'Invalid stream' },
    );
    expect(geminiAdapter.parseOutput(errorNoResult).error).toEqual({ message: 'Invalid stream' });
  });

  it('throws CLI_OUTPUT_INVALID for plain text', () => {
    expect(() => geminiAdapter.parseOutput('STUB-CRITIQUE\n')).toThrow(
      expect.objectContaining({ code: 'CLI_OUTPUT_INVALID' }),
    );
  });
});

describe('gemini adapter: failure classification', () => {
  const cases: Array<[string, ExitClass, string, string, string | undefined]> = [
    ['a clean run with the usual stderr noise', OK, GEMINI_STREAM_OK, GEMINI_STDERR, undefined],
    [
      'a critique whose prose says "rate limit 429 invalid api key"',
      OK,
      jsonl(
        { type: 'message', role: 'assistant', content: 'rate limit 429 invalid api key quota' },
        { type: 'result', status: 'success' },
      ),
      '',
      undefined,
    ],
    [
      'exit 41 (FatalAuthenticationError)',
      exit(41),
      geminiStreamError(
        'FatalAuthenticationError',
        'When using Gemini API, you must specify the GEMINI_API_KEY environment variable.',
      ),
      GEMINI_STDERR,
      'AUTH_REQUIRED',
    ],
    ['exit 41 with nothing else', exit(41), '', '', 'AUTH_REQUIRED'],
    [
      'API key not valid',
      exit(1),
      geminiStreamError('Error', 'API key not valid. Please pass a valid API key.'),
      '',
      'AUTH_REQUIRED',
    ],
    [
      '429',
      exit(1),
      geminiStreamError('Error', '[API Error: got status: 429 Too Many Requests.]'),
      '',
      'RATE_LIMITED',
    ],
    [
      'daily quota',
      exit(1),
      geminiStreamError('TerminalQuotaError', 'You have exhausted your daily quota on this model.'),
      '',
      'QUOTA_EXCEEDED',
    ],
    [
      'unknown model',
      exit(1),
      geminiStreamError(
        'ModelNotFoundError',
        '[API Error: models/gemini-9 is not found for API version v1beta]',
      ),
      '',
      'MODEL_NOT_FOUND',
    ],
    [
      '500',
      exit(1),
      geminiStreamError('Error', '[API Error: got status: 500 Internal Server Error.]'),
      '',
      'CLI_FAILED',
    ],
    ['untrusted workspace (exit 55)', exit(55), '', GEMINI_STDERR, 'WORKSPACE_UNTRUSTED'],
    ['status error with exit 0', OK, geminiStreamError('Error', 'boom'), '', 'CLI_FAILED'],
    ['stall', { kind: 'stalled' }, '', '', 'CLI_STALLED'],
  ];
  it.each(cases)('%s → %s', (_name, exitClass, stdout, stderr, expected) => {
    let parsed: ReturnType<typeof geminiAdapter.parseOutput> | undefined;
    try {
      parsed = geminiAdapter.parseOutput(stdout);
    } catch {
      parsed = undefined;
    }
    expect(geminiAdapter.classifyFailure(runResult(exitClass, stdout, stderr), parsed)).toBe(expected);
  });
});

describe('gemini workspace trust', () => {
  it('grants trust only when asked, through the env the CLI reads', () => {
    expect(geminiAdapter.buildInvocation({ prompt: 'p' }, undefined, { trustWorkspace: true }).env).toEqual({
      GEMINI_CLI_TRUST_WORKSPACE: 'true',
    });
  });

  it('otherwise distrusts the folder for the run and points gemini at the shipped system defaults', () => {
    expect(geminiAdapter.buildInvocation({ prompt: 'p' }, undefined).env).toEqual({
      GEMINI_CLI_TRUST_WORKSPACE: 'false',
      GEMINI_CLI_SYSTEM_DEFAULTS_PATH: GEMINI_SYSTEM_DEFAULTS_PATH,
    });
  });

  it('uses the configured system defaults file instead of the shipped one', () => {
    const inv = geminiAdapter.buildInvocation({ prompt: 'p' }, undefined, {
      geminiSystemDefaultsPath: '/etc/brutalist/gemini.json',
    });
    expect(inv.env.GEMINI_CLI_SYSTEM_DEFAULTS_PATH).toBe('/etc/brutalist/gemini.json');
  });
});

describe('gemini adapter: odd output', () => {
  it('counts missing token fields of the -o json stats as 0', () => {
    const stdout = JSON.stringify(
      { response: 'r', stats: { models: { a: { tokens: { prompt: 3 } }, b: {} } } },
      null,
      2,
    );
    expect(geminiAdapter.parseOutput(stdout).usage).toEqual({
      inputTokens: 3,
      outputTokens: 0,
      cachedInputTokens: 0,
      totalTokens: 0,
    });
  });

  it('reads a multi-line object with a "type" key as a stream, not as the -o json document', () => {
    const stdout = JSON.stringify({ type: 'init', response: 'not this' }, null, 2);
    expect(() => geminiAdapter.parseOutput(stdout)).toThrow(
      expect.objectContaining({ code: 'CLI_OUTPUT_INVALID' }),
    );
  });

  it('names an error result by its type when it has no message, and says "error" when it has neither', () => {
    const typed = jsonl({ type: 'result', status: 'error', error: { type: 'FatalToolError' } });
    expect(geminiAdapter.parseOutput(typed).error).toEqual({ message: 'FatalToolError' });
    const bare = jsonl({ type: 'result', status: 'error' });
    expect(geminiAdapter.parseOutput(bare).error).toEqual({ message: 'error' });
    const event = jsonl({ type: 'init' }, { type: 'error', severity: 'error' });
    expect(geminiAdapter.parseOutput(event).error).toEqual({ message: 'error' });
  });

  it('reads a 429 from the quota advice gemini appends, and a status from an embedded API error body', () => {
    const advised = geminiStreamError(
      'Error',
      'Quota hit. Please wait and try again later. To increase your limits, request a quota increase here.',
    );
    expect(geminiAdapter.parseOutput(advised).error).toEqual({ message: 'Quota hit.', status: 429 });
    const embedded = geminiStreamError('Error', '[API Error: {"error":{"code":503,"message":"busy"}}]');
    expect(geminiAdapter.parseOutput(embedded).error?.status).toBe(503);
  });

  it('takes an assistant message without content as no text', () => {
    const stdout = jsonl(
      { type: 'message', role: 'assistant' },
      { type: 'message', role: 'assistant', content: 'ok' },
      { type: 'result', status: 'success', stats: {} },
    );
    expect(geminiAdapter.parseOutput(stdout).text).toBe('ok');
  });
});

describe('gemini adapter: progress, paths, settings and doctor', () => {
  it('reads assistant text and named or unnamed tools from stream lines, and nothing from others', () => {
    const extract = (line: Record<string, unknown>) => geminiAdapter.progress.extract('gemini', line);
    expect(extract({ type: 'message', role: 'assistant', content: 'abcd' })).toEqual([
      { kind: 'text', critic: 'gemini', chars: 4 },
    ]);
    expect(extract({ type: 'message', role: 'assistant' })).toEqual([
      { kind: 'text', critic: 'gemini', chars: 0 },
    ]);
    expect(extract({ type: 'tool_use', tool_name: 'read_file' })).toEqual([
      { kind: 'tool', critic: 'gemini', name: 'read_file' },
    ]);
    expect(extract({ type: 'tool_use' })).toEqual([{ kind: 'tool', critic: 'gemini', name: 'tool' }]);
    expect(extract({ type: 'message', role: 'user', content: 'x' })).toEqual([]);
  });

  it('shows ~/.gemini writable and the system defaults file read-only to a sandboxed run', () => {
    expect(
      geminiAdapter.configPaths({ HOME: '/home/u', GEMINI_CLI_SYSTEM_DEFAULTS_PATH: '/etc/g.json' }),
    ).toEqual({ writable: ['/home/u/.gemini'], readOnly: ['/etc/g.json'] });
    expect(geminiAdapter.configPaths({})).toEqual({ writable: [], readOnly: [] });
  });

  it('reads no model, endpoint or defaults path from empty config values', () => {
    const settings = geminiAdapter.settings(
      resolveConfig({ overrides: { geminiModel: '', geminiBaseUrl: '', geminiSystemDefaultsPath: '' } }),
    );
    expect(settings).toMatchObject({ model: undefined, baseUrl: undefined });
    expect(settings.invocation).not.toHaveProperty('geminiSystemDefaultsPath');
    const custom = geminiAdapter.settings(
      resolveConfig({ overrides: { geminiSystemDefaultsPath: '/etc/brutalist/gemini.json' } }),
    );
    expect(custom.invocation?.geminiSystemDefaultsPath).toBe('/etc/brutalist/gemini.json');
  });

  it('warns in doctor when gemini would skip a defaults file that is not root-owned, unless trust is on', () => {
    const dir = mkdtempSync(join(tmpdir(), 'brutalist-gemini-defaults-'));
    try {
      const file = join(dir, 'defaults.json');
      writeFileSync(file, '{}');
      const warn = (over: Record<string, unknown>) =>
        geminiAdapter.doctorWarnings?.(resolveConfig({ overrides: over })) ?? [];
      expect(warn({ geminiSystemDefaultsPath: file })).toEqual([
        expect.stringContaining(`gemini skips its system defaults ${file}`),
      ]);
      expect(warn({ geminiSystemDefaultsPath: file, geminiTrustWorkspace: true })).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads a root-owned, locked-down file as one gemini accepts', () => {
    const st = statSync('/etc/passwd');
    expect(geminiReadsSystemFile('/etc/passwd')).toBe(st.uid === 0 && (st.mode & 0o022) === 0);
    expect(geminiReadsSystemFile('/no/such/file')).toBe(false);
  });
});
