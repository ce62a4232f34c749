/** resolveTarget and rootsFromUris against a real temp tree with symlinks, a FIFO, a socket and devices. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBrutalistError } from '../../src/errors/index.js';
import { PATH_ERROR_CODES, resolveTarget, rootsFromUris } from '../../src/security/index.js';

const limits = { maxPathChars: 4096, maxPathComponentChars: 255 };

let base: string; // realpath of the temp dir
let root: string;
let server: net.Server | undefined;

async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    if (!isBrutalistError(err)) throw err;
    return { code: err.code, message: err.message };
  }
  throw new Error('expected a rejection');
}

async function expectCode(target: string, roots: readonly string[], code: string): Promise<void> {
  const r = await rejection(resolveTarget(target, roots, limits));
  expect(r.code).toBe(code);
  // The message must never echo the path or reveal the host layout.
  expect(r.message).not.toContain(base);
  if (target.length > 3) expect(r.message).not.toContain(target);
}

beforeAll(async () => {
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'brutalist-sec-')));
  root = path.join(base, 'root');
  const outside = path.join(base, 'outside');
  fs.mkdirSync(path.join(root, 'src', 'deep', 'er'), { recursive: true });
  fs.mkdirSync(path.join(base, 'root-evil'));
  fs.mkdirSync(path.join(base, 'other'));
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(root, 'src', 'a.ts'), 'export {};\n');
  fs.writeFileSync(path.join(root, 'src', 'deep', 'er', 'b.ts'), 'export {};\n');
  fs.writeFileSync(path.join(base, 'root-evil', 'x.txt'), 'evil\n');
  fs.writeFileSync(path.join(base, 'other', 'c.ts'), 'export {};\n');
  fs.writeFileSync(path.join(outside, 'secret.txt'), 'secret\n');
  fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(root, 'link-file'));
  fs.symlinkSync(outside, path.join(root, 'link-dir'));
  fs.symlinkSync(path.join(root, 'src', 'a.ts'), path.join(outside, 'link-in'));
  fs.symlinkSync(path.join(root, 'src'), path.join(outside, 'link-in-dir'));
  fs.symlinkSync(path.join(root, 'loop-b'), path.join(root, 'loop-a'));
  fs.symlinkSync(path.join(root, 'loop-a'), path.join(root, 'loop-b'));
  fs.symlinkSync(path.join(root, 'missing'), path.join(root, 'dangling'));
  execFileSync('mkfifo', [path.join(root, 'fifo')]);
  const s = net.createServer();
  server = s;
  await new Promise<void>((done) => s.listen(path.join(root, 'ipc.sock'), done));
});

afterAll(async () => {
  if (server) await new Promise<void>((done) => server?.close(() => done()));
  fs.rmSync(base, { recursive: true, force: true });
});

describe('resolveTarget accepts', () => {
  it('a nested file given relative to the first root, returning its realpath, root and kind', async () => {
    expect(await resolveTarget('src/deep/er/b.ts', [root], limits)).toEqual({
      path: path.join(root, 'src', 'deep', 'er', 'b.ts'),
      root,
      kind: 'file',
    });
  });

  it('the root itself, as a directory', async () => {
    expect(await resolveTarget(root, [root], limits)).toEqual({ path: root, root, kind: 'directory' });
    expect(await resolveTarget('.', [root], limits)).toEqual({ path: root, root, kind: 'directory' });
  });

  it('an absolute path inside the root and a `..` that stays inside', async () => {
    const r = await resolveTarget(path.join(root, 'src', 'deep', '..', 'a.ts'), [root], limits);
    expect(r.path).toBe(path.join(root, 'src', 'a.ts'));
  });

  it('a symlink outside the roots whose realpath is inside (file and directory)', async () => {
    const file = await resolveTarget(path.join(base, 'outside', 'link-in'), [root], limits);
    expect(file).toEqual({ path: path.join(root, 'src', 'a.ts'), root, kind: 'file' });
    const dir = await resolveTarget(path.join(base, 'outside', 'link-in-dir'), [root], limits);
    expect(dir).toEqual({ path: path.join(root, 'src'), root, kind: 'directory' });
  });

  it('a path in the second of several roots, reporting that root', async () => {
    const other = path.join(base, 'other');
    const r = await resolveTarget(path.join(other, 'c.ts'), [root, other], limits);
    expect(r).toEqual({ path: path.join(other, 'c.ts'), root: other, kind: 'file' });
  });

  it('the longest root when roots nest', async () => {
    const src = path.join(root, 'src');
    expect((await resolveTarget('src/a.ts', [root, src], limits)).root).toBe(src);
  });

  it('relative targets against the first root that exists, never process.cwd()', async () => {
    const missing = path.join(base, 'no-such-root');
    expect((await resolveTarget('src/a.ts', [missing, root], limits)).path).toBe(
      path.join(root, 'src', 'a.ts'),
    );
    // package.json exists in the cwd of the test run but not in the root.
    await expectCode('package.json', [root], 'PATH_NOT_FOUND');
  });

  it('roots given through a symlink or with a trailing separator', async () => {
    const viaLink = path.join(base, 'root-link');
    fs.symlinkSync(root, viaLink);
    expect((await resolveTarget('src/a.ts', [`${viaLink}/`], limits)).root).toBe(root);
  });

  it('a file:// URL target', async () => {
    const url = pathToFileURL(path.join(root, 'src', 'a.ts')).href;
    expect((await resolveTarget(url, [root], limits)).path).toBe(path.join(root, 'src', 'a.ts'));
  });
});

describe('resolveTarget rejects', () => {
  it('`..` escapes with PATH_OUTSIDE_ROOT', async () => {
    await expectCode('../outside/secret.txt', [root], 'PATH_OUTSIDE_ROOT');
    await expectCode('src/../../outside/secret.txt', [root], 'PATH_OUTSIDE_ROOT');
    await expectCode('..', [root], 'PATH_OUTSIDE_ROOT');
  });

  it('absolute paths outside with PATH_OUTSIDE_ROOT', async () => {
    await expectCode(path.join(base, 'outside', 'secret.txt'), [root], 'PATH_OUTSIDE_ROOT');
    await expectCode('/etc/passwd', [root], 'PATH_OUTSIDE_ROOT');
  });

  it('a sibling directory whose name merely starts with the root name', async () => {
    await expectCode(path.join(base, 'root-evil', 'x.txt'), [root], 'PATH_OUTSIDE_ROOT');
    await expectCode(path.join(base, 'root-evil'), [root], 'PATH_OUTSIDE_ROOT');
  });

  it('symlinks inside the root that point outside (file and directory)', async () => {
    await expectCode('link-file', [root], 'PATH_OUTSIDE_ROOT');
    await expectCode('link-dir', [root], 'PATH_OUTSIDE_ROOT');
    await expectCode('link-dir/secret.txt', [root], 'PATH_OUTSIDE_ROOT');
  });

  it('missing paths outside the roots as PATH_OUTSIDE_ROOT, so existence outside is not revealed', async () => {
    await expectCode(path.join(base, 'outside', 'nope.txt'), [root], 'PATH_OUTSIDE_ROOT');
    await expectCode('../outside/nope.txt', [root], 'PATH_OUTSIDE_ROOT');
  });

  it('a symlink loop with PATH_INVALID', async () => {
    await expectCode('loop-a', [root], 'PATH_INVALID');
  });

  it('missing paths inside the root, and dangling symlinks, with PATH_NOT_FOUND', async () => {
    await expectCode('src/nope.ts', [root], 'PATH_NOT_FOUND');
    await expectCode('dangling', [root], 'PATH_NOT_FOUND');
    await expectCode('src/a.ts/below-a-file', [root], 'PATH_NOT_FOUND');
  });

  it('empty, NUL-byte, over-long paths and over-long components with PATH_INVALID', async () => {
    await expectCode('', [root], 'PATH_INVALID');
    await expectCode('src/a.ts\0.png', [root], 'PATH_INVALID');
    await expectCode(`src/${'a/'.repeat(2100)}`, [root], 'PATH_INVALID');
    await expectCode(`src/${'x'.repeat(256)}`, [root], 'PATH_INVALID');
    const r = await rejection(resolveTarget(`src/${'x'.repeat(300)}`, [root], limits));
    expect(r.message).toMatch(/component/);
  });

  it('a component the file system refuses as too long, when the configured limit allows it', async () => {
    const loose = { maxPathChars: 65_536, maxPathComponentChars: 4_096 };
    await expect(resolveTarget('x'.repeat(300), [root], loose)).rejects.toMatchObject({
      code: 'PATH_INVALID',
    });
  });

  // root ignores directory permissions, so the EACCES path can only be exercised as an ordinary user.
  it.skipIf(process.getuid?.() === 0)(
    'a path below an unreadable directory with PATH_NOT_FOUND',
    async () => {
      const locked = path.join(root, 'locked');
      fs.mkdirSync(path.join(locked, 'inner'), { recursive: true });
      fs.chmodSync(locked, 0o000);
      try {
        await expectCode('locked/inner', [root], 'PATH_NOT_FOUND');
      } finally {
        fs.chmodSync(locked, 0o700);
      }
    },
  );

  it('a relative target that is short but over the limit once joined to the root', async () => {
    const tight = { maxPathChars: root.length + 4, maxPathComponentChars: 255 };
    await expect(resolveTarget('src/a.ts', [root], tight)).rejects.toMatchObject({ code: 'PATH_INVALID' });
  });

  it('a FIFO, without opening it', async () => {
    await expectCode('fifo', [root], 'PATH_NOT_REGULAR');
  });

  it('a unix socket', async () => {
    await expectCode('ipc.sock', [root], 'PATH_NOT_REGULAR');
  });

  it('/dev/null with / as the root', async () => {
    await expectCode('/dev/null', ['/'], 'PATH_NOT_REGULAR');
    await expectCode('dev/null', ['/'], 'PATH_NOT_REGULAR');
  });

  it('everything when no root exists', async () => {
    await expectCode('src/a.ts', [path.join(base, 'gone'), ''], 'PATH_OUTSIDE_ROOT');
    await expectCode('src/a.ts', [], 'PATH_OUTSIDE_ROOT');
  });

  it('URLs other than file://, and file:// URLs that cannot name a local path', async () => {
    await expectCode('https://example.com/a.ts', [root], 'PATH_INVALID');
    await expectCode('data:text/plain,hello', [root], 'PATH_INVALID');
    await expectCode('file://remote-host/share/a.ts', [root], 'PATH_INVALID');
    await expectCode(`${pathToFileURL(root).href}/src%2Fa.ts`, [root], 'PATH_INVALID');
    await expectCode(`${pathToFileURL(root).href}/src/a.ts%00`, [root], 'PATH_INVALID');
  });

  it('a file:// URL outside the roots', async () => {
    await expectCode(
      pathToFileURL(path.join(base, 'outside', 'secret.txt')).href,
      [root],
      'PATH_OUTSIDE_ROOT',
    );
  });

  it('a non-string target with PATH_INVALID', async () => {
    await expectCode(42 as unknown as string, [root], 'PATH_INVALID');
  });
});

describe('resolveTarget on arbitrary input (property)', () => {
  const pieces = [
    '/',
    '.',
    '..',
    '../',
    'src',
    'a.ts',
    'deep',
    'er',
    'link-dir',
    'link-file',
    'loop-a',
    'fifo',
  ];
  const more = ['ipc.sock', '\0', '\\', '%00', '%2F', ':', '~', 'file:', '//', ' ', 'x'.repeat(300)];

  it('only ever resolves inside a root, or rejects with a path error code', async () => {
    const realRoots = [root, path.join(base, 'other')];
    const target = fc
      .tuple(
        fc.constantFrom(
          '',
          '/',
          `${base}/`,
          `${root}/`,
          `${pathToFileURL(root).href}/`,
          'file:///',
          'http://',
        ),
        fc.oneof(
          fc.string({ maxLength: 40 }),
          fc.string({ unit: fc.constantFrom(...pieces, ...more), maxLength: 12 }),
        ),
      )
      .map(([prefix, rest]) => prefix + rest);
    let accepted = 0;
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(target, async (t) => {
        try {
          const r = await resolveTarget(t, realRoots, limits);
          accepted++;
          expect(realRoots).toContain(r.root);
          expect(r.path === r.root || r.path.startsWith(r.root + path.sep)).toBe(true);
          expect(fs.realpathSync(r.path)).toBe(r.path);
          expect(['file', 'directory']).toContain(r.kind);
        } catch (err) {
          rejected++;
          expect(isBrutalistError(err)).toBe(true);
          expect(PATH_ERROR_CODES as readonly string[]).toContain((err as { code: string }).code);
        }
      }),
      {
        numRuns: 400,
        examples: [['src/a.ts'], ['src/deep/../../..'], ['link-dir/secret.txt'], [`${root}/fifo`]],
      },
    );
    // Both branches must actually be exercised for the property to mean anything.
    expect(accepted).toBeGreaterThan(0);
    expect(rejected).toBeGreaterThan(0);
  });
});

describe('rootsFromUris', () => {
  it('turns file:// URIs into paths and ignores every other scheme or malformed URI', () => {
    const uris = [
      pathToFileURL(root).href,
      'https://example.com/x',
      'not a uri',
      'file://remote/share',
      'FILE:///srv/app',
      pathToFileURL(root).href,
      'file:///with%20space',
    ];
    expect(rootsFromUris(uris)).toEqual([root, '/srv/app', '/with space']);
  });

  it('returns paths that resolveTarget accepts as roots', async () => {
    const roots = rootsFromUris([pathToFileURL(root).href]);
    expect((await resolveTarget('src/a.ts', roots, limits)).root).toBe(root);
  });
});
