// The outcome line of each admitted tool call: ok, error with the result's code, deny when the transport refused
// the request, allow when the session ended unanswered; exactly one line per call.
import { describe, expect, it } from 'vitest';
import { ToolCallAudit } from '../../src/http/call-audit.js';
import type { HttpAuditEntry } from '../../src/http/hooks.js';

const call = (id: string): HttpAuditEntry => ({
  event: 'tool_call',
  decision: 'allow',
  principal: 'alice',
  tool: 'roast',
  requestId: id,
  status: 200,
});

function tracker() {
  const lines: HttpAuditEntry[] = [];
  return { calls: new ToolCallAudit((e) => lines.push(e)), lines };
}

describe('ToolCallAudit', () => {
  it('writes ok for a result and error with the code of a tool error result', () => {
    const { calls, lines } = tracker();
    calls.admit([call('1'), call('2')]);
    expect(lines).toEqual([]);
    calls.observe({
      jsonrpc: '2.0',
      method: 'notifications/progress',
      params: { progressToken: 1, progress: 1 },
    });
    calls.observe({ jsonrpc: '2.0', id: 9, result: {} });
    calls.observe({
      jsonrpc: '2.0',
      id: 2,
      result: { isError: true, structuredContent: { error: { code: 'CLI_TIMEOUT' } } },
    });
    calls.observe({ jsonrpc: '2.0', id: 1, result: { content: [] } });
    calls.observe({ jsonrpc: '2.0', id: 1, result: { content: [] } });
    expect(lines.map((l) => [l.requestId, l.decision, l.code])).toEqual([
      ['2', 'error', 'CLI_TIMEOUT'],
      ['1', 'ok', undefined],
    ]);
  });

  it('maps JSON-RPC errors: our code when it carries one, else INVALID_ARGUMENT for bad params', () => {
    const { calls, lines } = tracker();
    calls.admit([call('1'), call('2'), call('3')]);
    calls.observe({
      jsonrpc: '2.0',
      id: 1,
      error: { code: -32000, message: 'x', data: { code: 'QUEUE_FULL' } },
    });
    calls.observe({ jsonrpc: '2.0', id: 2, error: { code: -32602, message: 'bad params' } });
    calls.observe({
      jsonrpc: '2.0',
      id: 3,
      error: { code: -32603, message: 'boom', data: { code: 'NOPE' } },
    });
    expect(lines.map((l) => [l.decision, l.code])).toEqual([
      ['error', 'QUEUE_FULL'],
      ['error', 'INVALID_ARGUMENT'],
      ['error', 'INTERNAL_ERROR'],
    ]);
  });

  it('writes deny with the status for a request the transport refused, and nothing for forgotten ids', () => {
    const { calls, lines } = tracker();
    calls.admit([call('1'), call('2')]);
    calls.refused(['1'], 406);
    calls.forget(['2']);
    calls.close();
    expect(lines.map((l) => [l.requestId, l.decision, l.status])).toEqual([['1', 'deny', 406]]);
  });

  it('keeps allow for calls the session ended before answering, and for an id reused in flight', () => {
    const { calls, lines } = tracker();
    calls.admit([call('1')]);
    calls.admit([call('1')]);
    calls.close();
    calls.observe({ jsonrpc: '2.0', id: 1, result: {} });
    expect(lines.map((l) => [l.requestId, l.decision])).toEqual([
      ['1', 'allow'],
      ['1', 'allow'],
    ]);
  });
});
