/** The three vendor wire formats: SSE event sequences, non-streamed bodies and error bodies. */
import type { StubApi } from './types.js';

/** One SSE frame as the vendor writes it (Gemini sends data-only frames). */
export interface SseFrame {
  readonly event?: string;
  readonly data: unknown;
}

export function encodeFrame(frame: SseFrame): string {
  const event = frame.event ? `event: ${frame.event}\n` : '';
  return `${event}data: ${JSON.stringify(frame.data)}\n\n`;
}

/** A stream: frames before the text, one frame per text delta, frames after it. */
export interface StreamPlan {
  readonly head: readonly SseFrame[];
  delta(text: string): SseFrame;
  tail(fullText: string): readonly SseFrame[];
}

const INPUT_TOKENS = 10;
const tokensOf = (text: string) => Math.max(1, Math.ceil(text.length / 4));

function anthropicMessage(model: string, content: unknown[], outputTokens: number, stop: string | null) {
  return {
    id: 'msg_stub_0001',
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: stop,
    stop_sequence: null,
    usage: { input_tokens: INPUT_TOKENS, output_tokens: outputTokens },
  };
}

function anthropicStream(model: string): StreamPlan {
  return {
    head: [
      {
        event: 'message_start',
        data: { type: 'message_start', message: anthropicMessage(model, [], 1, null) },
      },
      {
        event: 'content_block_start',
        data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      },
      { event: 'ping', data: { type: 'ping' } },
    ],
    delta: (text) => ({
      event: 'content_block_delta',
      data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } },
    }),
    tail: (full) => [
      { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
      {
        event: 'message_delta',
        data: {
          type: 'message_delta',
          delta: { stop_reason: 'end_turn', stop_sequence: null },
          usage: { output_tokens: tokensOf(full) },
        },
      },
      { event: 'message_stop', data: { type: 'message_stop' } },
    ],
  };
}

/** An OpenAI Responses `response` object; usage only once it is completed. */
export function openaiResponseObject(
  id: string,
  model: string,
  status: string,
  output: unknown[],
  tokens: { readonly input: number; readonly output: number },
) {
  return {
    id,
    object: 'response',
    created_at: 1_700_000_000,
    status,
    model,
    output,
    usage:
      status === 'completed'
        ? {
            input_tokens: tokens.input,
            input_tokens_details: { cached_tokens: 0 },
            output_tokens: tokens.output,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: tokens.input + tokens.output,
          }
        : null,
  };
}

function openaiResponse(model: string, status: string, output: unknown[], text: string) {
  return openaiResponseObject('resp_stub_0001', model, status, output, {
    input: INPUT_TOKENS,
    output: tokensOf(text),
  });
}

function openaiStream(model: string): StreamPlan {
  const item = (text: string, status: string) => ({
    id: 'msg_stub_0001',
    type: 'message',
    status,
    role: 'assistant',
    content: status === 'completed' ? [{ type: 'output_text', text, annotations: [] }] : [],
  });
  const ids = { item_id: 'msg_stub_0001', output_index: 0, content_index: 0 };
  return {
    head: [
      {
        event: 'response.created',
        data: { type: 'response.created', response: openaiResponse(model, 'in_progress', [], '') },
      },
      {
        event: 'response.in_progress',
        data: { type: 'response.in_progress', response: openaiResponse(model, 'in_progress', [], '') },
      },
      {
        event: 'response.output_item.added',
        data: { type: 'response.output_item.added', output_index: 0, item: item('', 'in_progress') },
      },
      {
        event: 'response.content_part.added',
        data: {
          type: 'response.content_part.added',
          ...ids,
          part: { type: 'output_text', text: '', annotations: [] },
        },
      },
    ],
    delta: (text) => ({
      event: 'response.output_text.delta',
      data: { type: 'response.output_text.delta', ...ids, delta: text },
    }),
    tail: (full) => [
      { event: 'response.output_text.done', data: { type: 'response.output_text.done', ...ids, text: full } },
      {
        event: 'response.content_part.done',
        data: {
          type: 'response.content_part.done',
          ...ids,
          part: { type: 'output_text', text: full, annotations: [] },
        },
      },
      {
        event: 'response.output_item.done',
        data: { type: 'response.output_item.done', output_index: 0, item: item(full, 'completed') },
      },
      {
        event: 'response.completed',
        data: {
          type: 'response.completed',
          response: openaiResponse(model, 'completed', [item(full, 'completed')], full),
        },
      },
    ],
  };
}

function geminiChunk(text: string, finished: boolean, model: string, full = text) {
  return {
    candidates: [
      {
        content: { parts: [{ text }], role: 'model' },
        ...(finished ? { finishReason: 'STOP' } : {}),
        index: 0,
      },
    ],
    usageMetadata: {
      promptTokenCount: INPUT_TOKENS,
      candidatesTokenCount: tokensOf(full),
      totalTokenCount: INPUT_TOKENS + tokensOf(full),
    },
    modelVersion: model,
  };
}

function geminiStream(model: string): StreamPlan {
  return {
    head: [],
    delta: (text) => ({ data: geminiChunk(text, false, model) }),
    // The last chunk carries the finish reason; an empty text part keeps the shape the CLI expects.
    tail: (full) => [{ data: geminiChunk('', true, model, full) }],
  };
}

export function streamPlan(api: StubApi, model: string): StreamPlan {
  switch (api) {
    case 'anthropic':
      return anthropicStream(model);
    case 'openai':
      return openaiStream(model);
    case 'gemini':
      return geminiStream(model);
  }
}

/** The whole answer as one JSON body (Anthropic stream:false, Gemini :generateContent). */
export function jsonBody(api: StubApi, model: string, text: string): unknown {
  switch (api) {
    case 'anthropic':
      return anthropicMessage(model, [{ type: 'text', text }], tokensOf(text), 'end_turn');
    case 'openai':
      return openaiResponse(
        model,
        'completed',
        [
          {
            id: 'msg_stub_0001',
            type: 'message',
            status: 'completed',
            role: 'assistant',
            content: [{ type: 'output_text', text, annotations: [] }],
          },
        ],
        text,
      );
    case 'gemini':
      return geminiChunk(text, true, model);
  }
}

const ANTHROPIC_ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  429: 'rate_limit_error',
  529: 'overloaded_error',
};
const GEMINI_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  503: 'UNAVAILABLE',
};

/** The vendor's error body for an HTTP status. */
export function errorBody(api: StubApi, status: number, message: string): unknown {
  switch (api) {
    case 'anthropic':
      return { type: 'error', error: { type: ANTHROPIC_ERROR_TYPES[status] ?? 'api_error', message } };
    case 'openai':
      return {
        error: {
          message,
          type:
            status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'server_error' : 'invalid_request_error',
          param: null,
          code: null,
        },
      };
    case 'gemini':
      return { error: { code: status, message, status: GEMINI_STATUS[status] ?? 'INTERNAL' } };
  }
}

/** A minimal value matching a JSON schema (Gemini's router asks for JSON with `responseJsonSchema`). */
export function sampleFromSchema(schema: unknown, depth = 0): unknown {
  if (typeof schema !== 'object' || schema === null || depth > 8) return null;
  const s = schema as Record<string, unknown>;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  switch (String(s.type ?? 'object').toLowerCase()) {
    case 'object': {
      const props = (s.properties ?? {}) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, sampleFromSchema(v, depth + 1)]));
    }
    case 'array':
      return [];
    case 'integer':
    case 'number':
      return 50;
    case 'boolean':
      return false;
    default:
      return 'stub';
  }
}
