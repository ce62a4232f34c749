// API keys: the file format, constant-time lookup by hash, `keys add`/`revoke` under a lock, file modes.
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/engine/config.js';
import {
  Authenticator,
  addKey,
  bearerOf,
  hashToken,
  KeyRing,
  OriginPolicy,
  parseKeys,
  parseScopes,
  revokeKey,
} from '../../src/http/index.js';
import { ManualClock } from '../../src/infra/index.js';

let dir: string;
let file: string;
const clock = new ManualClock();

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'brutalist-keys-'));
  file = join(dir, 'keys');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
};

describe('keys file', () => {
  it('reads name:scopes:sha256 lines, skipping blanks and comments', () => {
    const hash = hashToken('t').toString('hex');
    const keys = parseKeys(
      `# team keys\n\nci:roast:${hash}\nops:roast,debate,admin:${hash.replace('a', 'b')}\n`,
    );
    expect(keys.map((k) => [k.name, [...k.scopes]])).toEqual([
      ['ci', ['roast']],
      ['ops', ['roast', 'debate', 'admin']],
    ]);
  });

  it.each([
    ['a short hash', 'ci:roast:abc'],
    ['an unknown scope', `ci:root:${'a'.repeat(64)}`],
    ['a repeated scope', `ci:roast,roast:${'a'.repeat(64)}`],
    ['an extra field', `ci:roast:${'a'.repeat(64)}:x`],
    ['a bad name', `c i:roast:${'a'.repeat(64)}`],
    ['a repeated name', `ci:roast:${'a'.repeat(64)}\nci:debate:${'b'.repeat(64)}`],
  ])('refuses %s with CONFIG_INVALID naming the line, never its content', (_, text) => {
    try {
      parseKeys(text);
      expect.unreachable();
    } catch (err) {
      expect((err as { code: string }).code).toBe('CONFIG_INVALID');
      expect((err as Error).message).toMatch(/line \d/);
      expect((err as Error).message).not.toContain('a'.repeat(64));
    }
  });

  it('refuses a keys file writable by group or others', () => {
    writeFileSync(file, '', { mode: 0o600 });
    chmodSync(file, 0o620);
    expect(codeOf(() => new KeyRing(file))).toBe('CONFIG_INVALID');
  });

  it('reads Bearer tokens case-insensitively and refuses other schemes', () => {
    expect(bearerOf('Bearer abc.DEF-_~+/=')).toBe('abc.DEF-_~+/=');
    expect(bearerOf('bearer abc')).toBe('abc');
    expect(bearerOf(undefined)).toBeUndefined();
    for (const bad of ['Basic abc', 'Bearer', 'Bearer a b', 'Bearer ä']) expect(bearerOf(bad)).toBeNull();
  });
});

