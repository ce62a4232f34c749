// The rate-limit and audit hooks of the HTTP pipeline: where they are called, what they see, what a refusal does.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BrutalistError } from '../../src/errors/index.js';
import type { HttpAuditEntry } from '../../src/http/index.js';
import type { HttpService } from '../../src/transport/index.js';
import { makeSandbox, type Sandbox } from '../support/harness.js';
import { connectHttp, INITIALIZE, raw, startService, writeKeys } from '../support/http.js';

let sandbox: Sandbox;
let service: HttpService | undefined;
let keys: ReturnType<typeof writeKeys>;
let audit: HttpAuditEntry[];
let failures: string[];
let limited: Set<string>;

beforeEach(async () => {
  sandbox = makeSandbox('brutalist-http-hooks-');
  keys = writeKeys(sandbox, { alice: ['roast', 'debate'], bob: ['roast'] });
  audit = [];
  failures = [];
  limited = new Set();
  const refuse = () => new BrutalistError('QUEUE_FULL', 'slow down', { data: { retryAfterMs: 2_500 } });
  service = await startService(
    sandbox,
    { apiKeysFile: keys.file },
    {
      hooks: {
        audit: (entry) => audit.push(entry),
        authFailed: async (ip) => {
          failures.push(ip);
          return failures.length > 2 ? refuse() : null;
        },
        rateLimit: async ({ principal }) => (limited.has(principal) ? refuse() : null),
      },
    },
  );
});

afterEach(async () => {
  await service?.close();
  sandbox.cleanup();
});

describe('audit hook', () => {
  it('gets one allow line per tool call with critics and target, never the context', async () => {
    const { client } = await connectHttp(service!, keys.tokens.alice);
    try {
      const result = (await client.callTool({
        name: 'roast',
        arguments: {
          domain: 'codebase',
          target: sandbox.project,
          clis: ['claude'],
          context: 'SECRETCONTEXT\n@@fake text=ok',
        },
      })) as CallToolResult;
      expect(result.isError ?? false).toBe(false);
    } finally {
      await client.close();
    }
    const calls = audit.filter((e) => e.event === 'tool_call');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      decision: 'allow',
      principal: 'alice',
      tool: 'roast',
      critics: ['claude'],
      target: sandbox.project,
      status: 200,
    });
    expect(calls[0]?.session).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(audit)).not.toContain('SECRETCONTEXT');
    expect(JSON.stringify(audit)).not.toContain(keys.tokens.alice);
  });

  it('gets one deny line per refusal, naming the check and code', async () => {
    await raw(service!, { body: INITIALIZE, headers: { origin: 'https://evil.example.com' } });
    await raw(service!, { body: INITIALIZE, headers: { host: 'evil' } });
    await raw(service!, {
      body: {
        jsonrpc: '2.0',
        id: 5,
        method: 'tools/call',
        params: { name: 'roast_cli_debate', arguments: {} },
      },
      headers: { authorization: `Bearer ${keys.tokens.bob}`, 'mcp-session-id': 'x' },
    });
    expect(audit.map((e) => [e.event, e.decision, e.code, e.status])).toEqual([
      ['origin', 'deny', 'ORIGIN_NOT_ALLOWED', 403],
      ['host', 'deny', 'HOST_NOT_ALLOWED', 403],
      ['scope', 'deny', 'INSUFFICIENT_SCOPE', 403],
    ]);
    expect(audit[2]).toMatchObject({ principal: 'bob', tool: 'roast_cli_debate', requestId: '5' });
  });
});

describe('rate-limit hooks', () => {
  it('counts failed authentications per IP and answers 429 with Retry-After once it refuses', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push(
        (await raw(service!, { body: INITIALIZE, headers: { authorization: 'Bearer wrong' } })).status,
      );
    }
    expect(statuses).toEqual([401, 401, 429]);
    expect(failures).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1']);
    const res = await raw(service!, { body: INITIALIZE, headers: { authorization: 'Bearer wrong' } });
    expect(res.headers['retry-after']).toBe('3');
  });

  it('refuses a limited principal with 429 and lets others through; health stays exempt', async () => {
    limited.add('bob');
    const bob = await raw(service!, {
      body: INITIALIZE,
      headers: { authorization: `Bearer ${keys.tokens.bob}` },
    });
    expect(bob.status).toBe(429);
    expect(bob.headers['retry-after']).toBe('3');
    const alice = await raw(service!, {
      body: INITIALIZE,
      headers: { authorization: `Bearer ${keys.tokens.alice}` },
    });
    expect(alice.status).toBe(200);
    expect((await raw(service!, { method: 'GET', path: '/healthz' })).status).toBe(200);
  });
});
