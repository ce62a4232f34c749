// The change under review read from a real git repository: refs, merge base, hunk ranges, bounds and errors.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
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

describe('readChange, unrelated histories', () => {
  let repo: TempRepo;
  afterAll(() => repo.cleanup());

  it('diffs the two trees directly when base and head share no merge base', async () => {
    repo = tempRepo();
    repo.write('a.ts', 'one\n');
    const mainSha = repo.commit('main');
    repo.git('checkout', '-q', '--orphan', 'other');
    repo.git('rm', '-q', '-rf', '.');
    repo.write('b.ts', 'two\n');
    repo.commit('unrelated');
    const change = await readChange(repo.dir, { base: 'main', head: 'HEAD' }, limits);
    expect(change.from).toBe(mainSha);
    expect(change.files.map((f) => [f.path, f.deleted])).toEqual([
      ['a.ts', true],
      ['b.ts', false],
    ]);
  });
});

describe('readChange when git itself fails', () => {
  let bin: string;
  beforeEach(() => {
    bin = mkdtempSync(join(tmpdir(), 'brutalist-fake-git-'));
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    rmSync(bin, { recursive: true, force: true });
  });
  /** A real executable named git on an otherwise empty PATH, answering by its first arguments. */
  const fakeGit = (script: string) => {
    writeFileSync(join(bin, 'git'), `#!/bin/sh\n${script}\n`, { mode: 0o755 });
    vi.stubEnv('PATH', bin);
  };
  const sha = 'c'.repeat(40);

  it('says GIT_FAILED when git is not on PATH', async () => {
    vi.stubEnv('PATH', bin);
    const err = await readChange(bin, { base: 'main', head: 'HEAD' }, limits).catch((e) => e);
    expect(isBrutalistError(err) && err.code).toBe('GIT_FAILED');
    expect(err.message).toMatch(/not installed/);
  });

  it('says GIT_REPO_NOT_FOUND for a directory that does not exist', async () => {
    expect(await codeOf(readChange(join(bin, 'absent'), { base: 'main', head: 'HEAD' }, limits))).toBe(
      'GIT_REPO_NOT_FOUND',
    );
  });

  it('says GIT_FAILED with git’s message when rev-parse fails for another reason than "not a git repository"', async () => {
    fakeGit('echo "fatal: detected dubious ownership in repository at \'/x\'" >&2; exit 128');
    const err = await readChange(bin, { base: 'main', head: 'HEAD' }, limits).catch((e) => e);
    expect(isBrutalistError(err) && err.code).toBe('GIT_FAILED');
    expect(err.data).toEqual({ detail: "fatal: detected dubious ownership in repository at '/x'" });
  });

  it('says GIT_REPO_NOT_FOUND when rev-parse succeeds but names no work tree', async () => {
    fakeGit('exit 0');
    expect(await codeOf(readChange(bin, { base: 'main', head: 'HEAD' }, limits))).toBe('GIT_REPO_NOT_FOUND');
  });

  it('says GIT_FAILED when git diff fails after the refs resolved', async () => {
    fakeGit(
      [
        'case "$1 $2" in',
        `  "rev-parse --show-toplevel") echo "${bin}" ;;`,
        `  "rev-parse --verify") echo ${sha} ;;`,
        '  merge-base*) exit 1 ;;',
        '  *) echo "fatal: bad object" >&2; exit 128 ;;',
        'esac',
      ].join('\n'),
    );
    const err = await readChange(bin, { base: 'main', head: 'HEAD' }, limits).catch((e) => e);
    expect(isBrutalistError(err) && err.code).toBe('GIT_FAILED');
    expect(err.data).toEqual({ detail: 'fatal: bad object' });
  });

  it('says GIT_FAILED naming the exit class when git does not finish in time', async () => {
    fakeGit('exec /bin/sleep 30');
    const err = await readChange(bin, { base: 'main', head: 'HEAD' }, { ...limits, timeoutMs: 300 }).catch(
      (e) => e,
    );
    expect(isBrutalistError(err) && err.code).toBe('GIT_FAILED');
    expect(err.data.exitClass).toMatch(/timeout|stall/);
  });

  it('shows a ref over 100 characters cut, in GIT_REF_INVALID', async () => {
    fakeGit(`case "$1 $2" in "rev-parse --show-toplevel") echo "${bin}" ;; *) exit 1 ;; esac`);
    const err = await readChange(bin, { base: 'r'.repeat(150), head: 'HEAD' }, limits).catch((e) => e);
    expect(isBrutalistError(err) && err.code).toBe('GIT_REF_INVALID');
    expect(err.message).toContain(`"${'r'.repeat(100)}…"`);
    expect(err.message).not.toContain('r'.repeat(101));
  });
});

describe('changedFiles, odd headers', () => {
  it('unescapes tabs, quotes, backslashes and unknown escapes in quoted names', () => {
    const diff = [
      'diff --git x y',
      '--- "a/t\\tq\\"b\\\\s\\zz"',
      '+++ "b/t\\tq\\"b\\\\s\\zz"',
      '@@ -1 +1 @@',
    ];
    expect(changedFiles(diff.join('\n'))).toEqual([
      { path: 't\tq"b\\szz', deleted: false, ranges: [[1, 1]] },
    ]);
  });

  it('skips a file whose both sides are /dev/null', () => {
    const diff = ['diff --git a/x b/x', '--- /dev/null', '+++ /dev/null', '@@ -0,0 +0,0 @@'];
    expect(changedFiles(diff.join('\n'))).toEqual([]);
  });

  it('names an omitted binary file (no ---/+++ headers) from its diff --git line', () => {
    const big = 'diff --git a/a.ts b/a.ts\n--- a/a.ts\n+++ b/a.ts\n@@ -1 +1 @@\n+x\n';
    const binary = 'diff --git a/img.png b/img.png\nBinary files a/img.png and b/img.png differ\n';
    expect(diffForPrompt(big + binary, big.length).omittedFiles).toEqual(['img.png']);
  });
});
