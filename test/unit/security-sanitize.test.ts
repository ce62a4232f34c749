/** sanitizeText and sanitizeData: every rule, text that must pass unchanged, and linear-time behaviour. */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { newKey } from '../../src/http/index.js';
import { sanitizeData, sanitizeText } from '../../src/security/index.js';

const roots = ['/work/proj'];
const env = {
  OPENAI_API_KEY: 'sk-live-0123456789abcdef',
  GITHUB_TOKEN: 'tok3n-value-xyz',
  DB_PASSWORD: 'hunter2-correct-horse',
  SHORT_SECRET: 'abc12',
  SESSION_COOKIE: 'c00kie-jar-value',
  BRUTALIST_REDIS_URL: 'redis://redis.internal:6379/0',
  BRUTALIST_CLAUDE_BIN: 'claude',
  BRUTALIST_MAX_CONTEXT_CHARS: '200000000',
  BRUTALIST_ROOTS: '/srv/app:/srv/lib',
  EDITOR: 'vim-but-longer',
  LANG: 'en_US.UTF-8',
};
const s = (text: string, maxChars?: number) => sanitizeText(text, { roots, env, maxChars });

describe('sanitizeText: host paths', () => {
  it.each([
    ['/etc/passwd'],
    ['/home/alice/.ssh/id_rsa'],
    ['/Users/bob/Library/Keychains/login.keychain'],
    ['/tmp/brutalist-abc123/out.json'],
    ['/var/folders/xy/T/tmp.123'],
    ['/work/proj-evil/src/a.ts'],
    ['/work/proj/../../etc/shadow'],
    ['//home/alice/x'],
  ])('replaces %s (outside the roots) with <path>', (p) => {
    expect(s(`failed to read ${p} today`)).toBe('failed to read <path> today');
  });

  it('keeps paths inside a root as root-relative, with line and column kept', () => {
    expect(s('see /work/proj/src/a.ts:12:3 and (/work/proj/test/b.test.ts)')).toBe(
      'see src/a.ts:12:3 and (test/b.test.ts)',
    );
    expect(s('root is /work/proj and /work/proj/')).toBe('root is . and .');
  });

  it('keeps a sentence-ending dot outside the path', () => {
    expect(s('Look at /work/proj/src/a.ts. Then /home/x/y.')).toBe('Look at src/a.ts. Then <path>.');
  });

  it('uses the longest of nested roots, and a Windows root for Windows paths', () => {
    const nested = { roots: ['/work', '/work/proj'], env: {} };
    expect(sanitizeText('/work/proj/a.ts /work/other/b.ts', nested)).toBe(
      'a.ts proj/other/b.ts'.replace('proj/', ''),
    );
    const win = { roots: ['C:\\Code\\App'], env: {} };
    expect(sanitizeText('C:\\code\\app\\src\\a.ts and C:\\Users\\bob\\x.txt', win)).toBe(
      'src\\a.ts and <path>',
    );
  });

  it('makes every path relative under a file-system root, POSIX or a Windows drive', () => {
    expect(sanitizeText('/etc/passwd and /', { roots: ['/'], env: {} })).toBe('etc/passwd and .');
    expect(sanitizeText('C:\\Users\\x.txt', { roots: ['C:\\'], env: {} })).toBe('Users\\x.txt');
    expect(sanitizeText('C:\\Code\\App\\a.ts', { roots: ['C:\\Code\\App\\'], env: {} })).toBe('a.ts');
  });

  it('ignores roots that are empty, hold a NUL or are not strings', () => {
    const roots = ['', 'a\0b', 7] as unknown as string[];
    expect(sanitizeText('/work/x/y', { roots, env: {} })).toBe('<path>');
  });

  it('reads file: URLs for localhost, bare or relative, and with malformed escapes', () => {
    expect(
      s(
        'file: file://localhost/work/proj/a.ts file://localhost file:relative/x file:///work/proj/%E0%A4%A.ts',
      ),
    ).toBe('file: a.ts <path> file:relative/x %E0%A4%A.ts');
  });

  it('replaces Windows drive and UNC paths', () => {
    expect(s('at C:\\Users\\bob\\secret.txt or D:/data/dump.sql or \\\\fileserver\\share\\x')).toBe(
      'at <path> or <path> or <path>',
    );
  });

  it('replaces file:// URLs outside the roots and makes those inside relative', () => {
    expect(
      s('file:///home/alice/a.ts file:///work/proj/src/b%20c.ts file://server/share/x file:/etc/hosts'),
    ).toBe('<path> src/b c.ts <path> <path>');
    expect(s('FILE:///C:/Users/bob/x.txt')).toBe('<path>');
  });

  it('leaves web URLs alone except credentials, but still finds host paths in their query', () => {
    expect(s('see https://example.com/docs/api?x=1#top')).toBe('see https://example.com/docs/api?x=1#top');
    expect(s('redis://admin:pa55word@db.internal:6379/0')).toBe('redis://<redacted>@db.internal:6379/0');
    expect(s('http://localhost:8080/read?file=/home/alice/notes.txt')).toBe(
      'http://localhost:8080/read?file=<path>',
    );
  });

  it('replaces the home directory even when glued to a word, where the path rule cannot see it', () => {
    const withHome = { roots, env: { HOME: '/home/alice' } };
    expect(sanitizeText('copied to backup/home/alice/.npmrc', withHome)).toBe(
      'copied to backup<path>/.npmrc',
    );
    expect(sanitizeText('home is /root', { roots, env: { HOME: '/root' } })).toBe('home is /root');
  });

  it('keeps single-component paths such as routes, which reveal no user or layout', () => {
    expect(s('GET /healthz and /metrics; files go to /tmp')).toBe(
      'GET /healthz and /metrics; files go to /tmp',
    );
  });
});

