import { describe, expect, it } from 'vitest';
import { claudeAdapter } from '../../src/critics/index.js';
import { isBrutalistError } from '../../src/errors/index.js';
import type { ExitClass } from '../../src/process/types.js';
import {
  CLAUDE_INIT,
  CLAUDE_STREAM_OK,
  claudeAssistant,
  claudeResult,
  claudeStreamError,
  exit,
  OK,
  runResult,
} from './critics-samples.js';

const jsonl = (...events: unknown[]) => `${events.map((e) => JSON.stringify(e)).join('\n')}\n`;

describe('claude adapter: invocation', () => {
  it('runs print mode with stream-json, read-only tools and an explicit deny list, prompt on stdin only', () => {
    const inv = claudeAdapter.buildInvocation({ prompt: 'PROMPT-TEXT' }, undefined);
    expect(inv.args).toEqual([
      '-p',
      '--output-format',
      'stream-json',
      '--verbose',
      '--include-partial-messages',
      '--no-session-persistence',
      '--setting-sources',
      'user',
      '--strict-mcp-config',
      '--tools',
      'Read,Glob,Grep',
      '--disallowedTools',
      'Agent,Bash,CronCreate,CronDelete,CronList,Edit,EnterWorktree,ExitWorktree,NotebookEdit,ReportFindings,' +
        'ScheduleWakeup,SendMessage,Skill,TaskCreate,TaskGet,TaskList,TaskOutput,TaskStop,TaskUpdate,WebFetch,' +
        'WebSearch,Workflow,Write',
    ]);
    expect(inv.stdin).toBe('PROMPT-TEXT');
    expect(inv.args.join(' ')).not.toContain('PROMPT-TEXT');
    expect(inv.args.join(' ')).not.toMatch(/skip-permissions|bypass/i);
    expect(inv.env).toEqual({ CLAUDE_CODE_DISABLE_GIT_INSTRUCTIONS: '1' });
  });

  it('appends --model when a model is given', () => {
    const inv = claudeAdapter.buildInvocation({ prompt: 'p' }, 'claude-sonnet-4-5');
    expect(inv.args.slice(-2)).toEqual(['--model', 'claude-sonnet-4-5']);
  });

  it.each(['--dangerously-skip-permissions', '-x', 'a b', '', 'm\nx'])(
    'refuses the model name %j',
    (model) => {
      expect(() => claudeAdapter.buildInvocation({ prompt: 'p' }, model || ' ')).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    },
  );

  it('parses the version banner', () => {
    expect(claudeAdapter.parseVersion('2.1.197 (Claude Code)\n')).toBe('2.1.197');
    expect(claudeAdapter.parseVersion('command not understood\n')).toBeUndefined();
  });
});

