import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ADAPTERS,
  assertSafeModel,
  formatExitClass,
  JsonlDecoder,
  parseJsonl,
  parseSemver,
  scrubDetail,
  statusFromMessage,
} from '../../src/critics/index.js';

describe('formatExitClass', () => {
  it.each([
    [{ kind: 'ok' } as const, 'ok'],
    [{ kind: 'exit', code: 1 } as const, 'exit:1'],
    [{ kind: 'signal', signal: 'SIGSEGV' } as const, 'signal:SIGSEGV'],
    [{ kind: 'output_cap' } as const, 'output_cap'],
    [{ kind: 'timeout' } as const, 'timeout'],
    [{ kind: 'spawn_error', errno: 'EACCES' } as const, 'spawn_error'],
  ])('%j → %s', (exit, text) => {
    expect(formatExitClass(exit)).toBe(text);
  });
});

describe('scrubDetail', () => {
  it('masks host paths but keeps URLs', () => {
    const out = scrubDetail(
      'Please set an Auth method in your /Users/robert/.gemini/settings.json or ~/.codex/auth.json, url: https://api.openai.com/v1/responses',
    );
    expect(out).not.toContain('/Users/robert');
    expect(out).not.toContain('~/.codex');
    expect(out).toContain('<path>');
    expect(out).toContain('https://api.openai.com/v1/responses');
  });

  it('makes one line of at most 300 characters', () => {
    const out = scrubDetail(`line one\nline two ${'x'.repeat(1000)}`);
    expect(out.startsWith('line one line two')).toBe(true);
    expect(out.length).toBeLessThanOrEqual(300);
  });

  it('never exceeds 300 characters nor contains a newline, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 2000 }), (s) => {
        const out = scrubDetail(s);
        return out.length <= 300 && !out.includes('\n');
      }),
    );
  });
});

describe('statusFromMessage', () => {
  it.each([
    ['unexpected status 401 Unauthorized', 401],
    ['exceeded retry limit, last status: 429 Too Many Requests', 429],
    ['API Error: 500 {"type":"error"}', 500],
    ['[API Error: got status: 404 Not Found.]', 404],
    ['took 429ms', undefined],
  ])('%s → %s', (message, status) => {
    expect(statusFromMessage(message)).toBe(status);
  });
});

describe('parseSemver', () => {
  it.each([
    ['2.1.197 (Claude Code)\n', '2.1.197'],
    ['codex-cli 0.169.0\n', '0.169.0'],
    ['0.61.0\n', '0.61.0'],
    ['v1.2.3-beta.1\n', '1.2.3-beta.1'],
    ['command not found\n', undefined],
    ['12\n', undefined],
  ])('%j → %s', (stdout, version) => {
    expect(parseSemver(stdout)).toBe(version);
  });
});

describe('assertSafeModel', () => {
  it.each([
    'claude-opus-4-8',
    'gpt-5.1-codex',
    'gemini-2.5-pro',
    'models/gemini-x',
    'claude-opus-4-8[1m]',
    'org@v1:2',
  ])('accepts %s', (m) => {
    expect(() => assertSafeModel(m)).not.toThrow();
  });
  it.each(['-m', '--yolo', 'a b', 'x;y', '', 'x'.repeat(200), 'm\n'])('refuses %j', (m) => {
    expect(() => assertSafeModel(m)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('JsonlDecoder', () => {
  it('yields objects as complete lines arrive, across chunk and UTF-8 boundaries', () => {
    const decoder = new JsonlDecoder();
    const bytes = Buffer.from('{"a":"é"}\n{"b":2}\n');
    const out = [];
    for (let i = 0; i < bytes.length; i++) out.push(...decoder.push(bytes.subarray(i, i + 1)));
    out.push(...decoder.end());
    expect(out).toEqual([{ a: 'é' }, { b: 2 }]);
  });

  it('skips noise lines and arrays and drops a cut last line', () => {
    expect(parseJsonl('warning: x\n[1,2]\n{"ok":1}\n{"cut":')).toEqual([{ ok: 1 }]);
  });

  it('parses a final line without a newline', () => {
    expect(parseJsonl('{"a":1}')).toEqual([{ a: 1 }]);
  });
});

describe('ADAPTERS', () => {
  it('has one adapter per critic, named after it, probing with --version', () => {
    for (const [name, adapter] of Object.entries(ADAPTERS)) {
      expect(adapter.name).toBe(name);
      expect(adapter.versionArgs).toEqual(['--version']);
      const everyProvider = {
        CLAUDE_CODE_USE_BEDROCK: '1',
        CLAUDE_CODE_USE_VERTEX: '1',
        CLAUDE_CODE_USE_MANTLE: '1',
      };
      for (const env of [{}, everyProvider]) {
        expect(adapter.envAllowlist(env).length).toBeGreaterThan(0);
        // A bare `*` would pass the whole server env (secrets included) to the child.
        expect(adapter.envAllowlist(env)).not.toContain('*');
      }
    }
  });

  it('never puts the prompt or a permission-bypass flag into argv, for any prompt (agy: only as --print)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (prompt) => {
        for (const adapter of Object.values(ADAPTERS)) {
          const inv = adapter.buildInvocation({ prompt }, undefined);
          if (adapter.name === 'agy') {
            // agy reads no stdin: the prompt is the value of --print, the last argv item, never an option.
            expect(inv.stdin).toBe('');
            expect(inv.args.at(-2)).toBe('--print');
            expect(inv.args.at(-1)?.startsWith('-')).toBe(false);
            expect(inv.shownArgs).not.toContain(prompt);
            const flags = inv.args.slice(0, -1).join(' ');
            expect(flags).not.toMatch(/dangerously|yolo|bypass|full-access|accept-edits/);
            continue;
          }
          expect(inv.stdin).toBe(prompt);
          if (prompt.length > 3) expect(inv.args).not.toContain(prompt);
          expect(inv.args.join(' ')).not.toMatch(/dangerously|yolo|bypass|full-access/);
        }
      }),
    );
  });
});