describe('keys add / revoke', () => {
  it('prints a token that authenticates as the key, and stores only its hash in a 0600 file', async () => {
    const token = addKey(file, 'ci', parseScopes('roast,debate'), clock);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(token);
    expect(text).toBe(`ci:roast,debate:${hashToken(token).toString('hex')}\n`);
    const auth = new Authenticator(new KeyRing(file));
    const result = await auth.authenticate(`Bearer ${token}`);
    expect(result.ok && result.principal.name).toBe('ci');
    expect(result.ok && [...result.principal.scopes]).toEqual(['roast', 'debate']);
    expect(await auth.authenticate(`Bearer ${token}x`)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('appends keys without touching earlier lines and refuses a repeated name', () => {
    const a = addKey(file, 'a', ['roast'], clock);
    const b = addKey(file, 'b', ['debate'], clock);
    expect(a).not.toBe(b);
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(2);
    expect(codeOf(() => addKey(file, 'a', ['roast'], clock))).toBe('INVALID_ARGUMENT');
  });

  it('waits for no one: a fresh lock held by another writer refuses, a stale one is taken over', () => {
    writeFileSync(`${file}.lock`, '');
    const held = new ManualClock(statSync(`${file}.lock`).mtimeMs + 1_000);
    expect(codeOf(() => addKey(file, 'a', ['roast'], held))).toBe('OVERLOADED');
    const later = new ManualClock(statSync(`${file}.lock`).mtimeMs + 31_000);
    expect(addKey(file, 'a', ['roast'], later)).toMatch(/^bmk_/);
  });

  it('revokes a key: the running server refuses it from the next request on', async () => {
    const keep = addKey(file, 'keep', ['roast'], clock);
    const gone = addKey(file, 'gone', ['roast'], clock);
    const ring = new KeyRing(file);
    expect(ring.authenticate(gone)?.name).toBe('gone');
    expect(revokeKey(file, 'gone', clock)).toBe(true);
    expect(revokeKey(file, 'gone', clock)).toBe(false);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(ring.authenticate(gone)).toBeNull();
    expect(ring.authenticate(keep)?.name).toBe('keep');
  });

  it('fails closed when the file turns invalid while serving, and recovers when fixed', () => {
    const token = addKey(file, 'a', ['roast'], clock);
    const good = readFileSync(file, 'utf8');
    const errors: string[] = [];
    const ring = new KeyRing(file, (e) => errors.push(e.code));
    writeFileSync(file, 'garbage\n');
    expect(ring.authenticate(token)).toBeNull();
    expect(errors).toEqual(['CONFIG_INVALID']);
    writeFileSync(file, good);
    utimesSync(file, new Date(), new Date(Date.now() + 5_000));
    expect(ring.authenticate(token)?.name).toBe('a');
  });
});

describe('keys file failures', () => {
  it('refuses to start on a keys file that does not exist', () => {
    expect(codeOf(() => new KeyRing(join(dir, 'absent')))).toBe('CONFIG_INVALID');
  });

  it('locks every key out when the file disappears while serving, reporting it once however often it is read', () => {
    const token = addKey(file, 'a', ['roast'], clock);
    const errors: string[] = [];
    const ring = new KeyRing(file, (e) => errors.push(e.code));
    rmSync(file);
    expect(ring.authenticate(token)).toBeNull();
    expect(ring.size).toBe(0);
    expect(errors).toEqual(['CONFIG_INVALID']);
  });

  it('locks every key out when the file turns group-writable while serving (default: nothing reported)', () => {
    const token = addKey(file, 'a', ['roast'], clock);
    const ring = new KeyRing(file);
    chmodSync(file, 0o620);
    expect(ring.authenticate(token)).toBeNull();
  });

  it('refuses a keys file larger than its bound', () => {
    // The bound is 1 MiB (keys.ts MAX_FILE_BYTES).
    writeFileSync(file, `# ${'x'.repeat(1024 * 1024)}\n`, { mode: 0o600 });
    expect(codeOf(() => new KeyRing(file))).toBe('CONFIG_INVALID');
  });

  it('refuses a key name outside [A-Za-z0-9._-] with INVALID_ARGUMENT', () => {
    expect(codeOf(() => addKey(file, 'has space', ['roast'], clock))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => addKey(file, 'a:b', ['roast'], clock))).toBe('INVALID_ARGUMENT');
  });

  it('starts a new line when appending to a file whose last line has no newline', () => {
    const token = addKey(file, 'a', ['roast'], clock);
    writeFileSync(file, readFileSync(file, 'utf8').trimEnd(), { mode: 0o600 });
    addKey(file, 'b', ['roast'], clock);
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(2);
    expect(new KeyRing(file).authenticate(token)?.name).toBe('a');
  });

  it('refuses to add to or revoke from a group-writable file', () => {
    addKey(file, 'a', ['roast'], clock);
    chmodSync(file, 0o660);
    expect(codeOf(() => addKey(file, 'b', ['roast'], clock))).toBe('CONFIG_INVALID');
    expect(codeOf(() => revokeKey(file, 'a', clock))).toBe('CONFIG_INVALID');
  });

  it('revokes nothing from a keys file that does not exist', () => {
    expect(revokeKey(file, 'a', clock)).toBe(false);
  });
});

describe('Host and Origin policy', () => {
  const policy = new OriginPolicy({
    allowedHosts: ['mcp.example.com', 'alt.example.com:8443'],
    allowedOrigins: ['https://app.example.com', 'null'],
    port: 7777,
  });

  it('matches a host without port on any port, a host with port exactly', () => {
    expect(policy.hostAllowed('mcp.example.com')).toBe(true);
    expect(policy.hostAllowed('MCP.example.com:443')).toBe(true);
    expect(policy.hostAllowed('alt.example.com:8443')).toBe(true);
    expect(policy.hostAllowed('alt.example.com:8444')).toBe(false);
    expect(policy.hostAllowed('localhost:7777')).toBe(false);
    expect(policy.hostAllowed(undefined)).toBe(false);
  });

  it('never allows Origin null, even when listed', () => {
    expect(policy.originAllowed('null')).toBe(false);
    expect(policy.originAllowed(undefined)).toBe(true);
    expect(policy.originAllowed('https://app.example.com')).toBe(true);
    expect(policy.originAllowed('https://app.example.com/')).toBe(false);
  });

  it('defaults to the loopback names at the bound port', () => {
    const local = new OriginPolicy({ allowedHosts: [], allowedOrigins: [], port: 7777 });
    expect(['localhost:7777', '127.0.0.1:7777', '[::1]:7777'].every((h) => local.hostAllowed(h))).toBe(true);
    expect(local.hostAllowed('localhost:7778')).toBe(false);
    expect(local.hostAllowed('localhost')).toBe(false);
  });
});

describe('HTTP options', () => {
  it('refuse a session idle time below waitMs (a dropped call would be cancelled before it detaches)', () => {
    expect(codeOf(() => resolveConfig({ overrides: { httpSessionIdleMs: 10_000, waitMs: 45_000 } }))).toBe(
      'CONFIG_INVALID',
    );
    expect(resolveConfig({ overrides: { waitMs: 600_000 } }).httpSessionIdleMs).toBe(1_800_000);
  });

  it('refuse a headers timeout above the request timeout (node would refuse to start)', () => {
    expect(
      codeOf(() =>
        resolveConfig({ overrides: { httpHeadersTimeoutMs: 60_000, httpRequestTimeoutMs: 30_000 } }),
      ),
    ).toBe('CONFIG_INVALID');
    expect(resolveConfig({ overrides: { httpRequestTimeoutMs: 5_000 } }).httpHeadersTimeoutMs).toBe(5_000);
  });
});