describe('sanitizeText: secrets', () => {
  it('removes values of env variables whose names look secret, when 6 characters or longer', () => {
    expect(s('key sk-live-0123456789abcdef, tok3n-value-xyz, hunter2-correct-horse, c00kie-jar-value')).toBe(
      'key <redacted>, <redacted>, <redacted>, <redacted>',
    );
    expect(s('short abc12 stays; vim-but-longer and en_US.UTF-8 are not secrets')).toBe(
      'short abc12 stays; vim-but-longer and en_US.UTF-8 are not secrets',
    );
  });

  it('removes BRUTALIST_* values, but not short words, numbers or path lists the path rules handle', () => {
    expect(s('connecting to redis://redis.internal:6379/0 failed')).toBe('connecting to <redacted> failed');
    expect(s('claude exited; limit 200000000')).toBe('claude exited; limit 200000000');
    expect(s('root /srv/app/x.ts')).toBe('root <path>');
  });

  describe('with process.env as the default', () => {
    afterEach(() => {
      delete process.env.BRUTALIST_SANITIZE_TEST_VALUE;
    });
    it('reads secrets from process.env when no env is given', () => {
      process.env.BRUTALIST_SANITIZE_TEST_VALUE = 'qz-9f8e7d6c5b';
      expect(sanitizeText('value qz-9f8e7d6c5b here', { roots })).toBe('value <redacted> here');
    });
  });

  it.each([
    ['sk-proj-Ab12Cd34Ef56Gh78Ij90KlMn'],
    ['sk-ant-api03-AbCdEf123456-xyz_789'],
    ['sk-1234567890abcdef'],
    ['AIzaSyA1234567890abcdefghijklmnopqrstu'],
    ['ghp_abcdefghijklmnopqrstuvwxyz0123456789'],
    ['github_pat_11ABCDEFG0123456789_abcdefghijklmnop'],
    ['xoxb-1234567890-abcdefghij'],
    ['AKIAIOSFODNN7EXAMPLE'],
    ['bmk_Qx3vN9sK2pL7wE4rT8yU1iO5aS6dF0gH-jZ_cXbVnMm'],
    ['eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U'],
  ])('redacts the token %s', (token) => {
    expect(s(`token was ${token} here`)).toBe('token was <redacted> here');
  });

  it('redacts an API key of this server whatever surrounds it, but not a bmk_ identifier', () => {
    const key = newKey('ci', ['roast']).token;
    expect(s(`key=${key}`)).toBe('key=<redacted>');
    expect(s(`"${key}"`)).toBe('"<redacted>"');
    expect(s(`got ${key.slice(0, 36)} (cut)`)).toBe('got <redacted> (cut)');
    expect(s('see bmk_token_prefix_of_every_api_key_here')).toBe(
      'see bmk_token_prefix_of_every_api_key_here',
    );
  });

  it('redacts Bearer and Basic credentials but keeps the scheme word', () => {
    expect(s('Authorization: Bearer abc123.def456-ghi')).toBe('Authorization: Bearer <redacted>');
    expect(s('authorization: basic dXNlcjpwYXNzd29yZA==')).toBe('authorization: basic <redacted>');
  });

  it('redacts values of secret-looking keys in key=value, key: value and JSON forms', () => {
    expect(s('api_key=abcd1234 password: "letmein" "client_secret": "s3cr3t!x" x-auth-token=zzz999')).toBe(
      'api_key=<redacted> password: "<redacted>" "client_secret": "<redacted>" x-auth-token=<redacted>',
    );
  });

  it('redacts long hex and base64 values in any key=value', () => {
    expect(
      s('sig=0123456789abcdef0123456789abcdef01234567 data=QWxhZGRpbjpvcGVuIHNlc2FtZQ1234567890Ab=='),
    ).toBe('sig=<redacted> data=<redacted>');
  });

  it('redacts PEM private key blocks, even unterminated ones', () => {
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAK\n-----END RSA PRIVATE KEY-----';
    expect(s(`before\n${pem}\nafter`)).toBe('before\n<redacted>\nafter');
    expect(s('x -----BEGIN PRIVATE KEY-----\nMIIE truncated')).toBe('x <redacted>');
    expect(s('-----BEGIN CERTIFICATE----- public')).toBe('-----BEGIN CERTIFICATE----- public');
  });

  it('does not mistake ordinary words, types and counts for secrets', () => {
    const text =
      'maxTokens: 4096, apiKey: string, token: undefined, author: Jane, Bearer authentication is used, ' +
      'sk-learn is a library, commit abc1234, password: process.env.DB_PASSWORD';
    expect(s(text)).toBe(text);
  });
});

