// The guards as `serve --http` runs them, over real HTTP: rate limits per principal and per IP (auth failures
// charged to the IP, health exempt, one budget shared by two instances on Redis), the audit log file with exactly
// the lines a sequence of calls and refusals yields (and no canary token or env value anywhere), JWT mode with its
// typed errors, challenge and RFC 9728 metadata, and tools/list narrowed to the principal's scopes.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { JWK } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/engine/config.js';
import { ManualClock } from '../../src/infra/index.js';
import type { HttpService } from '../../src/transport/index.js';
import { makeSandbox, readLog, type Sandbox } from '../support/harness.js';
import { connectHttp, INITIALIZE, raw, startService, writeKeys } from '../support/http.js';
import { ISSUER, type KeyPair, NOW_S, RESOURCE, signToken, testKeys } from '../support/jwt.js';
import { deletePrefix, freePort, SHARED_REDIS_URL, uniquePrefix } from '../support/redis.js';

const HOUR_MS = 60 * 60 * 1000;
let sandbox: Sandbox;
let services: HttpService[];
let keys: ReturnType<typeof writeKeys>;

beforeEach(() => {
  sandbox = makeSandbox('brutalist-http-guards-');
  keys = writeKeys(sandbox, { alice: ['roast', 'debate'], bob: ['roast'] });
  services = [];
});
afterEach(async () => {
  for (const s of services) await s.close();
  sandbox.cleanup();
});

async function start(overrides: ConfigInput, options: Parameters<typeof startService>[2] = {}) {
  const service = await startService(
    sandbox,
    { apiKeysFile: keys.file, rateLimitWindowMs: HOUR_MS, ...overrides },
    options,
  );
  services.push(service);
  return service;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
/** An authenticated request that gets past the guards and is refused after them (400 SESSION_REQUIRED). */
const probe = (service: HttpService, token: string) =>
  raw(service, { method: 'GET', headers: bearer(token) });

describe('rate limits over HTTP', () => {
  it('answers the N+1th request of a principal 429 with Retry-After; others and health go on', async () => {
    const service = await start({ rateLimitPrincipalRequests: 3, rateLimitIpRequests: 1_000 });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await probe(service, keys.tokens.alice!)).status);
    expect(statuses).toEqual([400, 400, 400]);
    const refused = await probe(service, keys.tokens.alice!);
    expect(refused.status).toBe(429);
    const retryAfterS = Number(refused.headers['retry-after']);
    expect(retryAfterS).toBeGreaterThanOrEqual(1);
    expect(retryAfterS).toBeLessThanOrEqual(HOUR_MS / 1000);
    expect(refused.json().error.data).toMatchObject({ code: 'TOO_MANY_REQUESTS', scope: 'principal' });
    expect((await probe(service, keys.tokens.bob!)).status).toBe(400);
    for (let i = 0; i < 5; i++) {
      expect((await raw(service, { method: 'GET', path: '/healthz' })).status).toBe(200);
      expect((await raw(service, { method: 'GET', path: '/readyz' })).status).toBe(200);
    }
  });

  it('stops an IP guessing tokens, then refuses it even a valid token; health stays open', async () => {
    // Each wrong token costs 1 (the request) + 20 (the failure): 4 × 21 = 84 fit in 100, the fifth does not.
    const service = await start({
      rateLimitPrincipalRequests: 1_000,
      rateLimitIpRequests: 100,
      rateLimitAuthFailureCost: 20,
    });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push((await raw(service, { body: INITIALIZE, headers: bearer(`bmk_guess${i}`) })).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 429]);
    const valid = await probe(service, keys.tokens.alice!);
    expect(valid.status).toBe(429);
    expect(valid.json().error.data).toMatchObject({ code: 'TOO_MANY_REQUESTS', scope: 'ip' });
    expect(Number(valid.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Refused before the Host check too: a flood of junk costs its sender like any request.
    expect((await raw(service, { body: INITIALIZE, headers: { host: 'evil' } })).status).toBe(429);
    expect((await raw(service, { method: 'GET', path: '/healthz' })).status).toBe(200);
  });

  describe('on a shared Redis', () => {
    const prefixes: string[] = [];
    afterAll(async () => {
      for (const prefix of prefixes) await deletePrefix(SHARED_REDIS_URL, prefix);
    });

    it('two instances share one principal budget exactly', async () => {
      const prefix = uniquePrefix('http-guards');
      prefixes.push(prefix);
      const shared: ConfigInput = {
        redisUrl: SHARED_REDIS_URL,
        redisKeyPrefix: prefix,
        redisCommandTimeoutMs: 10_000,
        rateLimitPrincipalRequests: 5,
        rateLimitIpRequests: 1_000,
      };
      const a = await start(shared);
      const b = await start(shared);
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++)
        statuses.push((await probe(i % 2 === 0 ? a : b, keys.tokens.alice!)).status);
      expect(statuses).toEqual([400, 400, 400, 400, 400, 429, 429, 429]);
      // Bob's budget is his own, on both.
      expect((await probe(b, keys.tokens.bob!)).status).toBe(400);
      expect((await probe(a, keys.tokens.bob!)).status).toBe(400);
    });
  });
});

