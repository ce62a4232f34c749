// Per-request cost of the HTTP guards, each next to a baseline measured in the same run:
// - rate-limit check (principal + IP) in memory, against a bare Map counter;
// - rate-limit check through Redis (loopback, unique prefix), against one raw INCR round trip on the same client;
// - JWT verify (ES256, JWKS file), against a bare node:crypto ES256 verify of the same signature; and with the
//   token remembered (the usual case: a client reuses its token), against the sha256 an API-key check does;
// - one audit line (format + redact + queue), against JSON.stringify of the same entry.
import { createHash, createVerify, KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { resolveConfig } from '../../src/engine/config.js';
import { createAuditLog } from '../../src/http/audit.js';
import { createJwtVerifier } from '../../src/http/jwt.js';
import { createRateLimiter } from '../../src/http/rate-limit.js';
import { newToken } from '../../src/infra/index.js';
import { deletePrefix } from '../../test/support/redis.js';
import { summary } from '../stats.js';

const N = Number(process.env.BENCH_GUARD_N ?? 5_000);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Microseconds per call of `fn`, one sample per call. */
async function samplesUs(fn: (i: number) => unknown): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < N; i++) {
    const started = process.hrtime.bigint();
    await fn(i);
    out.push(Number(process.hrtime.bigint() - started) / 1e3);
  }
  return out;
}

function line(label: string, ours: number[], base: number[], baseLabel: string): Record<string, number> {
  const a = summary(ours);
  const b = summary(base);
  const us = (v: number) => `${v.toFixed(1)} µs`;
  console.log(
    `${label.padEnd(34)} p50 ${us(a.p50)}  p99 ${us(a.p99)}   | ${baseLabel}: p50 ${us(b.p50)}  p99 ${us(b.p99)}  (p50 ${(a.p50 / b.p50).toFixed(1)}x)`,
  );
  return { p50Us: a.p50, p99Us: a.p99, baseP50Us: b.p50, baseP99Us: b.p99 };
}

async function rateLimits(results: Record<string, number>): Promise<void> {
  const window = { rateLimitWindowMs: 3_600_000, rateLimitPrincipalRequests: 10_000_000 };
  const memory = createRateLimiter(
    resolveConfig({ overrides: { ...window, rateLimitIpRequests: 10_000_000 } }),
  );
  const counts = new Map<string, number>();
  const bare = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  await samplesUs((i) => memory.checkRequest({ principal: `p${i % 50}`, ip: `10.0.${i % 200}.1` }));
  const mem = await samplesUs((i) =>
    memory.checkRequest({ principal: `p${i % 50}`, ip: `10.0.${i % 200}.1` }),
  );
  const map = await samplesUs((i) => {
    bare(`principal:p${i % 50}`);
    bare(`ip:10.0.${i % 200}.1`);
  });
  for (const [k, v] of Object.entries(line('rate limit, memory', mem, map, 'Map counter'))) {
    results[`memory_${k}`] = v;
  }

  const prefix = `brutalist-bench:${newToken()}:`;
  const redis = new Redis(REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
  const shared = createRateLimiter(
    resolveConfig({ overrides: { ...window, rateLimitIpRequests: 10_000_000, redisKeyPrefix: prefix } }),
    { redis },
  );
  await samplesUs((i) => shared.checkRequest({ principal: `p${i % 50}`, ip: `10.0.${i % 200}.1` }));
  const viaRedis = await samplesUs((i) =>
    shared.checkRequest({ principal: `p${i % 50}`, ip: `10.0.${i % 200}.1` }),
  );
  const incr = await samplesUs((i) => redis.incr(`${prefix}raw:${i % 50}`));
  for (const [k, v] of Object.entries(line('rate limit, Redis (2 buckets)', viaRedis, incr, 'raw INCR'))) {
    results[`redis_${k}`] = v;
  }
  await deletePrefix(REDIS_URL, prefix);
  shared.close();
  redis.disconnect();
}

async function jwt(results: Record<string, number>, dir: string): Promise<void> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwksFile = join(dir, 'jwks.json');
  writeFileSync(
    jwksFile,
    JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] }),
  );
  const jwtConfig = (entries: number) =>
    resolveConfig({
      overrides: {
        jwtJwksFile: jwksFile,
        jwtIssuer: 'https://as.test/',
        oauthResource: 'https://rs.test/mcp',
        jwtVerifiedCacheEntries: entries,
      },
    });
  const verifier = createJwtVerifier(jwtConfig(0));
  const cachedVerifier = createJwtVerifier(jwtConfig(1_000));
  if (!verifier || !cachedVerifier) throw new Error('JWT mode is off');
  const token = await new SignJWT({ scope: 'roast' })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setIssuer('https://as.test/')
    .setAudience('https://rs.test/mcp')
    .setSubject('bench')
    .setExpirationTime('1h')
    .sign(privateKey);
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const signed = `${header}.${payload}`;
  const raw = Buffer.from(signature, 'base64url');
  const key = KeyObject.from(publicKey);
  await samplesUs(() => verifier.verify(token));
  const ours = await samplesUs(() => verifier.verify(token));
  const crypto = await samplesUs(() =>
    createVerify('sha256').update(signed).verify({ key, dsaEncoding: 'ieee-p1363' }, raw),
  );
  const hash = await samplesUs(() => createHash('sha256').update(token).digest());
  const cached = await samplesUs(() => cachedVerifier.verify(token));
  const cold = line('JWT verify (ES256, JWKS file)', ours, crypto, 'bare ES256 verify');
  for (const [k, v] of Object.entries(cold)) results[`jwt_${k}`] = v;
  const warm = line('JWT verify, token remembered', cached, hash, 'sha256 of token');
  for (const [k, v] of Object.entries(warm)) results[`jwtCached_${k}`] = v;
}

async function audit(results: Record<string, number>, dir: string): Promise<void> {
  const log = createAuditLog(resolveConfig({ overrides: { auditLog: join(dir, 'audit.log') } }));
  const entry = {
    event: 'tool_call',
    decision: 'ok',
    principal: 'ci-bot',
    ip: '203.0.113.9',
    session: newToken(),
    tool: 'roast',
    critics: ['claude', 'codex'],
    target: '/srv/repos/project',
    requestId: newToken(),
    status: 200,
  } as const;
  const ours = await samplesUs(() => log.write(entry));
  const base = await samplesUs(() => JSON.stringify(entry));
  await log.close();
  for (const [k, v] of Object.entries(
    line('audit line (format+redact+queue)', ours, base, 'JSON.stringify'),
  )) {
    results[`audit_${k}`] = v;
  }
}

export async function run(): Promise<Record<string, number>> {
  const results: Record<string, number> = {};
  const dir = mkdtempSync(join(tmpdir(), 'brutalist-bench-guard-'));
  try {
    console.log(`${N} calls each; goal for the whole guard stack: ≤ 0.2 ms p99 per request (issue 15)`);
    await rateLimits(results);
    await jwt(results, dir);
    await audit(results, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
