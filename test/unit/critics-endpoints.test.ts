// Custom endpoints per critic (claudeBaseUrl, codexBaseUrl, geminiBaseUrl) and the failure shapes of the real
// CLIs when that endpoint misbehaves (texts copied from claude 2.1.197, codex 0.169.0 and gemini 0.61.0 runs).
import { describe, expect, it } from 'vitest';
import {
  ADAPTERS,
  baseUrlFor,
  CODEX_PROVIDER_ID,
  claudeAdapter,
  codexAdapter,
  geminiAdapter,
} from '../../src/critics/index.js';
import { resolveConfig } from '../../src/engine/config.js';
import type { ExitClass } from '../../src/process/types.js';
import { exit, runResult } from './critics-samples.js';

const jsonl = (...events: unknown[]) => `${events.map((e) => JSON.stringify(e)).join('\n')}\n`;
const URL_ = 'https://gateway.example.test:8443/openai/v1';

describe('custom endpoint options', () => {
  it('default to empty, which leaves every CLI on its own endpoint', () => {
    const config = resolveConfig();
    for (const critic of ['claude', 'codex', 'gemini'] as const)
      expect(baseUrlFor(config, critic)).toBe(undefined);
    for (const adapter of Object.values(ADAPTERS)) {
      const inv = adapter.buildInvocation({ prompt: 'p' }, undefined);
      expect(JSON.stringify(inv)).not.toMatch(/BASE_URL|model_provider/);
    }
  });

  it('are read from env and file, one per critic', () => {
    const config = resolveConfig({
      env: { BRUTALIST_CLAUDE_BASE_URL: 'http://127.0.0.1:9/a', BRUTALIST_GEMINI_BASE_URL: 'https://g.test' },
      file: { codexBaseUrl: URL_ },
    });
    expect(baseUrlFor(config, 'claude')).toBe('http://127.0.0.1:9/a');
    expect(baseUrlFor(config, 'codex')).toBe(URL_);
    expect(baseUrlFor(config, 'gemini')).toBe('https://g.test');
  });

  it.each(['ftp://x.test', 'not a url', 'http://', 'file:///etc/passwd', 'https://user:secret@gw.test'])(
    'refuses %j without echoing it',
    (value) => {
      let error: unknown;
      try {
        resolveConfig({ overrides: { claudeBaseUrl: value } });
      } catch (err) {
        error = err;
      }
      expect(error).toMatchObject({ code: 'CONFIG_INVALID', data: { option: 'claudeBaseUrl' } });
      expect((error as Error).message).not.toContain('secret');
      expect((error as Error).message).toContain('claudeBaseUrl');
    },
  );

  it('claude: ANTHROPIC_BASE_URL in the child env, argv unchanged', () => {
    const plain = claudeAdapter.buildInvocation({ prompt: 'p' }, undefined);
    const inv = claudeAdapter.buildInvocation({ prompt: 'p' }, undefined, { baseUrl: URL_ });
    expect(inv.env).toEqual({ ...plain.env, ANTHROPIC_BASE_URL: URL_ });
    expect(inv.args).toEqual(plain.args);
  });

  it('gemini: GOOGLE_GEMINI_BASE_URL beside the trust setting', () => {
    const inv = geminiAdapter.buildInvocation({ prompt: 'p' }, undefined, {
      baseUrl: URL_,
      trustWorkspace: true,
    });
    expect(inv.env).toEqual({ GOOGLE_GEMINI_BASE_URL: URL_, GEMINI_CLI_TRUST_WORKSPACE: 'true' });
  });

  it('codex: a custom Responses provider through -c flags, before -m and the stdin marker', () => {
    const inv = codexAdapter.buildInvocation({ prompt: 'p' }, 'gpt-5', { baseUrl: URL_ });
    const p = `model_providers.${CODEX_PROVIDER_ID}`;
    expect(inv.args.slice(9)).toEqual([
      '-c',
      `model_provider="${CODEX_PROVIDER_ID}"`,
      '-c',
      `${p}.name="${CODEX_PROVIDER_ID}"`,
      '-c',
      `${p}.base_url="${URL_}"`,
      '-c',
      `${p}.wire_api="responses"`,
      '-c',
      `${p}.env_key="OPENAI_API_KEY"`,
      '-m',
      'gpt-5',
      '-',
    ]);
    expect(inv.args.slice(0, 9)).toEqual(
      codexAdapter.buildInvocation({ prompt: 'p' }, undefined).args.slice(0, 9),
    );
    expect(inv.env).toEqual({});
  });
});

