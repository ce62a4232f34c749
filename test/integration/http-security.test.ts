// The security matrix of `serve --http` over real HTTP: Host, Origin, bearer, scopes, sessions, body limits.
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpService } from '../../src/transport/index.js';
import { makeSandbox, type Sandbox } from '../support/harness.js';
import { connectHttp, INITIALIZE, raw, startService, writeKeys } from '../support/http.js';

const ORIGIN = 'https://app.example.com';
let sandbox: Sandbox;
let service: HttpService;
let keys: ReturnType<typeof writeKeys>;
const logLines: string[] = [];

beforeAll(async () => {
  sandbox = makeSandbox('brutalist-http-sec-');
  keys = writeKeys(sandbox, {
    alice: ['roast', 'debate'],
    bob: ['roast'],
    carol: ['roast'],
  });
  service = await startService(
    sandbox,
    {
      apiKeysFile: keys.file,
      allowedOrigins: [ORIGIN],
      maxMessageBytes: 2 * 1024 * 1024,
      maxContextChars: 100_000,
      httpMaxJsonDepth: 32,
    },
    { logLines },
  );
});

afterAll(async () => {
  await service?.close();
  sandbox?.cleanup();
});

const auth = (name: string) => ({ authorization: `Bearer ${keys.tokens[name]}` });

/** A new session of `name` by a raw initialize; its id. */
async function openSession(name: string): Promise<string> {
  const res = await raw(service, { body: INITIALIZE, headers: auth(name) });
  expect(res.status, res.text).toBe(200);
  return String(res.headers['mcp-session-id']);
}

describe('Host', () => {
  it.each([
    ['evil', { host: 'evil.example.com' }],
    ['evil with our port', { host: `rebind.attacker.test:${0}` }],
    ['missing', { host: null }],
  ])('refuses a %s Host with 403 HOST_NOT_ALLOWED, before authentication', async (_, headers) => {
    const res = await raw(service, { body: INITIALIZE, headers: { ...auth('alice'), ...headers } });
    expect(res.status).toBe(403);
    expect(res.json().error.data.code).toBe('HOST_NOT_ALLOWED');
  });

  it.each(['127.0.0.1', 'localhost', '[::1]'])(
    'accepts the loopback name %s at the bound port',
    async (name) => {
      const res = await raw(service, {
        body: INITIALIZE,
        headers: { ...auth('alice'), host: `${name}:${service.port}` },
      });
      expect(res.status, res.text).toBe(200);
    },
  );

  it('checks Host on the health endpoints too', async () => {
    expect((await raw(service, { method: 'GET', path: '/healthz' })).status).toBe(200);
    expect((await raw(service, { method: 'GET', path: '/healthz', headers: { host: 'evil' } })).status).toBe(
      403,
    );
  });
});

