/** The HTTP pipeline's small parts: request targets and headers, limiter charges, tool calls and scopes, refusal headers. */
import type { IncomingMessage } from 'node:http';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { BrutalistError, isBrutalistError } from '../../src/errors/index.js';
import {
  checkScopes,
  errorHeaders,
  header,
  limitOf,
  pathOf,
  settled,
  throwIfLimited,
  toolCalls,
} from '../../src/http/pipeline-parts.js';

describe('request targets and headers', () => {
  it('takes the path without its query, and "/" for no target', () => {
    expect([pathOf('/mcp?session=1'), pathOf('/healthz'), pathOf(undefined)]).toEqual([
      '/mcp',
      '/healthz',
      '/',
    ]);
  });

  it('reads the first of a repeated header', () => {
    const req = { headers: { 'x-a': ['one', 'two'], 'x-b': 'only' } } as unknown as IncomingMessage;
    expect([header(req, 'x-a'), header(req, 'x-b'), header(req, 'x-c')]).toEqual(['one', 'only', undefined]);
  });
});

describe('limiter charges', () => {
  it('is no charge without a limiter, and a failing limiter becomes an INTERNAL_ERROR refusal', async () => {
    expect(settled(undefined)).toBeNull();
    expect(await limitOf(null)).toBeNull();
    const failed = await limitOf(settled(Promise.reject(new Error('redis down'))));
    expect(isBrutalistError(failed) && failed.code).toBe('INTERNAL_ERROR');
  });

  it('throws the refusal a charge settles with, and nothing for an allowed one', async () => {
    const limited = new BrutalistError('TOO_MANY_REQUESTS', undefined, { data: { retryAfterMs: 1_000 } });
    await expect(throwIfLimited(settled(Promise.resolve(limited)))).rejects.toBe(limited);
    await expect(throwIfLimited(settled(Promise.resolve(null)))).resolves.toBeUndefined();
  });
});

describe('tool calls and scopes', () => {
  const messages = [
    {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'roast_cli_debate', arguments: { a: 1 } },
    },
    { jsonrpc: '2.0', id: 2, method: 'tools/list' },
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { jsonrpc: '2.0', id: 3, method: 'tools/call' },
    { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'x'.repeat(100) } },
  ] as JSONRPCMessage[];

  it('lists only tools/call requests, with the name cut to 64 characters and empty when missing', () => {
    expect(toolCalls(messages)).toEqual([
      { tool: 'roast_cli_debate', id: 1, arguments: { a: 1 } },
      { tool: '', id: 3, arguments: undefined },
      { tool: 'x'.repeat(64), id: 4, arguments: undefined },
    ]);
  });

  it('refuses the first call outside the key’s scopes with INSUFFICIENT_SCOPE, and lets unknown tools through', () => {
    const roastOnly = { name: 'ci', scopes: new Set(['roast'] as const) };
    let refusal: unknown;
    try {
      checkScopes(roastOnly as never, toolCalls(messages));
    } catch (err) {
      refusal = err;
    }
    expect(isBrutalistError(refusal) && [refusal.code, refusal.data]).toEqual([
      'INSUFFICIENT_SCOPE',
      { scope: 'debate', tool: 'roast_cli_debate', requestId: 1 },
    ]);
    expect(() =>
      checkScopes(roastOnly as never, [{ tool: 'not_a_tool', id: 9, arguments: undefined }]),
    ).not.toThrow();
  });
});

describe('errorHeaders', () => {
  const unauth = (reason: string) => new BrutalistError('UNAUTHENTICATED', undefined, { data: { reason } });

  it('challenges a missing, malformed or invalid token with the matching Bearer error', () => {
    const challenges = ['missing', 'malformed', 'invalid', 'expired'].map(
      (reason) => errorHeaders(unauth(reason), 'https://app', undefined)['WWW-Authenticate'],
    );
    expect(challenges[1]).toMatch(/error="invalid_request"/);
    expect(challenges[2]).toMatch(/error="invalid_token"/);
    // Any other reason is challenged as a missing token (no error attribute).
    expect(challenges[3]).toBe(challenges[0]);
    expect(challenges[0]).not.toMatch(/error=/);
  });

  it('names the missing scope, or uses the given challenge for 401 and scope refusals', () => {
    const scope = new BrutalistError('INSUFFICIENT_SCOPE', undefined, { data: { scope: 'debate' } });
    expect(errorHeaders(scope, 'https://app', undefined)['WWW-Authenticate']).toMatch(/scope="debate"/);
    const own = (e: BrutalistError) => `Custom ${e.code}`;
    expect(errorHeaders(scope, 'https://app', own)['WWW-Authenticate']).toBe('Custom INSUFFICIENT_SCOPE');
    expect(errorHeaders(unauth('invalid'), 'https://app', own)['WWW-Authenticate']).toBe(
      'Custom UNAUTHENTICATED',
    );
  });

  it('rounds retryAfterMs up to whole seconds, at least 1, and varies on Origin only when refused or absent', () => {
    const limited = (ms: number) =>
      new BrutalistError('QUEUE_FULL', undefined, { data: { retryAfterMs: ms } });
    expect(errorHeaders(limited(2_500), 'https://app', undefined)).toEqual({ 'Retry-After': '3' });
    expect(errorHeaders(limited(0), undefined, undefined)).toEqual({ 'Retry-After': '1', Vary: 'Origin' });
    expect(errorHeaders(new BrutalistError('ORIGIN_NOT_ALLOWED'), 'https://evil', undefined)).toEqual({
      Vary: 'Origin',
    });
  });
});