describe('claude adapter: output parsing', () => {
  it('takes the text of the final result event, the model and usage with cost', () => {
    const parsed = claudeAdapter.parseOutput(CLAUDE_STREAM_OK);
    expect(parsed.text).toBe('STUB-CRITIQUE: the plan looks fine; add tests.');
    expect(parsed.model).toBe('claude-opus-4-8');
    expect(parsed.sessionId).toBe('9717b597-65f4-4ac3-8ec0-f5dd83369e7c');
    expect(parsed.usage).toEqual({
      inputTokens: 10,
      outputTokens: 5,
      cachedInputTokens: 3,
      totalTokens: 15,
      costUsd: 0.000175,
    });
    expect(parsed.error).toBeUndefined();
  });

  it('accepts the single-object --output-format json shape', () => {
    const parsed = claudeAdapter.parseOutput(`${JSON.stringify(claudeResult({ result: 'JSON TEXT' }))}\n`);
    expect(parsed.text).toBe('JSON TEXT');
  });

  it('falls back to the assistant text blocks when a truncated run has no result event', () => {
    const stdout = jsonl(
      CLAUDE_INIT,
      claudeAssistant('part one, ', 'm1'),
      claudeAssistant('same message', 'm1'),
    );
    const cut = `${stdout}{"type":"assistant","message":{"id":"m2","content":[{"type":"text","text":"never fin`;
    const parsed = claudeAdapter.parseOutput(cut);
    expect(parsed.text).toBe('part one, same message');
    expect(parsed.model).toBe('claude-opus-4-8');
    expect(parsed.usage).toBeUndefined();
  });

  it('recovers the text from streamed deltas when the final assistant and result lines were lost', () => {
    // claude 2.1.197 exits before flushing a large final burst to a pipe (seen with a 2 MB answer).
    const streamEvent = (event: unknown) => ({ type: 'stream_event', event, session_id: 's', uuid: 'u' });
    const delta = (text: string) =>
      streamEvent({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } });
    const stdout = jsonl(
      CLAUDE_INIT,
      streamEvent({ type: 'message_start', message: { id: 'm1', content: [] } }),
      delta('first '),
      delta('message'),
      claudeAssistant('first message', 'm1'),
      streamEvent({ type: 'message_start', message: { id: 'm2', content: [] } }),
      delta('second, '),
      streamEvent({
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'thinking_delta', thinking: 'x' },
      }),
      delta('streamed only'),
    );
    const cut = `${stdout}{"type":"assistant","message":{"id":"m2","content":[{"type":"text","text":"second, str`;
    expect(claudeAdapter.parseOutput(cut).text).toBe('first message\n\nsecond, streamed only');
  });

  it('prefers the complete result over streamed deltas', () => {
    const stdout = jsonl(
      CLAUDE_INIT,
      {
        type: 'stream_event',
        event: { type: 'content_block_delta', delta: { type: 'text_delta', text: 'partial' } },
      },
      claudeResult(),
    );
    expect(claudeAdapter.parseOutput(stdout).text).toBe(claudeResult().result);
  });

  it('separates text of different assistant messages with a blank line', () => {
    const stdout = jsonl(CLAUDE_INIT, claudeAssistant('first', 'm1'), claudeAssistant('second', 'm2'));
    expect(claudeAdapter.parseOutput(stdout).text).toBe('first\n\nsecond');
  });

  it('reports is_error results as a structured error with the API status, not as text', () => {
    const parsed = claudeAdapter.parseOutput(
      claudeStreamError(401, 'Invalid API key · Please run /login', 'authentication_failed'),
    );
    expect(parsed.text).toBe('');
    expect(parsed.error).toEqual({ message: 'Invalid API key · Please run /login', status: 401 });
  });

  it('treats error subtypes (e.g. error_max_turns) as errors', () => {
    const stdout = jsonl(
      CLAUDE_INIT,
      claudeResult({ subtype: 'error_max_turns', is_error: false, result: undefined }),
    );
    expect(claudeAdapter.parseOutput(stdout).error).toEqual({ message: 'error_max_turns' });
  });

  it('reports a synthetic API error message when the result event never arrived', () => {
    const stdout = jsonl(
      CLAUDE_INIT,
      claudeAssistant('Credit balance is too low', 'x', { error: 'billing_error' }),
    );
    const parsed = claudeAdapter.parseOutput(stdout);
    expect(parsed.error).toEqual({ message: 'Credit balance is too low' });
    expect(parsed.text).toBe('');
  });

  it('throws CLI_OUTPUT_INVALID when nothing recognisable was printed', () => {
    for (const stdout of ['', 'plain text answer\n', '{"type":"other"}\n', '{"type":"res']) {
      try {
        claudeAdapter.parseOutput(stdout);
        expect.unreachable();
      } catch (err) {
        expect(isBrutalistError(err) && err.code).toBe('CLI_OUTPUT_INVALID');
      }
    }
  });
});