describe('sanitizeText: stack traces and truncation', () => {
  it('strips stack frame lines and keeps the message', () => {
    const trace = [
      'Error: boom',
      '    at Object.<anonymous> (/home/alice/app/index.js:10:15)',
      '    at async Promise.all (index 0)',
      '    at new Runner [as run] (node:internal/x:1:2)',
      '    at /home/alice/app/index.js:3:9',
      '\tat <anonymous>',
      'done',
    ].join('\n');
    expect(s(trace)).toBe('Error: boom\ndone');
  });

  it('keeps indented prose that starts with "at"', () => {
    const text = 'Notes:\n  at least one call to foo() is slow\n  at the moment (sadly) nothing';
    expect(s(text)).toBe(text);
  });

  it('truncates to 2000 characters by default, ellipsis included', () => {
    const out = s('word '.repeat(1_000));
    expect(out.length).toBe(2_000);
    expect(out.endsWith('…')).toBe(true);
  });

  it('truncates to maxChars, leaves text of exactly maxChars alone, and never splits a surrogate pair', () => {
    expect(s('abcdefghij', 5)).toBe('abcd…');
    expect(s('abcde', 5)).toBe('abcde');
    expect(s('abc😀def', 5)).toBe('abc…');
    expect(s('abc', 0)).toBe('');
    expect(s('x'.repeat(3_000), Number.NaN).length).toBe(2_000);
  });

  it('bounds huge input before the rules run, without letting a cut secret through', () => {
    const huge = `${'safe '.repeat(10_000)}ghp_abcdefghijklmnopqrstuvwxyz0123456789 ${'x'.repeat(1_000_000)}`;
    const out = s(huge, 100);
    expect(out.length).toBe(100);
    expect(out.endsWith('…')).toBe(true);
    const glued = s(`${'y'.repeat(30_000)}sk-ant-api03-abcdefghijklmnop`, 3_000);
    expect(glued).not.toMatch(/sk-ant/);
  });
});

describe('sanitizeText: text without sensitive content', () => {
  it('is returned unchanged', () => {
    const text =
      'Critique: the function parse() in src/a.ts has 3 issues (see line 12).\n' +
      '- Use 1/2 of the budget, and/or rewrite it; ratio 3:4; x = y + 1.\n' +
      '- Route GET /healthz is fine. Docs: https://example.com/guide#setup\n' +
      '  * nested: ./scripts/run.sh and ../lib/b.ts, ~/notes, C# and F#, 50% <b>bold</b>\n' +
      'Ünïcödé ✓ 😀 — done.';
    expect(s(text, 10_000)).toBe(text);
  });

  it('is unchanged for any sentence built from ordinary words (property)', () => {
    const words = fc.constantFrom(
      ...['the', 'function', 'returns', 'src/a.ts', 'line', '12', 'and/or', '1/2', 'foo()', '.', ',', '\n'],
      ...['error', 'GET', '/healthz', 'https://example.com/docs', 'maxTokens: 4096', 'apiKey: string', '-'],
      ...['Bearer', 'tokens', 'at', 'least', '(see', 'above)', 'x=1', 'key', 'README.md', 'über', '🙂', '  '],
    );
    fc.assert(
      fc.property(fc.array(words, { maxLength: 60 }), (parts) => {
        const text = parts.join(' ');
        expect(sanitizeText(text, { roots, env, maxChars: 100_000 })).toBe(text);
      }),
      { numRuns: 300 },
    );
  });
});

