/**
 * Scripted-client mode of the stub model: reads the tools offered and the tool results returned in a request
 * (per wire API), and writes the model's next step (a tool call or text) in that API's stream format.
 */

import type { StubApi } from './types.js';
import { openaiResponseObject, type SseFrame } from './wire.js';

/** A tool call the scripted model makes; `namespace` is for Codex, which groups MCP tools per server. */
export interface ScriptedCall {
  readonly name: string;
  readonly namespace?: string;
  readonly input: Record<string, unknown>;
}

/** The model's next step: call a tool, or answer with text (which ends the client's turn). */
export type ClientStep = { readonly call: ScriptedCall } | { readonly text: string };

/** One tool result as the model receives it: the call it answers and the exact text it carries. */
export interface SeenToolResult {
  /** The wire name of the tool that was called (e.g. mcp__brutalist__roast, roast, mcp_brutalist_roast). */
  readonly name: string;
  readonly input: unknown;
  /** Everything the model reads of the result, joined (text blocks; JSON for structured parts). */
  readonly text: string;
}

/** Picks the next step from the tool results already in the conversation (stateless: retries are safe). */
export type ClientScript = (seen: readonly SeenToolResult[]) => ClientStep;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v ?? null));

/** Text of a result payload: a string, text blocks, or anything else as JSON. */
function payloadText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    return v.map((b) => (isObject(b) && typeof b.text === 'string' ? b.text : JSON.stringify(b))).join('\n');
  }
  return JSON.stringify(v ?? null);
}

/** The names of the tools offered to the model in this request (Codex namespaces flattened as ns/name). */
export function toolNamesIn(api: StubApi, body: unknown): string[] {
  if (!isObject(body)) return [];
  const tools = arr(body.tools);
  if (api === 'gemini') {
    return tools.flatMap((t) =>
      arr(isObject(t) ? t.functionDeclarations : []).map((f) => str((f as Json).name)),
    );
  }
  return tools.flatMap((t) => {
    if (!isObject(t)) return [];
    if (t.type === 'namespace') return arr(t.tools).map((f) => `${str(t.name)}/${str((f as Json).name)}`);
    return [str(t.name)];
  });
}

/** Every tool result in the conversation so far, oldest first, paired with the call it answers. */
export function toolResultsIn(api: StubApi, body: unknown): SeenToolResult[] {
  if (!isObject(body)) return [];
  if (api === 'anthropic') {
    const calls = new Map<string, { name: string; input: unknown }>();
    const out: SeenToolResult[] = [];
    for (const m of arr(body.messages)) {
      for (const b of arr(isObject(m) ? m.content : [])) {
        if (!isObject(b)) continue;
        if (b.type === 'tool_use') calls.set(str(b.id), { name: str(b.name), input: b.input });
        if (b.type === 'tool_result') {
          const call = calls.get(str(b.tool_use_id));
          out.push({ name: call?.name ?? '?', input: call?.input, text: payloadText(b.content) });
        }
      }
    }
    return out;
  }
  if (api === 'openai') {
    const calls = new Map<string, { name: string; input: unknown }>();
    const out: SeenToolResult[] = [];
    for (const item of arr(body.input)) {
      if (!isObject(item)) continue;
      if (item.type === 'function_call') {
        let input: unknown = item.arguments;
        try {
          input = JSON.parse(str(item.arguments));
        } catch {
          // Keep the raw string.
        }
        calls.set(str(item.call_id), { name: str(item.name), input });
      }
      if (item.type === 'function_call_output') {
        const call = calls.get(str(item.call_id));
        out.push({ name: call?.name ?? '?', input: call?.input, text: payloadText(item.output) });
      }
    }
    return out;
  }
  const calls: Array<{ name: string; input: unknown }> = [];
  const out: SeenToolResult[] = [];
  for (const c of arr(body.contents)) {
    for (const p of arr(isObject(c) ? c.parts : [])) {
      if (!isObject(p)) continue;
      if (isObject(p.functionCall))
        calls.push({ name: str(p.functionCall.name), input: p.functionCall.args });
      if (isObject(p.functionResponse)) {
        const name = str(p.functionResponse.name);
        const i = calls.findIndex((call) => call.name === name);
        const call = i >= 0 ? calls.splice(i, 1)[0] : undefined;
        // Gemini CLI wraps an MCP result as {output: "<text>"}: keep the text itself, unescaped.
        const response = p.functionResponse.response;
        const output = isObject(response) && Object.keys(response).length === 1 ? response.output : undefined;
        const text = typeof output === 'string' ? output : payloadText(response);
        out.push({ name, input: call?.input, text });
      }
    }
  }
  return out;
}

/** The frames of a streamed answer that is one tool call, in the API's format. `n` makes ids unique. */
export function toolCallFrames(api: StubApi, model: string, call: ScriptedCall, n: number): SseFrame[] {
  const args = JSON.stringify(call.input);
  if (api === 'anthropic') {
    const id = `toolu_stub_${String(n).padStart(4, '0')}`;
    return [
      {
        event: 'message_start',
        data: {
          type: 'message_start',
          message: {
            id: `msg_stub_${n}`,
            type: 'message',
            role: 'assistant',
            model,
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { input_tokens: 10, output_tokens: 1 },
          },
        },
      },
      {
        event: 'content_block_start',
        data: {
          type: 'content_block_start',
          index: 0,
          content_block: { type: 'tool_use', id, name: call.name, input: {} },
        },
      },
      {
        event: 'content_block_delta',
        data: {
          type: 'content_block_delta',
          index: 0,
          delta: { type: 'input_json_delta', partial_json: args },
        },
      },
      { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
      {
        event: 'message_delta',
        data: {
          type: 'message_delta',
          delta: { stop_reason: 'tool_use', stop_sequence: null },
          usage: { output_tokens: 20 },
        },
      },
      { event: 'message_stop', data: { type: 'message_stop' } },
    ];
  }
  if (api === 'openai') {
    const ids = { id: `fc_stub_${n}`, call_id: `call_stub_${n}` };
    const item = (status: string, argsSoFar: string) => ({
      type: 'function_call',
      ...ids,
      name: call.name,
      ...(call.namespace ? { namespace: call.namespace } : {}),
      arguments: argsSoFar,
      status,
    });
    const response = (status: string, output: unknown[]) =>
      openaiResponseObject(`resp_stub_${n}`, model, status, output, { input: 10, output: 20 });
    return [
      {
        event: 'response.created',
        data: { type: 'response.created', response: response('in_progress', []) },
      },
      {
        event: 'response.output_item.added',
        data: { type: 'response.output_item.added', output_index: 0, item: item('in_progress', '') },
      },
      {
        event: 'response.function_call_arguments.delta',
        data: {
          type: 'response.function_call_arguments.delta',
          item_id: ids.id,
          output_index: 0,
          delta: args,
        },
      },
      {
        event: 'response.function_call_arguments.done',
        data: {
          type: 'response.function_call_arguments.done',
          item_id: ids.id,
          output_index: 0,
          arguments: args,
        },
      },
      {
        event: 'response.output_item.done',
        data: { type: 'response.output_item.done', output_index: 0, item: item('completed', args) },
      },
      {
        event: 'response.completed',
        data: { type: 'response.completed', response: response('completed', [item('completed', args)]) },
      },
    ];
  }
  return [
    {
      data: {
        candidates: [
          {
            content: { parts: [{ functionCall: { name: call.name, args: call.input } }], role: 'model' },
            finishReason: 'STOP',
            index: 0,
          },
        ],
        usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 20, totalTokenCount: 30 },
        modelVersion: model,
      },
    },
  ];
}
