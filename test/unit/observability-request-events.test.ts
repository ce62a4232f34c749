/** How a tool result or error code maps to a request outcome, and the start/end events a tool call publishes. */
import { afterEach, describe, expect, it } from 'vitest';
import {
  observeToolCall,
  outcomeOfCode,
  outcomeOfResult,
  type RequestEndEvent,
  type RequestStartEvent,
  requestEndChannel,
  requestStartChannel,
  runInRequest,
} from '../../src/observability/index.js';

describe('outcomeOfResult', () => {
  it.each([
    [{ structuredContent: { status: 'running' } }, { outcome: 'pending' }],
    [{ isError: true, structuredContent: { status: 'cancelled' } }, { outcome: 'cancelled' }],
    [{ structuredContent: { status: 'done' } }, { outcome: 'ok' }],
    [{}, { outcome: 'ok' }],
    [
      { isError: true, structuredContent: { error: { code: 'PATH_OUTSIDE_ROOT' } } },
      { outcome: 'client_error', code: 'PATH_OUTSIDE_ROOT' },
    ],
    [
      { isError: true, structuredContent: { error: { code: 'QUEUE_FULL' } } },
      { outcome: 'unavailable', code: 'QUEUE_FULL' },
    ],
    [
      { isError: true, structuredContent: { error: { code: 'NOT_A_CODE' } } },
      { outcome: 'unavailable', code: 'INTERNAL_ERROR' },
    ],
    [
      { isError: true, structuredContent: { error: 'text' } },
      { outcome: 'unavailable', code: 'INTERNAL_ERROR' },
    ],
    [{ isError: true }, { outcome: 'unavailable', code: 'INTERNAL_ERROR' }],
  ])('reads %j as %j', (result, expected) => {
    expect(outcomeOfResult(result)).toEqual(expected);
  });
});

describe('outcomeOfCode', () => {
  it('counts 4xx as the caller’s, but not 429, and cancellation apart', () => {
    expect(outcomeOfCode('CANCELLED')).toBe('cancelled');
    expect(outcomeOfCode('INVALID_ARGUMENT')).toBe('client_error');
    expect(outcomeOfCode('RATE_LIMITED')).toBe('error');
    expect(outcomeOfCode('CLI_TIMEOUT')).toBe('error');
  });
});

describe('observeToolCall', () => {
  const offs: Array<() => void> = [];
  afterEach(() => {
    for (const off of offs.splice(0)) off();
  });

  it('returns the result and publishes nothing when nobody listens', async () => {
    expect(requestEndChannel.hasSubscribers || requestStartChannel.hasSubscribers).toBe(false);
    expect(await observeToolCall({ principal: 'p' }, async () => ({ isError: false }))).toEqual({
      isError: false,
    });
  });

  it('publishes an end event alone, outside any request, with empty ids and no domain', async () => {
    const ends: RequestEndEvent[] = [];
    offs.push(requestEndChannel.subscribe((e) => ends.push(e)));
    await observeToolCall({ principal: 'alice', domain: 42 }, async () => ({}));
    expect(ends).toHaveLength(1);
    expect(ends[0]).toMatchObject({
      requestId: '',
      tool: '',
      principal: 'alice',
      outcome: 'ok',
      domain: undefined,
    });
  });

  it('publishes the start alone when only it is listened to, with the request’s tool and id', async () => {
    const starts: RequestStartEvent[] = [];
    offs.push(requestStartChannel.subscribe((e) => starts.push(e)));
    const requestId = await runInRequest('roast', async (request) => {
      await observeToolCall({ principal: 'bob' }, async () => ({}));
      return request.requestId;
    });
    expect(starts).toEqual([{ requestId, tool: 'roast', principal: 'bob' }]);
  });

  it('ends a call that throws as error INTERNAL_ERROR and rethrows it', async () => {
    const ends: RequestEndEvent[] = [];
    offs.push(requestEndChannel.subscribe((e) => ends.push(e)));
    const boom = new Error('boom');
    await expect(
      observeToolCall({ principal: 'alice', domain: 'security' }, async () => Promise.reject(boom)),
    ).rejects.toBe(boom);
    expect(ends[0]).toMatchObject({ outcome: 'error', code: 'INTERNAL_ERROR', domain: 'security' });
    expect(ends[0]!.durationMs).toBeGreaterThanOrEqual(0);
  });
});