describe('audit log over HTTP', () => {
  const CANARY_ENV_VALUE = 'canary-env-Zr8Kq2Vw6Tn';
  const CANARY_TOKEN = `bmk_${'C4n4ryT0k3nX'.repeat(3)}abcdefg`;

  it('holds exactly one line per tool call and per refusal, and never a canary token or env value', async () => {
    const auditFile = join(sandbox.dir, 'audit.log');
    const logLines: string[] = [];
    const service = await start(
      {
        auditLog: auditFile,
        rateLimitIpRequests: 10_000,
        rateLimitAuthFailureCost: 5_000,
        maxMessageBytes: 2 * 1024 * 1024,
      },
      { env: { MY_SERVICE_API_KEY: CANARY_ENV_VALUE }, logLines },
    );
    const { client, transport } = await connectHttp(service, keys.tokens.alice);
    const aliceSession = transport.sessionId!;
    try {
      const result = (await client.callTool({
        name: 'roast',
        arguments: {
          domain: 'codebase',
          target: sandbox.project,
          clis: ['claude'],
          // A client pasting secrets by mistake: neither may reach the critic.
          context: `token ${CANARY_TOKEN} env ${CANARY_ENV_VALUE}\n@@fake text=ok`,
        },
      })) as CallToolResult;
      expect(result.isError ?? false).toBe(false);
      const outside = (await client.callTool({
        name: 'roast',
        arguments: { domain: 'codebase', target: '/etc', clis: ['codex'] },
      })) as CallToolResult;
      expect(outside.isError).toBe(true);
    } finally {
      await client.close();
    }
    const debate = { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'roast_cli_debate' } };
    expect(
      (await raw(service, { body: debate, headers: { ...bearer(keys.tokens.bob!), 'mcp-session-id': 'x' } }))
        .status,
    ).toBe(403);
    expect((await raw(service, { body: INITIALIZE, headers: { host: 'evil.example' } })).status).toBe(403);
    expect(
      (await raw(service, { body: INITIALIZE, headers: { origin: 'https://evil.example' } })).status,
    ).toBe(403);
    const stolen = { ...bearer(keys.tokens.bob!), 'mcp-session-id': aliceSession };
    expect((await raw(service, { method: 'GET', headers: stolen })).status).toBe(404);
    const big = Buffer.alloc(2 * 1024 * 1024 + 1, 0x20);
    expect((await raw(service, { body: big, headers: bearer(keys.tokens.alice!) })).status).toBe(413);
    expect((await raw(service, { body: INITIALIZE, headers: bearer(CANARY_TOKEN) })).status).toBe(401);
    expect((await raw(service, { body: INITIALIZE, headers: bearer(CANARY_TOKEN) })).status).toBe(429);
    await service.close();

    const text = readFileSync(auditFile, 'utf8');
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const fingerprint = createHash('sha256').update(`target\0${sandbox.project}`).digest('hex');
    expect(lines.map(({ time, requestId, ...rest }) => rest)).toEqual([
      {
        event: 'tool_call',
        decision: 'ok',
        principal: 'alice',
        ip: '127.0.0.1',
        session: aliceSession,
        tool: 'roast',
        critics: ['claude'],
        targetFingerprint: fingerprint,
        status: 200,
      },
      {
        event: 'tool_call',
        decision: 'error',
        principal: 'alice',
        ip: '127.0.0.1',
        session: aliceSession,
        tool: 'roast',
        critics: ['codex'],
        targetFingerprint: createHash('sha256').update('target\0/etc').digest('hex'),
        code: 'PATH_OUTSIDE_ROOT',
        status: 200,
      },
      {
        event: 'scope',
        decision: 'deny',
        principal: 'bob',
        ip: '127.0.0.1',
        session: 'x',
        tool: 'roast_cli_debate',
        code: 'INSUFFICIENT_SCOPE',
        status: 403,
      },
      { event: 'host', decision: 'deny', ip: '127.0.0.1', code: 'HOST_NOT_ALLOWED', status: 403 },
      { event: 'origin', decision: 'deny', ip: '127.0.0.1', code: 'ORIGIN_NOT_ALLOWED', status: 403 },
      {
        event: 'session',
        decision: 'deny',
        principal: 'bob',
        ip: '127.0.0.1',
        session: aliceSession,
        code: 'SESSION_NOT_FOUND',
        status: 404,
      },
      {
        event: 'request_limit',
        decision: 'deny',
        principal: 'alice',
        ip: '127.0.0.1',
        code: 'INPUT_TOO_LARGE',
        status: 413,
      },
      { event: 'auth', decision: 'deny', ip: '127.0.0.1', code: 'UNAUTHENTICATED', status: 401 },
      { event: 'rate_limit', decision: 'deny', ip: '127.0.0.1', code: 'TOO_MANY_REQUESTS', status: 429 },
    ]);
    expect(lines[0]?.requestId).toMatch(/^\d+$/);
    expect(lines[2]?.requestId).toBe('7');
    expect(text).not.toContain(sandbox.project);

    const critics = readLog(sandbox.log);
    // The critique (besides any version or login probe) got the context, with the pasted secrets redacted.
    expect(critics.filter((c) => c.stdin.includes('@@fake text=ok'))).toHaveLength(1);
    for (const [where, seen] of [
      ['audit log', text],
      ['server log', logLines.join('\n')],
      ['critic env, argv and stdin', JSON.stringify(critics)],
    ] as const) {
      expect(seen, where).not.toContain(CANARY_TOKEN);
      expect(seen, where).not.toContain(CANARY_ENV_VALUE);
      expect(seen, where).not.toContain(keys.tokens.alice);
      expect(seen, where).not.toContain(keys.tokens.bob);
    }
    // The refusals did reach the server log, by code.
    expect(logLines.join('\n')).toContain('UNAUTHENTICATED');
  });
});

