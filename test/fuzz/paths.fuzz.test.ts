/** Fuzz: path validation rejects with a path code and a message that never holds the target or a root. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { isBrutalistError } from '../../src/errors/index.js';
import { narrowRoots, PATH_ERROR_CODES, resolveTarget, rootsFromUris } from '../../src/security/paths.js';
import { leaksInternals, useFuzzSeed } from '../support/fuzz.js';

useFuzzSeed('paths');

const base = mkdtempSync(join(tmpdir(), 'brutalist-fuzz-paths-'));
const root = join(base, 'root');
mkdirSync(join(root, 'src'), { recursive: true });
writeFileSync(join(root, 'src', 'a.ts'), 'x');
writeFileSync(join(base, 'outside.txt'), 'secret');
symlinkSync(join(base, 'outside.txt'), join(root, 'escape'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** Small bounds so the shape checks are reached as often as the file system ones. */
const LIMITS = { maxPathChars: 120, maxPathComponentChars: 24 };
const piece = fc.constantFrom(
  'src',
  'a.ts',
  '..',
  '.',
  'escape',
  'outside.txt',
  '\0',
  '%00',
  '%2F',
  '~',
  ' ',
  'é',
  'x'.repeat(30),
);
const target = fc.oneof(
  fc.string({ maxLength: 140 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc
    .tuple(
      fc.constantFrom(
        '',
        '/',
        `${root}/`,
        `${base}/`,
        `${pathToFileURL(root).href}/`,
        'file://host/',
        'ftp://',
      ),
      fc.array(piece, { maxLength: 6 }),
    )
    .map(([prefix, parts]) => prefix + parts.join('/')),
);

describe('path validation under fuzz', () => {
  it('resolves inside the root or rejects with a path code whose message names no path', async () => {
    await fc.assert(
      fc.asyncProperty(target, async (t) => {
        try {
          const resolved = await resolveTarget(t, [root], LIMITS);
          expect(resolved.path === root || resolved.path.startsWith(`${root}/`)).toBe(true);
        } catch (err) {
          expect(isBrutalistError(err)).toBe(true);
          expect(PATH_ERROR_CODES as readonly string[]).toContain((err as { code: string }).code);
          const { message, data } = err as { message: string; data: unknown };
          expect(leaksInternals(message + JSON.stringify(data), [base, t.length >= 16 ? t : base])).toBe(
            false,
          );
        }
      }),
      // (A target shorter than 16 characters could match message words by chance.) Kept regression examples: a symlink out of the root, a decoded NUL, a remote file URL.
      {
        examples: [
          ['escape'],
          ['src%00'],
          [`${pathToFileURL(root).href}/src%00`],
          ['file://host/etc/passwd'],
        ],
      },
    );
  });

  it('keeps from any client URIs only file roots, and narrows them to roots inside the configured one', async () => {
    const uri = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom(
        pathToFileURL(root).href,
        pathToFileURL(join(root, 'src')).href,
        pathToFileURL(base).href,
        'file:///',
        'file://host/x',
        'http://x/',
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(uri, { maxLength: 5 }), async (uris) => {
        const paths = rootsFromUris(uris);
        for (const p of paths) expect(p.startsWith('/')).toBe(true);
        const kept = await narrowRoots([root], paths);
        for (const k of kept) expect(k === root || k.startsWith(`${root}/`)).toBe(true);
      }),
    );
  });
});
