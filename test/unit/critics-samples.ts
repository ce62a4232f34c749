// Real CLI output samples (claude 2.1.197, codex 0.169.0, gemini 0.61.0, trimmed) and a RunResult builder.
import type { ExitClass, RunResult } from '../../src/process/types.js';

export function runResult(exit: ExitClass, stdout = '', stderrTail = '', truncated = false): RunResult {
  return {
    exit,
    stdout: Buffer.from(stdout),
    stdoutBytes: Buffer.byteLength(stdout),
    stderrTail,
    truncated,
    durationMs: 10,
    pid: 4242,
  };
}

export const OK: ExitClass = { kind: 'ok' };
export const exit = (code: number): ExitClass => ({ kind: 'exit', code });

const jsonl = (...events: unknown[]) => `${events.map((e) => JSON.stringify(e)).join('\n')}\n`;

// ---- claude
export const CLAUDE_INIT = {
  type: 'system',
  subtype: 'init',
  cwd: '/home/dev/project',
  session_id: '9717b597-65f4-4ac3-8ec0-f5dd83369e7c',
  tools: ['Read', 'Glob', 'Grep'],
  mcp_servers: [],
  model: 'claude-opus-4-8[1m]',
  permissionMode: 'default',
  apiKeySource: 'ANTHROPIC_API_KEY',
  claude_code_version: '2.1.197',
};
export const claudeAssistant = (text: string, id = 'msg_stub', extra: Record<string, unknown> = {}) => ({
  type: 'assistant',
  message: {
    id,
    type: 'message',
    role: 'assistant',
    model: extra.error ? '<synthetic>' : 'claude-opus-4-8',
    content: [{ type: 'text', text }],
    stop_reason: null,
    usage: { input_tokens: 10, output_tokens: 1 },
  },
  parent_tool_use_id: null,
  session_id: '9717b597-65f4-4ac3-8ec0-f5dd83369e7c',
  ...extra,
});
export const claudeResult = (over: Record<string, unknown> = {}) => ({
  type: 'result',
  subtype: 'success',
  is_error: false,
  api_error_status: null,
  duration_ms: 224,
  num_turns: 1,
  result: 'STUB-CRITIQUE: the plan looks fine; add tests.',
  stop_reason: 'end_turn',
  session_id: '9717b597-65f4-4ac3-8ec0-f5dd83369e7c',
  total_cost_usd: 0.000175,
  usage: { input_tokens: 10, cache_creation_input_tokens: 0, cache_read_input_tokens: 3, output_tokens: 5 },
  ...over,
});
export const CLAUDE_STREAM_OK = jsonl(
  CLAUDE_INIT,
  claudeAssistant('STUB-CRITIQUE: the plan looks fine; add tests.'),
  claudeResult(),
);
export const claudeStreamError = (status: number, message: string, tag: string) =>
  jsonl(
    CLAUDE_INIT,
    claudeAssistant(message, 'msg_err', { error: tag, is_api_error_message: true }),
    claudeResult({ is_error: true, api_error_status: status, result: message, terminal_reason: 'api_error' }),
  );

// ---- codex
export const CODEX_JSON_OK = jsonl(
  { type: 'thread.started', thread_id: '01a21358-ab8e-75a1-8c2a-dc35b8ed4e87' },
  {
    type: 'item.completed',
    item: {
      id: 'item_0',
      type: 'error',
      message:
        'Model metadata for `gpt-5` not found. Defaulting to fallback metadata; this can degrade performance and cause issues.',
    },
  },
  { type: 'turn.started' },
  {
    type: 'item.completed',
    item: { id: 'item_1', type: 'agent_message', text: 'STUB-CRITIQUE: the plan looks fine; add tests.' },
  },
  {
    type: 'turn.completed',
    usage: {
      input_tokens: 10,
      cached_input_tokens: 2,
      cache_write_input_tokens: 0,
      output_tokens: 5,
      reasoning_output_tokens: 0,
    },
  },
);
export const codexJsonError = (message: string) =>
  jsonl(
    { type: 'thread.started', thread_id: 't1' },
    { type: 'turn.started' },
    { type: 'error', message },
    { type: 'turn.failed', error: { message } },
  );
export const CODEX_STDERR =
  'WARNING: proceeding, even though we could not create PATH aliases: Refusing to create helper binaries under temporary dir "/tmp" (codex_home: AbsolutePathBuf("/home/dev/.codex"))\n';

// ---- gemini
export const GEMINI_STREAM_OK = jsonl(
  { type: 'init', timestamp: '2026-11-25T15:30:59.897Z', session_id: '7a397808', model: 'auto' },
  { type: 'message', timestamp: '2026-11-25T15:30:59.899Z', role: 'user', content: 'Critique this plan: X' },
  { type: 'message', role: 'assistant', content: 'STUB-CRITIQUE: the plan ', delta: true },
  { type: 'message', role: 'assistant', content: 'looks fine; add tests.', delta: true },
  {
    type: 'result',
    timestamp: '2026-11-25T15:31:00.000Z',
    status: 'success',
    stats: {
      total_tokens: 30,
      input_tokens: 20,
      output_tokens: 10,
      cached: 4,
      input: 20,
      duration_ms: 103,
      tool_calls: 0,
    },
  },
);
export const geminiStreamError = (type: string, message: string) =>
  jsonl({
    type: 'result',
    timestamp: 't',
    status: 'error',
    error: { type, message },
    stats: { total_tokens: 0 },
  });
export const GEMINI_JSON_OK = JSON.stringify(
  {
    session_id: '69a7624d',
    response: 'STUB-CRITIQUE: the plan looks fine; add tests.',
    stats: {
      models: {
        'gemini-3.5-flash-lite': { tokens: { input: 10, prompt: 10, candidates: 5, total: 15, cached: 0 } },
        'gemini-3.8-flash': { tokens: { input: 10, prompt: 10, candidates: 5, total: 15, cached: 1 } },
      },
    },
  },
  null,
  2,
);
export const GEMINI_STDERR =
  'Warning: 256-color support not detected. Using a terminal with at least 256-color support is recommended for a better visual experience.\nRipgrep is not available. Falling back to GrepTool.\n';
