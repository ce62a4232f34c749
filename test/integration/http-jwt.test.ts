// OAuth resource-server mode with keys made in the test: a JWKS file and a JWKS URL served by a local HTTP server,
// the verdict for valid, expired, wrong-issuer, wrong-audience, wrong-key, alg-none and scope-less tokens, the
// config checks, and the RFC 9728 metadata with the WWW-Authenticate challenge.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { base64url, exportJWK, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConfigInput, resolveConfig } from '../../src/engine/config.js';
import { BrutalistError, isBrutalistError } from '../../src/errors/index.js';
import {
  createJwtVerifier,
  type JwtVerifier,
  protectedResourceMetadata,
  protectedResourceMetadataPaths,
  protectedResourceMetadataUrl,
  requireScope,
  wwwAuthenticate,
} from '../../src/http/jwt.js';
import { ManualClock } from '../../src/infra/index.js';
import {
  ISSUER,
  type KeyPair,
  NOW_S,
  RESOURCE,
  signToken,
  type TokenSpec,
  testKeys,
} from '../support/jwt.js';

let signing: KeyPair;
let other: KeyPair;
let publicJwk: JWK;
let dir: string;
let jwksFile: string;

beforeAll(async () => {
  ({ signing, stranger: other, publicJwk } = await testKeys());
  dir = mkdtempSync(join(tmpdir(), 'brutalist-jwt-'));
  jwksFile = join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [publicJwk] }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function config(overrides: ConfigInput = {}) {
  return resolveConfig({
    overrides: { jwtJwksFile: jwksFile, jwtIssuer: ISSUER, oauthResource: RESOURCE, ...overrides },
  });
}

/** A token signed by the trusted key unless `key` names another. */
function token(spec: TokenSpec & { key?: KeyPair['privateKey'] } = {}): Promise<string> {
  return signToken(spec.key ?? signing.privateKey, spec);
}

function verifier(overrides: ConfigInput = {}, clock = new ManualClock(NOW_S * 1000)): JwtVerifier {
  const made = createJwtVerifier(config(overrides), { clock });
  if (!made) throw new Error('JWT mode is off');
  return made;
}

/** The typed error `verify` rejects with; also checks the error never carries the token. */
async function rejection(v: JwtVerifier, jwt: string): Promise<BrutalistError> {
  const err = await v.verify(jwt).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isBrutalistError(err)) throw new Error(`expected a BrutalistError, got ${String(err)}`);
  const shown = JSON.stringify(err.toJSON());
  const signature = jwt.split('.')[2] ?? '';
  expect(shown).not.toContain(jwt);
  if (signature.length >= 16) expect(shown).not.toContain(signature);
  return err;
}

