/** The critique sanitizer and the input redactor: every kind removed and counted, prose and markdown kept. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CritiqueSanitizer, NO_SANITIZED, REDACTED } from '../../src/security/index.js';

const ESC = '\u001b';
const env = {
  FOO_API_KEY: 'canary-7f3a9c2e-value',
  SHORT_TOKEN: 'abc12',
  BRUTALIST_DEFAULT_PRIORITY: 'interactive',
  BRUTALIST_DROP_POLICY: 'drop-oldest',
  PATH: '/usr/bin:/bin',
};
const sanitizer = new CritiqueSanitizer(env);
const clean = (text: string) => sanitizer.critique(text);

describe('critique sanitizer: terminal controls', () => {
  it('removes CSI colour and cursor sequences whole and counts each one', () => {
    const out = clean(`${ESC}[1;31mRED${ESC}[0m and ${ESC}[2J${ESC}[H cleared`);
    expect(out.text).toBe('RED and  cleared');
    expect(out.counts).toEqual({ ...NO_SANITIZED, escapes: 4 });
  });

  it('removes OSC 52 clipboard writes terminated by BEL or by ST, payload included', () => {
    const bel = `a${ESC}]52;c;cm0gLXJmIH4=\u0007b`;
    const st = `a${ESC}]52;c;cm0gLXJmIH4=${ESC}\\b`;
    expect(clean(bel).text).toBe('ab');
    expect(clean(st).text).toBe('ab');
    expect(clean(st).counts.escapes).toBe(1);
  });

  it('removes OSC 8 hyperlinks but keeps their visible text', () => {
    const link = `see ${ESC}]8;;https://evil.example/${ESC}\\the docs${ESC}]8;;${ESC}\\ now`;
    expect(clean(link).text).toBe('see the docs now');
    expect(clean(link).counts.escapes).toBe(2);
  });

  it('removes DCS, SOS, PM and APC strings and the 8-bit C1 forms', () => {
    const text = `1${ESC}Pq#0;2;0;0;0${ESC}\\2${ESC}Xsos${ESC}\\3${ESC}^pm${ESC}\\4${ESC}_apc${ESC}\\5\u009b31m6\u009d0;title\u009c7\u0090dcs\u009c8`;
    const out = clean(text);
    expect(out.text).toBe('12345678');
    expect(out.counts.escapes).toBe(7);
  });

  it('removes two-character escapes (reset, save cursor, charset) and a lone trailing ESC', () => {
    const out = clean(`a${ESC}cb${ESC}7c${ESC}(Bd${ESC}`);
    expect(out.text).toBe('abcd');
    expect(out.counts.escapes).toBe(4);
  });

  it('drops only the introducer of an unterminated control string: the rest is inert text', () => {
    const out = clean(`before ${ESC}]0;never closed\nline two`);
    expect(out.text).toBe('before 0;never closed\nline two');
    expect(out.counts.escapes).toBe(1);
  });

  it('strips C0/C1 controls and DEL but keeps newline and tab; CRLF becomes LF uncounted', () => {
    const out = clean('a\u0000b\u0007c\u0008d\re\u007ff\u0085g\th\r\ni\n');
    expect(out.text).toBe('abcdefg\th\ni\n');
    expect(out.counts).toEqual({ ...NO_SANITIZED, controls: 6 });
  });

  it('strips bidi embeddings, overrides and isolates (Trojan Source) and counts them', () => {
    const out = clean(
      'if (isAdmin) \u202e\u2066// check later\u2069\u2066 {\u202a\u202b\u202c\u202d\u2067\u2068',
    );
    expect(out.text).toBe('if (isAdmin) // check later {');
    expect(out.counts.bidi).toBe(10);
  });

  it('keeps markdown, code fences, newlines, non-Latin text and emoji byte for byte', () => {
    const md = [
      '# Verdict',
      '',
      '| a | b |',
      '|---|---|',
      '| `x` | **y** |',
      '',
      '```ts',
      'const key = process.env.API_KEY;\tif (a <= b && c) {}',
      '```',
      '',
      '- ünïcödé, 日本語, العربية (RTL text itself is kept), 🔥 > quote',
      '[link](https://example.com/a?b=1#c) and Key: findings; Token: budgets; commit: 3f9a1c2e4b5d6a7f8e9d0c1b2a3f4e5d6c7b8a9f',
    ].join('\n');
    const out = clean(md);
    expect(out.text).toBe(md);
    expect(out.counts).toEqual(NO_SANITIZED);
  });
});

describe('critique sanitizer: secrets', () => {
  it('redacts the one secret among many kept `Key: value` matches and keeps every other character', () => {
    const prose = 'Note: fine. Risk: high. Owner: ops.\n'.repeat(500);
    const secret = 'password: hunter2abc1';
    const text = `${prose}${secret} and Bearer abcdefghijk123\n${prose}`;
    const { text: out, counts } = new CritiqueSanitizer({}).critique(text);
    expect(out).toBe(`${prose}password: ${REDACTED} and Bearer ${REDACTED}\n${prose}`);
    expect(counts.secrets).toBe(2);
  });

  it('redacts secret shapes and counts them', () => {
    const text = [
      'token ghp_abcdefghijklmnopqrstuvwxyz0123456789 leaked',
      'key sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z',
      'aws AKIAIOSFODNN7EXAMPLE',
      'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
      'db postgres://admin:p4ssw0rd@db.internal/app',
      'API_SECRET=Zk3pQ9xLm2Rt7Vb4Nc8Hj5Ws1Ya6Ed0U',
      '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----',
    ].join('\n');
    const out = clean(text);
    for (const leaked of ['ghp_', 'sk-proj', 'AKIA', 'eyJ', 'p4ssw0rd', 'Zk3pQ9', 'b3BlbnNz']) {
      expect(out.text).not.toContain(leaked);
    }
    expect(out.counts.secrets).toBe(7);
    expect(out.text).toContain(`API_SECRET=${REDACTED}`);
  });

  it("redacts the server's own credential env values (and counts each occurrence), not its settings", () => {
    const out = clean('canary-7f3a9c2e-value twice: canary-7f3a9c2e-value; interactive and drop-oldest stay');
    expect(out.text).toBe(`${REDACTED} twice: ${REDACTED}; interactive and drop-oldest stay`);
    expect(out.counts.envValues).toBe(2);
  });

  it('finds a secret that an escape sequence split in two', () => {
    const out = clean(`ghp_abcdefghij${ESC}[0mklmnopqrstuvwxyz0123456789`);
    expect(out.text).toBe(REDACTED);
    expect(out.counts).toEqual({ ...NO_SANITIZED, escapes: 1, secrets: 1 });
  });

  it('leaves prose assignments and identifiers alone', () => {
    const prose =
      'Key: the auth module. password: required. token: budget. hf_hub_download and npm_config_cache are names.';
    expect(clean(prose).text).toBe(prose);
  });

  it('keeps names made of words and numbers after a key, and still redacts a generated key with separators', () => {
    const names = 'marker: MARK-confined-claude-14789. build=Release_Linux_x_2024_Final';
    expect(clean(names).text).toBe(names);
    expect(clean('key=Zk3p-Q9xL-m2Rt-7Vb4-Nc8H').text).toBe(`key=${REDACTED}`);
  });
});

describe('input redaction', () => {
  it('redacts secrets and credential env values from client text and counts them', () => {
    const out = sanitizer.input(
      'my .env:\nSTRIPE_KEY=sk_live_4eC39HqLyjWDarjtT1zdp7dc\nand canary-7f3a9c2e-value, github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz',
    );
    expect(out.text).not.toContain('sk_live_4eC39');
    expect(out.text).not.toContain('canary-7f3a9c2e');
    expect(out.text).not.toContain('github_pat_');
    expect(out.counts).toEqual({ secrets: 2, envValues: 1 });
  });

  it('does not touch terminal controls in input (only critic output is rendered to a terminal)', () => {
    expect(sanitizer.input(`${ESC}[1mbold`).text).toBe(`${ESC}[1mbold`);
  });
});

describe('critique sanitizer: properties', () => {
  it('output never holds ESC, C0/C1 controls (other than \\n, \\t) or bidi controls, for any input', () => {
    const alphabet = fc.constantFrom(
      ESC,
      '[',
      ']',
      '\\',
      '\u0007',
      '\u009c',
      '\u009b',
      '\u009d',
      'P',
      '5',
      '2',
      ';',
      'm',
      'a',
      '\n',
      '\r',
      '\t',
      '\u202e',
      '\u2066',
      '\u0000',
      ' ',
    );
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 60 }), (chars) => {
        const out = clean(chars.join('')).text;
        // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find control characters
        expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
      }),
      { numRuns: 2_000 },
    );
  });

  it('is the identity on text without controls, bidi or secrets (counts all zero)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', 'b', ' ', '\n', '#', '*', '`', '|', 'é', '日') }),
        (s) => {
          const out = clean(s);
          expect(out.text).toBe(s);
          expect(out.counts).toEqual(NO_SANITIZED);
        },
      ),
    );
  });

  it('stays linear on adversarial input (each case is ~200k characters; quadratic would time out)', () => {
    const cases = [
      `${ESC}]`.repeat(100_000),
      `${ESC}]0;x`.repeat(50_000),
      `${ESC}[`.repeat(100_000),
      `${ESC}[${'1;'.repeat(100_000)}`,
      `\u009d${'a'.repeat(200_000)}`,
      `${ESC}P`.repeat(50_000) + '\u0007',
      '\u202e'.repeat(200_000),
      'KEY=' + 'Ab1'.repeat(70_000),
    ];
    for (const text of cases) {
      const out = clean(text);
      expect(out.text.length).toBeLessThanOrEqual(text.length);
    }
  });
});

describe('input redaction: addresses are not keys', () => {
  it('keeps paths, URLs and dotted names with random-looking parts', () => {
    const text = [
      'pidfile=/tmp/brutalist-e2e-Xa8Kq2Zt9/grandchild.pid',
      'home=~/Xa8Kq2Zt9Lm3Nb7Vc1Qw',
      'url=https://example.com/Xa8Kq2Zt9Lm3Nb7Vc1Qw',
      'module=pkg.Xa8Kq2Zt9Lm3.Nb7Vc1Qw',
    ].join('\n');
    expect(sanitizer.input(text)).toEqual({ text, counts: { secrets: 0, envValues: 0 } });
  });
});
