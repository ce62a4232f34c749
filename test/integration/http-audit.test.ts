// The audit log on a real file: one parsable line per write whatever the fields hold, rotation keeping N files,
// no secret, token or path ever written, bounded fields, and a full or broken disk never reaching the caller.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { type ConfigInput, resolveConfig } from '../../src/engine/config.js';
import { type AuditEntry, type AuditLog, createAuditLog, NO_AUDIT_LOG } from '../../src/http/audit.js';
import { ManualClock } from '../../src/infra/index.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'brutalist-audit-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const CANARY_ENV_VALUE = 'canary-env-Q7f2Lx9pWm4';
const CANARY_TOKEN = `ghp_${'C4n4ryT0k3n'.repeat(3)}abc`;
const ENV = { MY_SERVICE_API_KEY: CANARY_ENV_VALUE, PATH: '/usr/bin' };

function open(overrides: ConfigInput, clock = new ManualClock(Date.UTC(2026, 0, 2, 3, 4, 5))) {
  const file = join(tempDir(), 'audit.log');
  const config = resolveConfig({ overrides: { auditLog: file, ...overrides } });
  const lines: string[] = [];
  const audit = createAuditLog(config, { clock, env: ENV, log: (l) => lines.push(l) });
  return { audit, file, lines, clock };
}

function readLines(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n');
}

const HOSTILE = [
  'evil\n{"event":"auth","decision":"allow"}',
  'cr\rlf\r\n',
  'line\u2028separator\u2029para',
  '\u001b[31mred\u001b[0m \u001b]0;title\u0007',
  'c1 \u009b31m csi and \u0085 nel and \u007f del',
  'nul\u0000byte',
  'quote" backslash\\ brace}',
  'lone \ud800 surrogate',
];