describe('verifying against a JWKS file', () => {
  it('accepts a valid token: principal = sub, scopes mapped', async () => {
    const result = await verifier().verify(await token());
    expect(result).toEqual({
      principal: 'alice@example.test',
      scopes: ['roast', 'debate'],
      expiresAtMs: (NOW_S + 600) * 1000,
    });
  });

  it('refuses an expired token (past the clock tolerance) with TOKEN_EXPIRED', async () => {
    const clock = new ManualClock(NOW_S * 1000);
    const v = verifier({ jwtClockToleranceMs: 30_000 }, clock);
    const jwt = await token({ expS: NOW_S + 60 });
    clock.advance(60_000 + 29_000);
    expect((await v.verify(jwt)).principal).toBe('alice@example.test');
    clock.advance(2_000);
    const err = await rejection(v, jwt);
    expect(err.toJSON()).toMatchObject({ code: 'TOKEN_EXPIRED', data: { reason: 'expired' } });
  });

  it('refuses a token that is not valid yet', async () => {
    const err = await rejection(verifier({ jwtClockToleranceMs: 0 }), await token({ nbfS: NOW_S + 120 }));
    expect(err.toJSON()).toMatchObject({ code: 'TOKEN_EXPIRED', data: { reason: 'not_yet_valid' } });
  });

  it.each([
    ['another issuer', { iss: 'https://evil.example.test/' }, 'issuer'],
    ['another audience', { aud: 'https://other.example.test/mcp' }, 'audience'],
    ['no subject', { sub: null }, 'subject'],
    ['an empty subject', { sub: '' }, 'subject'],
    ['a subject with a newline', { sub: 'alice\nadmin' }, 'subject'],
    ['no expiry', { expS: null }, 'claims'],
  ] as const)('refuses a token with %s as TOKEN_INVALID', async (_label, spec, reason) => {
    const err = await rejection(verifier(), await token(spec));
    expect(err.toJSON()).toMatchObject({ code: 'TOKEN_INVALID', data: { reason } });
    expect(err.retryable).toBe(false);
  });

  it('refuses a token signed by another key under the trusted kid, and one naming an unknown kid', async () => {
    const v = verifier();
    const forged = await rejection(v, await token({ key: other.privateKey }));
    expect(forged.toJSON()).toMatchObject({ code: 'TOKEN_INVALID', data: { reason: 'signature' } });
    const unknown = await rejection(v, await token({ key: other.privateKey, kid: 'k2' }));
    expect(unknown.toJSON()).toMatchObject({ code: 'TOKEN_INVALID', data: { reason: 'unknown_key' } });
  });

  it('refuses alg none and an HMAC token keyed with the public key (algorithm confusion)', async () => {
    const v = verifier();
    const encode = (value: object) => base64url.encode(JSON.stringify(value));
    const payload = { iss: ISSUER, aud: RESOURCE, sub: 'mallory', exp: NOW_S + 600, scope: 'admin' };
    const none = `${encode({ alg: 'none', typ: 'JWT' })}.${encode(payload)}.`;
    expect((await rejection(v, none)).code).toBe('TOKEN_INVALID');
    const hmac = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .sign(new TextEncoder().encode(JSON.stringify(publicJwk)));
    expect((await rejection(v, hmac)).toJSON()).toMatchObject({
      code: 'TOKEN_INVALID',
      data: { reason: 'algorithm' },
    });
  });

  it('refuses an algorithm the operator did not allow', async () => {
    const err = await rejection(verifier({ jwtAlgorithms: ['RS256'] }), await token());
    expect(err.toJSON()).toMatchObject({ code: 'TOKEN_INVALID', data: { reason: 'algorithm' } });
  });

  it('refuses garbage and over-long tokens before they are parsed', async () => {
    const v = verifier({ jwtMaxTokenBytes: 256 });
    expect((await rejection(v, 'not-a-jwt')).toJSON()).toMatchObject({ data: { reason: 'malformed' } });
    expect((await rejection(v, `${'a'.repeat(300)}.b.c`)).toJSON()).toMatchObject({
      data: { reason: 'too_long' },
    });
  });

  it('refuses a token granting none of our scopes with INSUFFICIENT_SCOPE', async () => {
    const err = await rejection(verifier(), await token({ claims: { scope: 'openid profile' } }));
    expect(err.toJSON()).toMatchObject({
      code: 'INSUFFICIENT_SCOPE',
      data: { scope: 'roast debate admin' },
    });
  });

  it('maps the IdP scope names through jwtScopeMap, from `scope` or an `scp` list', async () => {
    const v = verifier({ jwtScopeMap: ['brutalist:write=roast', 'brutalist:write=debate', 'ops=admin'] });
    expect((await v.verify(await token({ claims: { scope: 'openid brutalist:write' } }))).scopes).toEqual([
      'roast',
      'debate',
    ]);
    expect((await v.verify(await token({ claims: { scope: undefined, scp: ['ops'] } }))).scopes).toEqual([
      'admin',
    ]);
    const plain = await rejection(v, await token({ claims: { scope: 'roast' } }));
    expect(plain.code).toBe('INSUFFICIENT_SCOPE');
  });

  it('remembers a verified token by hash until its exp or jwtVerifiedCacheMs, bounded in entries', async () => {
    const clock = new ManualClock(NOW_S * 1000);
    const v = verifier({ jwtVerifiedCacheMs: 60_000, jwtVerifiedCacheEntries: 2 }, clock);
    const jwt = await token({ expS: NOW_S + 600 });
    await v.verify(jwt);
    await v.verify(jwt);
    expect(v.stats()).toEqual({ checked: 1, cacheHits: 1, cached: 1 });
    clock.advance(60_000);
    await v.verify(jwt); // remembered no longer: checked again
    expect(v.stats()).toMatchObject({ checked: 2, cacheHits: 1 });
    await v.verify(await token({ sub: 'b' }));
    await v.verify(await token({ sub: 'c' }));
    expect(v.stats().cached).toBe(2);
    // A token about to expire is remembered only until its exp, so it is refused right after.
    const short = await token({ expS: NOW_S + 70 });
    expect((await v.verify(short)).principal).toBe('alice@example.test');
    clock.advance(10_000 + 31_000);
    expect((await rejection(v, short)).code).toBe('TOKEN_EXPIRED');
    // Failures are never remembered.
    const forged = await token({ key: other.privateKey });
    await rejection(v, forged);
    await rejection(v, forged);
    expect(v.stats().cacheHits).toBe(1);
  });

  it('checks every time with the cache off', async () => {
    const v = verifier({ jwtVerifiedCacheEntries: 0 });
    const jwt = await token();
    await v.verify(jwt);
    await v.verify(jwt);
    expect(v.stats()).toEqual({ checked: 2, cacheHits: 0, cached: 0 });
  });

  it('checks one scope for a request with requireScope', () => {
    expect(() => requireScope({ scopes: ['roast'] }, 'roast')).not.toThrow();
    let thrown: unknown;
    try {
      requireScope({ scopes: ['roast'] }, 'admin');
    } catch (err) {
      thrown = err;
    }
    expect(isBrutalistError(thrown) && thrown.toJSON()).toMatchObject({
      code: 'INSUFFICIENT_SCOPE',
      data: { scope: 'admin' },
    });
  });
});