describe('claude adapter: failure classification', () => {
  const ok = CLAUDE_STREAM_OK;
  const err = (status: number, message: string) => claudeStreamError(status, message, 'tag');
  const cases: Array<[string, ExitClass, string, string, string | undefined]> = [
    ['a clean run', OK, ok, '', undefined],
    [
      'a critique whose prose says "rate limit 429 invalid api key"',
      OK,
      jsonl(
        CLAUDE_INIT,
        claudeResult({ result: 'rate limit 429 invalid api key /login quota model not found' }),
      ),
      '',
      undefined,
    ],
    ['noisy stderr on success', OK, ok, 'Error: 401 invalid api key\nrate limit', undefined],
    ['is_error 401', exit(1), err(401, 'Invalid API key · Please run /login'), '', 'AUTH_REQUIRED'],
    ['is_error 403', exit(1), err(403, 'Your organization has disabled access'), '', 'AUTH_REQUIRED'],
    ['not logged in on stderr', exit(1), '', 'Not logged in · Please run /login', 'AUTH_REQUIRED'],
    ['is_error 429', exit(1), err(429, 'API Error: 429 {"type":"rate_limit_error"}'), '', 'RATE_LIMITED'],
    ['credit balance', exit(1), err(400, 'Credit balance is too low'), '', 'QUOTA_EXCEEDED'],
    [
      'unknown model (404)',
      exit(1),
      err(
        404,
        "There's an issue with the selected model (nope). It may not exist or you may not have access to it.",
      ),
      '',
      'MODEL_NOT_FOUND',
    ],
    ['server error', exit(1), err(500, 'API Error: 500 Internal server error'), '', 'CLI_FAILED'],
    ['is_error with exit 0', OK, err(500, 'API Error: 500 Internal server error'), '', 'CLI_FAILED'],
    ['is_error 429 with exit 0', OK, err(429, 'API Error: 429'), '', 'RATE_LIMITED'],
    ['exit 1 and nothing else', exit(1), '', '', 'CLI_FAILED'],
    [
      'stream-json without --verbose',
      exit(1),
      '',
      'Error: When using --print, --output-format=stream-json requires --verbose',
      'CLI_FAILED',
    ],
    ['deadline', { kind: 'timeout' }, ok, '', 'CLI_TIMEOUT'],
    ['stall', { kind: 'stalled' }, '', '', 'CLI_STALLED'],
    ['cancel', { kind: 'cancelled' }, '', '', 'CANCELLED'],
    ['missing binary', { kind: 'not_found' }, '', '', 'CLI_NOT_FOUND'],
    ['spawn failure', { kind: 'spawn_error', errno: 'EACCES' }, '', '', 'CLI_SPAWN_FAILED'],
    ['killed by a signal', { kind: 'signal', signal: 'SIGSEGV' }, ok, '', 'CLI_KILLED'],
    ['output cap without error', { kind: 'output_cap' }, ok, '', undefined],
  ];
  it.each(cases)('%s → %s', (_name, exitClass, stdout, stderr, expected) => {
    let parsed: ReturnType<typeof claudeAdapter.parseOutput> | undefined;
    try {
      parsed = claudeAdapter.parseOutput(stdout);
    } catch {
      parsed = undefined;
    }
    expect(claudeAdapter.classifyFailure(runResult(exitClass, stdout, stderr), parsed)).toBe(expected);
  });
});

describe('claude adapter: its own budget (--max-budget-usd)', () => {
  it('passes max_usd as --max-budget-usd, and nothing without one', () => {
    const withCap = claudeAdapter.buildInvocation({ prompt: 'p' }, undefined, { maxBudgetUsd: 0.25 });
    expect(withCap.args.slice(-2)).toEqual(['--max-budget-usd', '0.25']);
    expect(claudeAdapter.buildInvocation({ prompt: 'p' }, undefined, {}).args).not.toContain(
      '--max-budget-usd',
    );
  });

  it('reads a run stopped at its budget as a partial answer (not an error), with usage from modelUsage', () => {
    // The shape 2.1.197 printed against the stub model: the turn streamed, then this result, exit 1.
    const out = jsonl(
      CLAUDE_INIT,
      {
        type: 'stream_event',
        event: { type: 'message_start', message: { id: 'msg_1', model: 'claude-opus-4-8', content: [] } },
      },
      {
        type: 'stream_event',
        event: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Half of ' } },
      },
      {
        type: 'stream_event',
        event: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'a critique.' } },
      },
      {
        type: 'result',
        subtype: 'error_max_budget_usd',
        is_error: true,
        num_turns: 1,
        stop_reason: 'end_turn',
        session_id: 's-1',
        total_cost_usd: 0.02505,
        usage: {
          input_tokens: 0,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
          output_tokens: 0,
        },
        modelUsage: {
          'claude-opus-4-8[1m]': {
            inputTokens: 10,
            outputTokens: 1000,
            cacheReadInputTokens: 0,
            costUSD: 0.02505,
          },
        },
        errors: ['Reached maximum budget ($0.000001)'],
      },
    );
    const parsed = claudeAdapter.parseOutput(out);
    expect(parsed).toMatchObject({ text: 'Half of a critique.', stoppedBy: 'max_usd' });
    expect(parsed.error).toBeUndefined();
    expect(parsed.usage).toEqual({
      inputTokens: 10,
      outputTokens: 1000,
      cachedInputTokens: 0,
      totalTokens: 1010,
      costUsd: 0.02505,
    });
  });

  it('sums modelUsage over every model the run used', () => {
    const parsed = claudeAdapter.parseOutput(
      jsonl(CLAUDE_INIT, {
        type: 'result',
        subtype: 'success',
        is_error: false,
        result: 'ok',
        total_cost_usd: 0.5,
        usage: { input_tokens: 7, output_tokens: 3 },
        modelUsage: {
          'claude-opus-4-8': { inputTokens: 7, outputTokens: 3, costUSD: 0.4 },
          'claude-haiku-4-5': { inputTokens: 100, outputTokens: 20, cacheReadInputTokens: 50, costUSD: 0.1 },
        },
      }),
    );
    expect(parsed.usage).toEqual({
      inputTokens: 107,
      outputTokens: 23,
      cachedInputTokens: 50,
      totalTokens: 130,
      costUsd: 0.5,
    });
  });
});