describe('tools/list by scope', () => {
  it('shows a roast-only key no debate tool, and a full key all four', async () => {
    const service = await start({});
    const names = async (token: string) => {
      const { client } = await connectHttp(service, token);
      try {
        return (await client.listTools()).tools.map((t) => t.name).sort();
      } finally {
        await client.close();
      }
    };
    expect(await names(keys.tokens.bob!)).toEqual(['brutalist_discover', 'cli_agent_roster', 'roast']);
    expect(await names(keys.tokens.alice!)).toEqual([
      'brutalist_discover',
      'cli_agent_roster',
      'roast',
      'roast_cli_debate',
    ]);
  });
});

describe('JWT mode over HTTP', () => {
  const METADATA_URL = 'https://critic.example.test/.well-known/oauth-protected-resource/mcp';
  let signing: KeyPair;
  let stranger: KeyPair;
  let jwks: string;

  beforeAll(async () => {
    let publicJwk: JWK;
    ({ signing, stranger, publicJwk } = await testKeys());
    jwks = JSON.stringify({ keys: [publicJwk] });
  });

  function jwt(spec: { sub?: string; scope?: string; expS?: number; key?: KeyPair } = {}): Promise<string> {
    return signToken((spec.key ?? signing).privateKey, {
      sub: spec.sub ?? 'alice',
      claims: { scope: spec.scope ?? 'roast debate' },
      iatS: NOW_S - 60,
      ...(spec.expS === undefined ? {} : { expS: spec.expS }),
    });
  }

  async function startJwt(overrides: ConfigInput = {}) {
    const file = join(sandbox.dir, 'jwks.json');
    writeFileSync(file, jwks);
    const audit: string[] = [];
    const service = await start(
      { jwtJwksFile: file, jwtIssuer: ISSUER, oauthResource: RESOURCE, ...overrides },
      {
        clock: new ManualClock(NOW_S * 1000),
        hooks: {
          audit: (e) => audit.push(`${e.event}:${e.decision}:${e.principal ?? '-'}:${e.code ?? '-'}`),
        },
      },
    );
    return { service, audit };
  }

  it('serves RFC 9728 metadata unauthenticated at both paths', async () => {
    const { service } = await startJwt();
    for (const path of [
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-protected-resource',
    ]) {
      const res = await raw(service, { method: 'GET', path });
      expect(res.status, path).toBe(200);
      expect(JSON.parse(res.text)).toMatchObject({
        resource: RESOURCE,
        authorization_servers: [ISSUER],
        bearer_methods_supported: ['header'],
      });
    }
  });

  it('answers missing, expired and foreign tokens 401 with typed codes and resource_metadata', async () => {
    const { service } = await startJwt();
    const none = await raw(service, { body: INITIALIZE });
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe(`Bearer resource_metadata="${METADATA_URL}"`);
    const cases = [
      [await jwt({ expS: NOW_S - 3_600 }), 'TOKEN_EXPIRED'],
      [await jwt({ key: stranger }), 'TOKEN_INVALID'],
      ['not.a.jwt', 'TOKEN_INVALID'],
    ] as const;
    for (const [token, code] of cases) {
      const res = await raw(service, { body: INITIALIZE, headers: bearer(token) });
      expect(res.status, code).toBe(401);
      expect(res.json().error.data.code).toBe(code);
      expect(res.headers['www-authenticate']).toBe(
        `Bearer resource_metadata="${METADATA_URL}", error="invalid_token"`,
      );
      expect(res.text).not.toContain(token);
    }
  });

  it.each(['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer two words'])(
    'answers a malformed Authorization %j with 401 invalid_request, not invalid_token',
    async (authorization) => {
      const { service } = await startJwt();
      const res = await raw(service, { body: INITIALIZE, headers: { authorization } });
      expect(res.status).toBe(401);
      expect(res.json().error.data).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'malformed' });
      expect(res.headers['www-authenticate']).toBe(
        `Bearer resource_metadata="${METADATA_URL}", error="invalid_request"`,
      );
    },
  );

  it('authenticates a JWT as jwt:<sub>, apart from an API key of the same name, with scopes per tool', async () => {
    const { service, audit } = await startJwt();
    const token = await jwt({ sub: 'alice', scope: 'roast' });
    const { client, transport } = await connectHttp(service, token);
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).not.toContain('roast_cli_debate');
      const session = transport.sessionId!;
      const debate = { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'roast_cli_debate' } };
      const refused = await raw(service, {
        body: debate,
        headers: { ...bearer(token), 'mcp-session-id': session },
      });
      expect(refused.status).toBe(403);
      expect(refused.json().error.data).toMatchObject({ code: 'INSUFFICIENT_SCOPE', scope: 'debate' });
      expect(refused.headers['www-authenticate']).toBe(
        `Bearer resource_metadata="${METADATA_URL}", error="insufficient_scope", scope="debate"`,
      );
      // The API key named alice is another principal: the JWT's session is not hers.
      const other = { ...bearer(keys.tokens.alice!), 'mcp-session-id': session };
      expect((await raw(service, { method: 'GET', headers: other })).status).toBe(404);
    } finally {
      await client.close();
    }
    expect(audit).toContain('scope:deny:jwt:alice:INSUFFICIENT_SCOPE');
    expect(audit).toContain('session:deny:alice:SESSION_NOT_FOUND');
  });

  it('answers 503 JWKS_UNAVAILABLE when the JWKS URL cannot be reached', async () => {
    const port = await freePort();
    const service = await start(
      { jwtJwksUrl: `http://127.0.0.1:${port}/jwks.json`, jwtIssuer: ISSUER, oauthResource: RESOURCE },
      { clock: new ManualClock(NOW_S * 1000) },
    );
    const res = await raw(service, { body: INITIALIZE, headers: bearer(await jwt()) });
    expect(res.status).toBe(503);
    expect(res.json().error.data.code).toBe('JWKS_UNAVAILABLE');
  });
});
