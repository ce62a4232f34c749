import { describe, expect, it } from 'vitest';
import { GEMINI_SYSTEM_DEFAULTS_PATH, geminiAdapter } from '../../src/critics/index.js';
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