describe('verifying against a JWKS URL', () => {
  let server: Server;
  let keys: JWK[] = [];
  let mode: 'serve' | 'hang' | 'garbage' = 'serve';
  let fetches = 0;
  let jwksUrl = '';

  beforeAll(async () => {
    server = createServer((_req, res) => {
      fetches++;
      if (mode === 'hang') return; // never answers
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(mode === 'garbage' ? '{"keys": "no"}' : JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  // A generous timeout: a loaded machine must not turn a served JWKS into JWKS_UNAVAILABLE. Only the hanging
  // server's case uses a short one (it fails either way).
  const remote = (overrides: ConfigInput = {}) =>
    verifier({ jwtJwksFile: '', jwtJwksUrl: jwksUrl, jwtJwksTimeoutMs: 20_000, ...overrides });

  it('fetches the keys once and verifies valid tokens with them', async () => {
    keys = [publicJwk];
    mode = 'serve';
    fetches = 0;
    const v = remote();
    expect((await v.verify(await token())).principal).toBe('alice@example.test');
    expect((await v.verify(await token({ sub: 'bob' }))).principal).toBe('bob');
    expect(fetches).toBe(1);
    const forged = await rejection(v, await token({ key: other.privateKey }));
    expect(forged.toJSON()).toMatchObject({ code: 'TOKEN_INVALID', data: { reason: 'signature' } });
  });

  it('picks up a rotated key when a token names a kid it has not seen', async () => {
    keys = [publicJwk];
    mode = 'serve';
    const v = remote({ jwtJwksCooldownMs: 0 });
    await v.verify(await token());
    keys = [publicJwk, { ...(await exportJWK(other.publicKey)), kid: 'k2', alg: 'ES256' }];
    expect((await v.verify(await token({ key: other.privateKey, kid: 'k2' }))).principal).toBe(
      'alice@example.test',
    );
  });

  it('answers JWKS_UNAVAILABLE (retryable) when the URL hangs, sends garbage or is down', async () => {
    mode = 'hang';
    const hung = await rejection(remote({ jwtJwksTimeoutMs: 300 }), await token());
    expect(hung.toJSON()).toMatchObject({ code: 'JWKS_UNAVAILABLE', retryable: true });
    mode = 'garbage';
    expect((await rejection(remote(), await token())).code).toBe('JWKS_UNAVAILABLE');
    const down = verifier({ jwtJwksFile: '', jwtJwksUrl: 'http://127.0.0.1:9/jwks.json' });
    expect((await rejection(down, await token())).code).toBe('JWKS_UNAVAILABLE');
    mode = 'serve';
  });
});

describe('configuration', () => {
  const configError = (overrides: ConfigInput) => {
    try {
      createJwtVerifier(config(overrides));
    } catch (err) {
      if (isBrutalistError(err)) return err;
    }
    throw new Error('expected CONFIG_INVALID');
  };

  it('is off (no verifier) without a JWKS file or URL', () => {
    expect(createJwtVerifier(config({ jwtJwksFile: '' }))).toBeUndefined();
  });

  it.each([
    [{ jwtJwksUrl: 'https://auth.example.test/jwks' }, 'jwtJwksUrl'],
    [{ jwtIssuer: '' }, 'jwtIssuer'],
    [{ oauthResource: '' }, 'oauthResource'],
    [{ jwtJwksFile: '', jwtJwksUrl: 'http://auth.example.test/jwks' }, 'jwtJwksUrl'],
    [{ jwtScopeMap: ['has space=roast'] }, 'jwtScopeMap'],
  ] as const)('refuses %o naming %s', (overrides, option) => {
    const err = configError(overrides);
    expect(err.toJSON()).toMatchObject({ code: 'CONFIG_INVALID', data: { option } });
  });

  it('refuses a JWKS file that is not one, without showing its path', () => {
    const bad = join(dir, 'bad-jwks.json');
    writeFileSync(bad, '{"keys": 3}');
    const err = configError({ jwtJwksFile: bad });
    expect(err.toJSON()).toMatchObject({ code: 'CONFIG_INVALID', data: { option: 'jwtJwksFile' } });
    expect(err.message).not.toContain(dir);
    expect(configError({ jwtJwksFile: join(dir, 'missing.json') }).message).not.toContain(dir);
  });
});

describe('protected-resource metadata (RFC 9728)', () => {
  it('describes the resource, its authorization servers and scopes', () => {
    expect(
      protectedResourceMetadata(config({ jwtScopeMap: ['brutalist:write=roast', 'ops=admin'] })),
    ).toEqual({
      resource: RESOURCE,
      authorization_servers: [ISSUER],
      scopes_supported: ['brutalist:write', 'ops'],
      bearer_methods_supported: ['header'],
      resource_name: 'brutalist-mcp',
    });
    const listed = config({ oauthAuthorizationServers: ['https://a.test/', 'https://b.test/'] });
    expect(protectedResourceMetadata(listed).authorization_servers).toEqual([
      'https://a.test/',
      'https://b.test/',
    ]);
  });

  it('inserts the well-known path before the resource path', () => {
    expect(protectedResourceMetadataUrl(config())).toBe(
      'https://critic.example.test/.well-known/oauth-protected-resource/mcp',
    );
    expect(protectedResourceMetadataPaths(config())).toEqual([
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-protected-resource',
    ]);
    const root = config({ oauthResource: 'https://critic.example.test/' });
    expect(protectedResourceMetadataPaths(root)).toEqual(['/.well-known/oauth-protected-resource']);
  });

  it('builds the WWW-Authenticate challenge for each verdict', () => {
    const c = config({ jwtScopeMap: ['brutalist:write=roast', 'brutalist:write=debate', 'ops=admin'] });
    const meta = 'resource_metadata="https://critic.example.test/.well-known/oauth-protected-resource/mcp"';
    expect(wwwAuthenticate(c)).toBe(`Bearer ${meta}`);
    expect(wwwAuthenticate(c, new BrutalistError('TOKEN_EXPIRED'))).toBe(
      `Bearer ${meta}, error="invalid_token"`,
    );
    const scope = new BrutalistError('INSUFFICIENT_SCOPE', undefined, { data: { scope: 'debate' } });
    expect(wwwAuthenticate(c, scope)).toBe(
      `Bearer ${meta}, error="insufficient_scope", scope="brutalist:write"`,
    );
  });
});
