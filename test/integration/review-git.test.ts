// The change under review read from a real git repository: refs, merge base, hunk ranges, bounds and errors.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changedFiles, diffForPrompt, readChange } from '../../src/cli/review-git.js';
import { isBrutalistError } from '../../src/errors/index.js';
import { type TempRepo, tempRepo } from '../support/review.js';

const limits = { maxOutputBytes: 1024 * 1024, timeoutMs: 20_000, killGraceMs: 500 };

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return isBrutalistError(err) ? err.code : `untyped: ${String(err)}`;
  }
  return 'no error';
}

describe('readChange', () => {
  let repo: TempRepo;
  let baseSha: string;
  beforeAll(() => {
    repo = tempRepo();
    repo.write('src/app.ts', 'export function add(a, b) {\n  return a + b;\n}\n');
    repo.write('README.md', 'demo\n');
    baseSha = repo.commit('base');
    repo.git('checkout', '-q', '-b', 'feature');
    repo.write('src/app.ts', 'export function add(a, b) {\n  return a - b;\n}\n');
    repo.write('src/new file.ts', 'export const x = 1;\nexport const y = 2;\n');
    repo.commit('change');
    // main moves on after the branch: the merge base, not main's tip, is what the change is compared with.
    repo.git('checkout', '-q', 'main');
    repo.write('README.md', 'demo\nmore\n');
    repo.commit('main moves');
    repo.git('checkout', '-q', 'feature');
  });
  afterAll(() => repo.cleanup());

  it('diffs head against the merge base and maps each hunk to new-side lines', async () => {
    const change = await readChange(join(repo.dir, 'src'), { base: 'main', head: 'HEAD' }, limits);
    expect(change.from).toBe(baseSha);
    expect(change.head.sha).toBe(repo.git('rev-parse', 'HEAD'));
    expect(change.files).toEqual([
      { path: 'src/app.ts', deleted: false, ranges: [[1, 3]] },
      { path: 'src/new file.ts', deleted: false, ranges: [[1, 2]] },
    ]);
    expect(change.diff).toContain('-  return a + b;\n+  return a - b;');
    expect(change.diff).not.toContain('more'); // main's own later commit is not part of the change
    expect(change.diffCut).toBe(false);
  });

  it('names a bad ref GIT_REF_INVALID (also one that looks like an option)', async () => {
    expect(await codeOf(readChange(repo.dir, { base: 'no-such-branch', head: 'HEAD' }, limits))).toBe(
      'GIT_REF_INVALID',
    );
    expect(await codeOf(readChange(repo.dir, { base: 'main', head: '--output=/tmp/x' }, limits))).toBe(
      'GIT_REF_INVALID',
    );
  });

  it('keeps host paths out of the bad-ref message', async () => {
    const err = await readChange(repo.dir, { base: 'nope', head: 'HEAD' }, limits).catch((e) => e);
    expect(err.message).not.toContain(repo.dir);
    expect(err.data).toEqual({ argument: '--base' });
  });

  it('says GIT_REPO_NOT_FOUND outside a repository', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'brutalist-norepo-'));
    try {
      expect(await codeOf(readChange(dir, { base: 'main', head: 'HEAD' }, limits))).toBe(
        'GIT_REPO_NOT_FOUND',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops git at maxOutputBytes and marks the diff cut', async () => {
    const change = await readChange(
      repo.dir,
      { base: 'main', head: 'HEAD' },
      { ...limits, maxOutputBytes: 200 },
    );
    expect(change.diffCut).toBe(true);
    expect(change.diff.length).toBeLessThanOrEqual(200);
  });
});

describe('changedFiles', () => {
  it('reads deletions, renames, hunks without a count and quoted names', () => {
    const diff = [
      'diff --git a/gone.ts b/gone.ts',
      'deleted file mode 100644',
      '--- a/gone.ts',
      '+++ /dev/null',
      '@@ -1,2 +0,0 @@',
      '-a',
      '-b',
      'diff --git a/old.ts b/new.ts',
      'similarity index 90%',
      'rename from old.ts',
      'rename to new.ts',
      '--- a/old.ts',
      '+++ b/new.ts',
      '@@ -3 +3 @@',
      '-x',
      '+y',
      '@@ -10,0 +11,4 @@',
      'diff --git "a/t\\303\\251st.ts" "b/t\\303\\251st.ts"',
      '--- "a/t\\303\\251st.ts"',
      '+++ "b/t\\303\\251st.ts"',
      '@@ -1,1 +1,2 @@',
    ].join('\n');
    expect(changedFiles(diff)).toEqual([
      { path: 'gone.ts', deleted: true, ranges: [] },
      {
        path: 'new.ts',
        deleted: false,
        ranges: [
          [3, 3],
          [11, 14],
        ],
      },
      { path: 'tést.ts', deleted: false, ranges: [[1, 2]] },
    ]);
  });

  it('does not read a removed line that starts with "--- " as a file header', () => {
    const diff = [
      'diff --git a/a.md b/a.md',
      '--- a/a.md',
      '+++ b/a.md',
      '@@ -1,2 +1,1 @@',
      '--- a rule',
      ' x',
    ];
    expect(changedFiles(diff.join('\n'))).toEqual([{ path: 'a.md', deleted: false, ranges: [[1, 1]] }]);
  });
});

describe('diffForPrompt', () => {
  const section = (name: string, size: number) =>
    `diff --git a/${name} b/${name}\n--- a/${name}\n+++ b/${name}\n@@ -1 +1 @@\n+${'x'.repeat(size)}\n`;

  it('returns a diff that fits unchanged', () => {
    const diff = section('a.ts', 10);
    expect(diffForPrompt(diff, 1_000)).toEqual({ text: diff, omittedFiles: [], cut: false });
  });

  it('keeps whole files while they fit and lists the rest by name', () => {
    const diff = section('a.ts', 100) + section('b.ts', 500) + section('c.ts', 10);
    const out = diffForPrompt(diff, 300);
    expect(out.text).toBe(section('a.ts', 100));
    // c.ts would fit, but the prompt stays a prefix of the diff: everything after the first cut is listed.
    expect(out.omittedFiles).toEqual(['b.ts', 'c.ts']);
    expect(out.cut).toBe(true);
  });

  it('shows the head of a first file that alone is too large, cut at a line end', () => {
    const diff = `${section('big.ts', 50)}${'+line\n'.repeat(100)}`;
    const out = diffForPrompt(diff, 120);
    expect(out.text.length).toBeLessThanOrEqual(120);
    expect(out.text.endsWith('\n')).toBe(true);
    expect(out.omittedFiles).toEqual(['big.ts']);
  });
});