describe('sanitizeText: any input (property)', () => {
  const planted = fc.oneof(
    fc.constantFrom(
      env.OPENAI_API_KEY,
      env.GITHUB_TOKEN,
      env.DB_PASSWORD,
      env.SESSION_COOKIE,
      env.BRUTALIST_REDIS_URL,
    ),
    fc.stringMatching(/^[a-z]{2,8}\/[a-z0-9]{1,8}$/).map((t) => `/home/${t}`),
    fc.stringMatching(/^[A-Za-z0-9]{24,40}$/).map((t) => `sk-ant-${t}`),
    fc.stringMatching(/^[A-Za-z0-9]{36}$/).map((t) => `ghp_${t}`),
  );

  it('never lets a planted secret or outside path through, and never exceeds maxChars', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 200 }),
        planted,
        fc.string(),
        (before, secret, after) => {
          const out = sanitizeText(`${before} ${secret} ${after}`, { roots, env, maxChars: 100_000 });
          expect(out).not.toContain(secret);
          const short = sanitizeText(`${before} ${secret} ${after}`, { roots, env, maxChars: 50 });
          expect(short.length).toBeLessThanOrEqual(50);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('stays linear on adversarial input (each case is ~100k characters; quadratic would time out)', () => {
    const fragment = fc.constantFrom(
      ...[
        'sk-',
        'a',
        '/',
        'a=',
        '= ',
        ' ',
        '    at ',
        'file://',
        'C:\\',
        '\\\\',
        'Bearer ',
        'eyJ',
        'aaaaaaaa.',
      ],
      ...[
        '://',
        'x://',
        '-----BEGIN ',
        'PRIVATE KEY-----',
        ':1',
        '%',
        '"',
        "'",
        '\n',
        '\t',
        'token',
        '.',
        '(',
      ],
    );
    fc.assert(
      fc.property(fc.array(fragment, { minLength: 1, maxLength: 4 }), (unit) => {
        const piece = unit.join('');
        const text = piece.repeat(Math.ceil(100_000 / piece.length));
        const out = sanitizeText(text, { roots, env, maxChars: 10_000_000 });
        expect(typeof out).toBe('string');
      }),
      { numRuns: 60 },
    );
  });

  it('handles known regex-killer shapes at a million characters', () => {
    const cases = [
      'a'.repeat(1_000_000),
      'a.'.repeat(500_000),
      `${'sk-'.repeat(333_333)}!`,
      `${'a'.repeat(999_999)}:`,
      `Bearer ${' '.repeat(999_000)}!`,
      `x://${'a'.repeat(999_000)}`,
      '-----BEGIN '.repeat(90_000),
      `eyJ${'a'.repeat(500_000)}.eyJ${'a'.repeat(400_000)}`,
      ` ${'/a'.repeat(500_000)}`,
      `${'\\\\'.repeat(500_000)}`,
      `  at ${'a('.repeat(400_000)}`,
    ];
    for (const text of cases)
      expect(sanitizeText(text, { roots, env, maxChars: 10_000_000 }).length).toBeGreaterThan(0);
  });
});

describe('sanitizeData', () => {
  it('sanitizes every string and key in a nested value without mutating it', () => {
    const input = {
      message: 'failed at /home/alice/x.ts',
      data: {
        files: ['/work/proj/src/a.ts', 42, true, null],
        '/home/alice/k': 'sk-ant-api03-abcdefghijklmn',
      },
    };
    const copy = structuredClone(input);
    expect(sanitizeData(input, { roots, env })).toEqual({
      message: 'failed at <path>',
      data: { files: ['src/a.ts', 42, true, null], '<path>': '<redacted>' },
    });
    expect(input).toEqual(copy);
  });

  it('replaces values deeper than maxDepth and ends reference cycles', () => {
    expect(sanitizeData({ a: { b: { c: 'x' } } }, { roots, env, maxDepth: 2 })).toEqual({
      a: { b: '<truncated>' },
    });
    const cyclic: Record<string, unknown> = { name: 'n' };
    cyclic.self = cyclic;
    const out = sanitizeData(cyclic, { roots, env, maxDepth: 3 }) as Record<string, unknown>;
    expect(out).toEqual({ name: 'n', self: { name: 'n', self: { name: 'n', self: '<truncated>' } } });
  });

  it('turns Errors and Dates into JSON, drops non-JSON values, and keeps __proto__ as data', () => {
    const out = sanitizeData(
      { err: new Error('open /home/alice/x failed'), at: new Date(0), big: 1n, fn: () => 1 },
      { roots, env },
    );
    expect(out).toEqual({
      err: { name: 'Error', message: 'open <path> failed' },
      at: '1970-01-01T00:00:00.000Z',
    });
    const proto = sanitizeData(JSON.parse('{"__proto__": {"polluted": "yes"}}'), { roots, env }) as object;
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(Object.keys(proto)).toEqual(['__proto__']);
  });

  it('applies maxChars to each string', () => {
    expect(sanitizeData(['abcdefghij'], { roots, env, maxChars: 4 })).toEqual(['abc…']);
  });
});