describe('Origin', () => {
  it.each([
    ['foreign', 'https://evil.example.com'],
    ['null', 'null'],
    ['lookalike', `${ORIGIN}.evil.com`],
    ['other scheme', 'http://app.example.com'],
  ])(
    'rejects the POST itself from a %s Origin (403, no CORS headers, no session made)',
    async (_, origin) => {
      const before = service.sessions.size;
      const res = await raw(service, { body: INITIALIZE, headers: { ...auth('alice'), origin } });
      expect(res.status).toBe(403);
      expect(res.json().error.data.code).toBe('ORIGIN_NOT_ALLOWED');
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect(service.sessions.size).toBe(before);
    },
  );

  it('accepts a request without Origin (not a browser)', async () => {
    await openSession('alice');
  });

  it('echoes an allowed Origin exactly, never *, with Vary: Origin', async () => {
    const res = await raw(service, { body: INITIALIZE, headers: { ...auth('alice'), origin: ORIGIN } });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(res.headers.vary).toMatch(/Origin/);
    expect(res.headers['access-control-expose-headers']).toMatch(/mcp-session-id/);
  });

  it('answers an allowed preflight, then serves the actual POST', async () => {
    const pre = await raw(service, {
      method: 'OPTIONS',
      headers: {
        origin: ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, mcp-protocol-version',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(pre.headers['access-control-allow-headers']).toMatch(/authorization/);
    expect(pre.headers['access-control-allow-methods']).toMatch(/POST/);
    const res = await raw(service, { body: INITIALIZE, headers: { ...auth('alice'), origin: ORIGIN } });
    expect(res.status).toBe(200);
  });

  it('refuses a preflight from a foreign Origin', async () => {
    const pre = await raw(service, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'POST' },
    });
    expect(pre.status).toBe(403);
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('bearer', () => {
  it('answers no token with 401 and a Bearer challenge', async () => {
    const res = await raw(service, { body: INITIALIZE });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="brutalist-mcp"');
    expect(res.json().error.data.code).toBe('UNAUTHENTICATED');
  });

  it.each([['Basic YWxpY2U6cHc='], ['Bearer'], ['Bearer a b'], ['Bearer\tx']])(
    'answers a malformed Authorization %j with 401 invalid_request',
    async (authorization) => {
      const res = await raw(service, { body: INITIALIZE, headers: { authorization } });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/error="invalid_request"/);
    },
  );

  it('answers a wrong token with 401 invalid_token', async () => {
    const res = await raw(service, {
      body: INITIALIZE,
      headers: { authorization: 'Bearer bmk_not-a-real-key' },
    });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/);
  });

  it('refuses a token in the query string even with a valid header', async () => {
    const res = await raw(service, {
      path: `/mcp?access_token=${keys.tokens.alice}`,
      body: INITIALIZE,
      headers: auth('alice'),
    });
    expect(res.status).toBe(400);
    expect(res.json().error.data.code).toBe('TOKEN_IN_QUERY');
  });

  it('refuses a key removed from the file from the next request on (revoked)', async () => {
    const session = await openSession('carol');
    const text = (await import('node:fs')).readFileSync(keys.file, 'utf8');
    writeFileSync(
      keys.file,
      text
        .split('\n')
        .filter((l) => !l.startsWith('carol:'))
        .join('\n'),
      { mode: 0o600 },
    );
    const res = await raw(service, {
      body: { jsonrpc: '2.0', id: 2, method: 'tools/list' },
      headers: { ...auth('carol'), 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' },
    });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/invalid_token/);
  });

  it('answers a call outside the key scopes with 403 naming the missing scope', async () => {
    const { client } = await connectHttp(service, keys.tokens.bob);
    try {
      await expect(
        client.callTool({
          name: 'roast_cli_debate',
          arguments: { topic: 't', proPosition: 'a', conPosition: 'b' },
        }),
      ).rejects.toThrow(/403|debate/);
      const session = (client.transport as { sessionId?: string } | undefined)?.sessionId ?? '';
      const res = await raw(service, {
        body: {
          jsonrpc: '2.0',
          id: 7,
          method: 'tools/call',
          params: { name: 'roast_cli_debate', arguments: {} },
        },
        headers: { ...auth('bob'), 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' },
      });
      expect(res.status).toBe(403);
      expect(res.headers['www-authenticate']).toBe(
        'Bearer realm="brutalist-mcp", error="insufficient_scope", scope="debate"',
      );
      const body = res.json();
      expect(body.id).toBe(7);
      expect(body.error.data).toMatchObject({ code: 'INSUFFICIENT_SCOPE', scope: 'debate' });
      // The scopes it has still work.
      const roster = await client.callTool({ name: 'brutalist_discover', arguments: { intent: 'security' } });
      expect(roster.isError ?? false).toBe(false);
    } finally {
      await client.close();
    }
  });
});

describe('sessions', () => {
  const list = (session: string, who: string, extra: Record<string, string> = {}) =>
    raw(service, {
      body: { jsonrpc: '2.0', id: 3, method: 'tools/list' },
      headers: { ...auth(who), 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25', ...extra },
    });

  it('answers another principal presenting a session id with 404, as for an unknown id', async () => {
    const session = await openSession('alice');
    const foreign = await list(session, 'bob');
    const unknown = await list('no-such-session', 'bob');
    expect(foreign.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(foreign.json().error).toEqual(unknown.json().error);
    expect((await list(session, 'alice')).status).toBe(200);
  });

  it('ends a session on DELETE; its id then answers 404', async () => {
    const session = await openSession('alice');
    const del = await raw(service, {
      method: 'DELETE',
      headers: { ...auth('alice'), 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' },
    });
    expect(del.status).toBe(200);
    const after = await list(session, 'alice');
    expect(after.status).toBe(404);
    expect(after.json().error.data.code).toBe('SESSION_NOT_FOUND');
  });

  it('refuses another principal DELETE-ing a session (404) and the session lives on', async () => {
    const session = await openSession('alice');
    const del = await raw(service, {
      method: 'DELETE',
      headers: { ...auth('bob'), 'mcp-session-id': session },
    });
    expect(del.status).toBe(404);
    expect((await list(session, 'alice')).status).toBe(200);
  });

  it('answers an unsupported MCP-Protocol-Version with 400', async () => {
    const session = await openSession('alice');
    const res = await list(session, 'alice', { 'mcp-protocol-version': '1999-01-01' });
    expect(res.status).toBe(400);
    expect(res.json().error.data.code).toBe('PROTOCOL_VERSION_UNSUPPORTED');
  });

  it('answers a probe of a newer revision with 400 and the revisions it speaks (clients then initialize)', async () => {
    const res = await raw(service, {
      body: { jsonrpc: '2.0', id: 'probe', method: 'server/discover', params: {} },
      headers: { ...auth('alice'), 'mcp-protocol-version': '2026-07-28' },
    });
    expect(res.status).toBe(400);
    expect(res.json().error.data).toMatchObject({ code: 'PROTOCOL_VERSION_UNSUPPORTED' });
    expect(res.json().error.data.supported).toContain('2025-11-25');
  });

  it('answers a non-initialize request without a session id with 400 SESSION_REQUIRED', async () => {
    const res = await raw(service, {
      body: { jsonrpc: '2.0', id: 9, method: 'tools/list' },
      headers: auth('alice'),
    });
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ id: 9, error: { data: { code: 'SESSION_REQUIRED' } } });
  });
});

describe('bodies', () => {
  it('answers a declared body over maxMessageBytes with 413 before reading it', async () => {
    const res = await raw(service, { body: Buffer.alloc(3 * 1024 * 1024, 0x20), headers: auth('alice') });
    expect(res.status).toBe(413);
    expect(res.json().error.data).toMatchObject({ code: 'INPUT_TOO_LARGE', limit: 2 * 1024 * 1024 });
  });

  it('answers a chunked body growing past the limit with 413', async () => {
    const res = await raw(service, {
      body: Buffer.alloc(3 * 1024 * 1024, 0x20),
      headers: { ...auth('alice'), 'transfer-encoding': 'chunked' },
    });
    expect(res.status).toBe(413);
  });

  it('answers malformed JSON with -32700 and keeps serving', async () => {
    const res = await raw(service, { body: '{"jsonrpc":"2.0",', headers: auth('alice') });
    expect(res.status).toBe(400);
    expect(res.json().error).toMatchObject({ code: -32700, data: { code: 'JSON_INVALID' } });
    await openSession('alice');
  });

  it.each([
    ['an object that is not JSON-RPC', { hello: 'world' }],
    ['an empty batch', []],
    ['a wrong version', { jsonrpc: '1.0', id: 1, method: 'initialize' }],
  ])('answers %s with -32600', async (_, body) => {
    const res = await raw(service, { body, headers: auth('alice') });
    expect(res.status).toBe(400);
    expect(res.json().error).toMatchObject({ code: -32600, data: { code: 'JSONRPC_INVALID' } });
  });

  it('refuses a depth bomb before parsing it', async () => {
    const depth = 200_000;
    const res = await raw(service, {
      body: `${'['.repeat(depth)}${']'.repeat(depth)}`,
      headers: auth('alice'),
    });
    expect(res.status).toBe(400);
    expect(res.json().error).toMatchObject({ code: -32600, data: { code: 'JSON_TOO_DEEP', limit: 32 } });
    await openSession('alice');
  });

  it('counts brackets inside strings as text, not nesting', async () => {
    const res = await raw(service, {
      body: {
        ...INITIALIZE,
        params: { ...INITIALIZE.params, clientInfo: { name: '['.repeat(500), version: '1' } },
      },
      headers: auth('alice'),
    });
    expect(res.status).toBe(200);
  });

  it('answers a non-JSON content type with 415', async () => {
    const res = await raw(service, {
      body: INITIALIZE,
      headers: { ...auth('alice'), 'content-type': 'text/plain' },
    });
    expect(res.status).toBe(415);
  });
});

describe('logs', () => {
  it('never carry a token, valid or not', async () => {
    await raw(service, { body: INITIALIZE, headers: { authorization: 'Bearer bmk_CANARYTOKENVALUE123' } });
    const all = logLines.join('\n');
    expect(all).toContain('http_denied');
    expect(all).not.toContain('CANARYTOKENVALUE123');
    for (const token of Object.values(keys.tokens)) expect(all).not.toContain(token);
  });
});

describe('routes', () => {
  it.each(['//[', '/other', '/mcp/extra'])(
    'answers the unparseable or unknown path %j with 404 and keeps serving',
    async (path) => {
      const res = await raw(service, { method: 'GET', path, headers: auth('alice') });
      expect(res.status).toBe(404);
      expect(res.json().error.data.code).toBe('NOT_FOUND');
      expect((await raw(service, { method: 'GET', path: '/healthz' })).status).toBe(200);
    },
  );

  it('answers a method /mcp does not take with 405', async () => {
    const res = await raw(service, {
      method: 'PUT',
      body: '{}',
      headers: { ...auth('alice'), 'content-type': 'application/json' },
    });
    expect(res.status).toBe(405);
  });
});

describe('slow and oversized clients', () => {
  it('answers a request head over httpMaxHeaderBytes with 431', async () => {
    const res = await raw(service, {
      body: INITIALIZE,
      headers: { ...auth('alice'), 'x-pad': 'a'.repeat(20_000) },
    });
    expect(res.status).toBe(431);
  });

  it('closes a connection whose head never completes (slow loris) and keeps serving others', async () => {
    const slow = await startService(sandbox, { httpHeadersTimeoutMs: 200, httpRequestTimeoutMs: 400 });
    try {
      const socket = connect(slow.port, '127.0.0.1');
      socket.write(`POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${slow.port}\r\nX-Slow: 1\r\n`);
      let answer = '';
      socket.on('data', (d: Buffer) => {
        answer += d.toString();
      });
      await new Promise((resolve) => socket.once('close', resolve));
      expect(answer).toMatch(/^HTTP\/1\.1 408|^$/);
      expect((await raw(slow, { method: 'GET', path: '/healthz' })).status).toBe(200);
    } finally {
      await slow.close();
    }
  });
});