describe('audit lines', () => {
  it('writes exactly one line per entry that parses back to the values given, whatever they hold', async () => {
    const { audit, file } = open({});
    for (const [i, value] of HOSTILE.entries()) {
      audit.write({ event: 'auth', decision: 'deny', principal: value, tool: value, requestId: `r${i}` });
    }
    await audit.close();
    const raw = readFileSync(file, 'utf8');
    // No reader splitting on any line terminator can see an extra line, and no raw terminal control is written.
    expect(raw.split(/\r\n|\r|\n|\u2028|\u2029|\u0085/).filter((l) => l !== '')).toHaveLength(HOSTILE.length);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
    expect(raw).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    const parsed = readLines(file).map((l) => JSON.parse(l));
    expect(parsed).toHaveLength(HOSTILE.length);
    for (const [i, value] of HOSTILE.entries()) {
      const expected = value.replace('\ud800', '\ufffd');
      expect(parsed[i].principal.replace('\ud800', '\ufffd')).toBe(expected);
      expect(parsed[i]).toMatchObject({ event: 'auth', decision: 'deny', requestId: `r${i}` });
    }
  });

  it('writes the fields of a tool call, the time from the clock, and only a hash of the target', async () => {
    const { audit, file } = open({});
    const entry: AuditEntry = {
      event: 'tool_call',
      decision: 'error',
      principal: 'ci-bot',
      ip: '203.0.113.9',
      session: 'sess-1',
      tool: 'roast',
      critics: ['claude', 'codex'],
      target: '/home/secret-user/project',
      code: 'CLI_TIMEOUT',
      requestId: 'req-1',
      status: 200,
    };
    audit.write(entry);
    audit.write({ ...entry, target: '/home/secret-user/other' });
    await audit.close();
    expect(readFileSync(file, 'utf8')).not.toContain('secret-user');
    const [first, second] = readLines(file).map((l) => JSON.parse(l));
    const { target: _path, ...written } = entry;
    expect(first).toEqual({
      time: '2026-01-02T03:04:05.000Z',
      ...written,
      targetFingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(second.targetFingerprint).not.toBe(first.targetFingerprint);
  });

  it('never writes a secret env value or a token, wherever it is put', async () => {
    const { audit, file } = open({});
    const sneaky = `Bearer ${CANARY_TOKEN} and ${CANARY_ENV_VALUE}`;
    audit.write({
      event: 'auth',
      decision: 'deny',
      principal: sneaky,
      ip: CANARY_ENV_VALUE,
      session: CANARY_TOKEN,
      tool: sneaky,
      critics: [CANARY_TOKEN],
      requestId: `x-${CANARY_ENV_VALUE}`,
    });
    await audit.close();
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(CANARY_TOKEN);
    expect(text).not.toContain(CANARY_ENV_VALUE);
    expect(text).toContain('<redacted>');
    expect(readLines(file)).toHaveLength(1);
  });

  it('cuts every text field to auditMaxFieldChars, marked with …', async () => {
    const { audit, file } = open({ auditMaxFieldChars: 32 });
    const long = 'a'.repeat(10_000);
    audit.write({ event: 'session', decision: 'deny', principal: long, critics: Array(100).fill('claude') });
    await audit.close();
    const [line] = readLines(file).map((l) => JSON.parse(l));
    expect(line.principal).toBe(`${'a'.repeat(31)}…`);
    expect(line.critics).toHaveLength(16);
  });

  it('appends to an existing file instead of replacing it', async () => {
    const first = open({});
    first.audit.write({ event: 'host', decision: 'deny', requestId: 'one' });
    await first.audit.close();
    const again = createAuditLog(resolveConfig({ overrides: { auditLog: first.file } }), { env: ENV });
    again.write({ event: 'host', decision: 'deny', requestId: 'two' });
    await again.close();
    expect(readLines(first.file).map((l) => JSON.parse(l).requestId)).toEqual(['one', 'two']);
    expect(statSync(first.file).mode & 0o777).toBe(0o600);
  });

  it('closes once however often it is asked, and drops (counts) entries written after close', async () => {
    const { audit, file } = open({});
    audit.write({ event: 'origin', decision: 'deny', requestId: 'before' });
    await Promise.all([audit.close(), audit.close()]);
    await audit.close();
    audit.write({ event: 'origin', decision: 'deny', requestId: 'after' });
    expect(audit.stats()).toEqual({ written: 1, dropped: 1, failed: false });
    expect(readLines(file).map((l) => JSON.parse(l).requestId)).toEqual(['before']);
  });

  it('is a no-op when auditLog is unset', async () => {
    const audit = createAuditLog(resolveConfig({ overrides: { auditLog: '' } }));
    expect(audit).toBe(NO_AUDIT_LOG);
    audit.write({ event: 'auth', decision: 'allow' });
    await audit.close();
    expect(audit.stats()).toEqual({ written: 0, dropped: 0, failed: false });
  });
});

describe('rotation', () => {
  it('rotates at auditMaxFileBytes and keeps exactly auditKeptFiles older files, newest first', async () => {
    const { audit, file } = open({ auditMaxFileBytes: 1024, auditKeptFiles: 3 });
    const total = 200;
    for (let i = 0; i < total; i++) {
      audit.write({ event: 'tool_call', decision: 'ok', principal: 'p', tool: 'roast', requestId: `n${i}` });
    }
    await audit.close();
    const dir = join(file, '..');
    expect(readdirSync(dir).sort()).toEqual(['audit.log', 'audit.log.1', 'audit.log.2', 'audit.log.3']);
    const ordered = ['audit.log.3', 'audit.log.2', 'audit.log.1', 'audit.log'].flatMap((name) => {
      const lines = readLines(join(dir, name));
      const longest = Math.max(...lines.map((l) => Buffer.byteLength(l) + 1));
      // A file passes the size by at most the line that crossed it.
      expect(statSync(join(dir, name)).size).toBeLessThan(1024 + longest);
      return lines.map((l) => Number(JSON.parse(l).requestId.slice(1)));
    });
    // The kept files hold the newest entries, in order, none missing between them, ending with the last one.
    expect(ordered.at(-1)).toBe(total - 1);
    expect(ordered).toEqual(ordered.map((_, i) => ordered[0]! + i));
    expect(ordered[0]).toBeGreaterThan(0);
  });
});

describe('when the disk cannot keep up or fails', () => {
  it('drops entries past auditMaxPendingBytes, counts them, and writes how many were lost', async () => {
    const { audit, file } = open({ auditMaxPendingBytes: 64 * 1024, auditMaxFieldChars: 256 });
    const total = 2_000;
    for (let i = 0; i < total; i++) {
      audit.write({ event: 'rate_limit', decision: 'deny', principal: 'x'.repeat(200), requestId: `d${i}` });
    }
    const { written, dropped } = audit.stats();
    expect(dropped).toBeGreaterThan(0);
    expect(written + dropped).toBe(total);
    await audit.flush();
    audit.write({ event: 'rate_limit', decision: 'deny', requestId: 'after' });
    await audit.close();
    const lines = readLines(file).map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.event === 'rate_limit')).toHaveLength(written + 1);
    // Every loss is told, in notices written as soon as there was room again; none is lost from the count.
    const notices = lines.filter((l) => l.event === 'audit_dropped');
    expect(notices.every((n) => n.decision === 'error' && n.count >= 1)).toBe(true);
    expect(notices.reduce((sum, n) => sum + n.count, 0)).toBe(dropped);
    expect(lines.at(-2)).toMatchObject({ event: 'audit_dropped' });
    expect(lines.at(-1)).toMatchObject({ requestId: 'after' });
  });

  it('reports a file it cannot open once, without its path, and never throws to the caller', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'not-a-dir'), '');
    const config = resolveConfig({ overrides: { auditLog: join(dir, 'not-a-dir', 'audit.log') } });
    const lines: string[] = [];
    const audit: AuditLog = createAuditLog(config, { log: (l) => lines.push(l) });
    audit.write({ event: 'auth', decision: 'deny' });
    await vi.waitFor(() => expect(audit.stats().failed).toBe(true));
    expect(() => audit.write({ event: 'auth', decision: 'deny' })).not.toThrow();
    await audit.flush();
    await audit.close();
    expect(audit.stats().dropped).toBeGreaterThanOrEqual(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('cannot write');
    expect(lines[0]).not.toContain(dir);
  });
});