describe('an endpoint that cannot be reached', () => {
  const STALLED: ExitClass = { kind: 'stalled' };
  const TIMEOUT: ExitClass = { kind: 'timeout' };
  const claudeRefused = jsonl(
    { type: 'system', subtype: 'init', session_id: 's', model: 'claude-opus-4-8[1m]' },
    {
      type: 'result',
      subtype: 'success',
      is_error: true,
      api_error_status: null,
      result: 'API Error: Unable to connect to API (ConnectionRefused)',
      session_id: 's',
    },
  );
  const codexReconnecting = jsonl(
    { type: 'thread.started', thread_id: 't' },
    { type: 'turn.started' },
    {
      type: 'error',
      message: 'Reconnecting... waiting for network (Connection failed: error sending request)',
    },
  );
  const geminiFetchFailed = jsonl(
    { type: 'init', session_id: 's', model: 'gemini-2.5-pro' },
    {
      type: 'result',
      status: 'error',
      error: { type: 'unknown', message: '[API Error: exception TypeError: fetch failed sending request]' },
    },
  );

  it.each([
    ['claude exits 1', claudeAdapter, exit(1), claudeRefused],
    ['gemini exits 1', geminiAdapter, exit(1), geminiFetchFailed],
    ['codex reconnects until the stall watchdog', codexAdapter, STALLED, codexReconnecting],
    ['codex reconnects until the deadline', codexAdapter, TIMEOUT, codexReconnecting],
  ])('%s → MODEL_API_UNREACHABLE', (_name, adapter, exitClass, stdout) => {
    const parsed = adapter.parseOutput(stdout);
    expect(adapter.classifyFailure(runResult(exitClass, stdout), parsed)).toBe('MODEL_API_UNREACHABLE');
  });

  it('keeps the runner code when nothing says why', () => {
    const quiet = jsonl({ type: 'thread.started', thread_id: 't' }, { type: 'turn.started' });
    expect(codexAdapter.classifyFailure(runResult(STALLED, quiet), codexAdapter.parseOutput(quiet))).toBe(
      'CLI_STALLED',
    );
    expect(codexAdapter.classifyFailure(runResult(TIMEOUT, quiet), codexAdapter.parseOutput(quiet))).toBe(
      'CLI_TIMEOUT',
    );
  });

  it('does not mistake a dropped stream for an unreachable endpoint', () => {
    const dropped = jsonl(
      { type: 'turn.started' },
      {
        type: 'turn.failed',
        error: { message: 'stream disconnected before completion: error sending request' },
      },
    );
    expect(codexAdapter.classifyFailure(runResult(exit(1), dropped), codexAdapter.parseOutput(dropped))).toBe(
      'CLI_FAILED',
    );
  });
});

describe('gemini 429s', () => {
  const ADVICE =
    'Please wait and try again later. To increase your limits, request a quota increase through AI Studio, or switch to another /auth method';
  const out = (message: string) =>
    jsonl(
      { type: 'init', session_id: 's', model: 'gemini-2.5-pro' },
      { type: 'result', status: 'error', error: { type: 'unknown', message } },
    );

  it('drops the CLI advice from the detail and reads it as status 429', () => {
    const parsed = geminiAdapter.parseOutput(out(`[API Error: Resource has been exhausted]\n${ADVICE}`));
    expect(parsed.error).toEqual({ message: '[API Error: Resource has been exhausted]', status: 429 });
  });

  it.each([
    ['RetryableQuotaError: Resource has been exhausted', 'RATE_LIMITED'],
    ['TerminalQuotaError: You exceeded your current quota', 'QUOTA_EXCEEDED'],
  ])('stderr %j → %s', (stderr, code) => {
    const stdout = out(`[API Error: Resource has been exhausted (e.g. check quota).]\n${ADVICE}`);
    const parsed = geminiAdapter.parseOutput(stdout);
    expect(geminiAdapter.classifyFailure(runResult(exit(1), stdout, stderr), parsed)).toBe(code);
  });

  it('reads the status of an embedded API error body', () => {
    const parsed = geminiAdapter.parseOutput(
      out('[API Error: {"error":{"code":500,"message":"boom","status":"INTERNAL"}}]'),
    );
    expect(parsed.error?.status).toBe(500);
  });
});

describe('a run our watchdog stopped while the CLI was retrying', () => {
  const quiet = jsonl(
    { type: 'init', session_id: 's', model: 'auto' },
    { type: 'message', role: 'user', content: 'p' },
  );
  const parsed = () => geminiAdapter.parseOutput(quiet);

  it.each([
    [
      'Attempt 4 failed with status 429. Retrying with backoff... _ApiError: {"error":{"code":429}}',
      'RATE_LIMITED',
    ],
    [
      'Attempt 2 failed. Retrying with backoff... Error: exception TypeError: fetch failed sending request',
      'MODEL_API_UNREACHABLE',
    ],
    ['Attempt 2 failed with status 500. Retrying with backoff...', 'CLI_STALLED'],
  ])('gemini stderr %j → %s', (stderr, code) => {
    expect(geminiAdapter.classifyFailure(runResult({ kind: 'stalled' }, quiet, stderr), parsed())).toBe(code);
  });

  it('keeps CLI_TIMEOUT when the critic had already written text', () => {
    const partial = `${quiet}${JSON.stringify({ type: 'message', role: 'assistant', content: 'half a critique', delta: true })}\n`;
    const stderr = 'Attempt 1 failed with status 429. Retrying with backoff...';
    expect(
      geminiAdapter.classifyFailure(
        runResult({ kind: 'timeout' }, partial, stderr),
        geminiAdapter.parseOutput(partial),
      ),
    ).toBe('CLI_TIMEOUT');
  });
});
