// Quote checks against real files in a temp target, including hostile ones (symlinks out, `..`, binary, huge, FIFO).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  EMPTY_SNAPSHOT,
  QuoteVerifier,
  type RawFinding,
  rawFindingSchema,
  takeSnapshot,
} from '../../src/findings/index.js';

const OPTIONS = {
  maxFileBytes: 4096,
  maxFilesChecked: 10,
  nearLines: 3,
  maxPathChars: 4096,
  maxPathComponentChars: 255,
};
const SOURCE = [
  'import { db } from "./db";', // 1
  '', // 2
  'export function find(id: string) {', // 3
  '  const sql = "SELECT * FROM users WHERE id = " + id;', // 4
  '  return db.query(sql);', // 5
  '}', // 6
  ...Array.from({ length: 40 }, (_, i) => `// filler ${i}`), // 7..46
  'export function again(id: string) {', // 47
  '  return db.query("SELECT 1");', // 48
  '}', // 49
].join('\n');

let dir: string;
let outside: string;
beforeEach(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'brutalist-verify-')));
  outside = realpathSync(mkdtempSync(join(tmpdir(), 'brutalist-outside-')));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'users.ts'), SOURCE);
  writeFileSync(join(outside, 'secret.ts'), 'const secret = "hunter2";\n');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

const finding = (over: Partial<RawFinding>): RawFinding =>
  rawFindingSchema.parse({
    severity: 'high',
    category: 'security',
    title: 'Injection',
    why: 'Because.',
    file: 'src/users.ts',
    line: 4,
    quote: 'const sql = "SELECT * FROM users WHERE id = " + id;',
    ...over,
  });
const verifier = (snapshot = EMPTY_SNAPSHOT, options = OPTIONS) =>
  new QuoteVerifier({ cwd: dir }, snapshot, options);

describe('QuoteVerifier', () => {
  it('verifies a quote at the cited line', async () => {
    expect(await verifier().check(finding({}))).toMatchObject({
      verification: 'verified',
      line: 4,
      endLine: null,
    });
  });

  it('verifies a quote a few lines off and moves the line to where it is', async () => {
    expect(await verifier().check(finding({ line: 6 }))).toMatchObject({ verification: 'verified', line: 4 });
  });

  it('ignores indentation and line wrapping, and reports the range of a multi-line quote', async () => {
    const quote =
      'export function find(id: string) {\n    const sql =   "SELECT * FROM users WHERE id = "\n + id;';
    expect(await verifier().check(finding({ line: 3, quote }))).toMatchObject({
      verification: 'verified',
      line: 3,
      endLine: 4,
    });
  });

  it('re-anchors a quote found far from the cited line, to the occurrence nearest it', async () => {
    expect(await verifier().check(finding({ line: 40, quote: 'return db.query(' }))).toMatchObject({
      verification: 'reanchored',
      line: 48,
    });
    expect(await verifier().check(finding({ line: 20, quote: 'return db.query(' }))).toMatchObject({
      verification: 'reanchored',
      line: 5,
    });
  });

  it('marks a hallucinated quote unverified and keeps the cited line', async () => {
    const checked = await verifier().check(finding({ quote: 'eval(req.body.code)', line: 4 }));
    expect(checked).toMatchObject({ verification: 'unverified', line: 4, file: 'src/users.ts' });
  });

  it('finds an elided quote by its longest part', async () => {
    const quote = 'const sql = "SELECT * FROM users WHERE id = " ... id;';
    expect(await verifier().check(finding({ quote }))).toMatchObject({ verification: 'verified', line: 4 });
  });

  it('marks a finding without a quote, or without a place to check, unchecked', async () => {
    expect((await verifier().check(finding({ quote: null }))).verification).toBe('unchecked');
    expect((await verifier().check(finding({ file: null }))).verification).toBe('unchecked');
    const abstract = new QuoteVerifier(null, EMPTY_SNAPSHOT, OPTIONS);
    expect((await abstract.check(finding({}))).verification).toBe('unchecked');
  });

  it('normalises an absolute path inside the target to a relative one', async () => {
    const checked = await verifier().check(finding({ file: join(dir, 'src', 'users.ts') }));
    expect(checked).toMatchObject({ verification: 'verified', file: 'src/users.ts' });
  });

  it('never reads outside the target: `..`, absolute paths, symlinks out', async () => {
    symlinkSync(join(outside, 'secret.ts'), join(dir, 'src', 'link.ts'));
    symlinkSync(outside, join(dir, 'out'));
    const quote = 'const secret = "hunter2";';
    for (const file of [
      `../${outside.split('/').at(-1)}/secret.ts`,
      join(outside, 'secret.ts'),
      'src/link.ts',
      'out/secret.ts',
      'src/../../etc/passwd',
    ]) {
      const checked = await verifier().check(finding({ file, line: 1, quote }));
      expect(checked.verification, file).toBe('unverified');
    }
  });

  it('follows a symlink that stays inside the target', async () => {
    symlinkSync(join(dir, 'src', 'users.ts'), join(dir, 'alias.ts'));
    expect(await verifier().check(finding({ file: 'alias.ts' }))).toMatchObject({
      verification: 'verified',
      file: 'src/users.ts',
    });
  });

  it('does not look inside binary files or directories', async () => {
    writeFileSync(
      join(dir, 'blob.bin'),
      Buffer.concat([Buffer.from('const sql = 1;\n'), Buffer.from([0, 1, 2])]),
    );
    expect(
      (await verifier().check(finding({ file: 'blob.bin', quote: 'const sql = 1;', line: 1 }))).verification,
    ).toBe('unverified');
    expect((await verifier().check(finding({ file: 'src', line: 1 }))).verification).toBe('unverified');
  });

  it('reads a huge file only up to maxFileBytes: a quote past the bound is unverified', async () => {
    const filler = `${'x'.repeat(99)}\n`.repeat(100); // 10,000 bytes
    writeFileSync(join(dir, 'huge.ts'), `const early = 1;\n${filler}const late = 2;\n`);
    const v = verifier();
    expect(
      (await v.check(finding({ file: 'huge.ts', quote: 'const early = 1;', line: 1 }))).verification,
    ).toBe('verified');
    expect(
      (await v.check(finding({ file: 'huge.ts', quote: 'const late = 2;', line: 102 }))).verification,
    ).toBe('unverified');
  });

  it('never blocks on a FIFO cited as a file', async () => {
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    expect((await verifier().check(finding({ file: 'pipe', line: 1 }))).verification).toBe('unverified');
  });

  it('flags a file whose size changed since the snapshot, and a file created after it', async () => {
    const snapshot = await takeSnapshot(dir, 100);
    expect(snapshot.complete).toBe(true);
    expect((await verifier(snapshot).check(finding({}))).fileChanged).toBe(false);
    writeFileSync(join(dir, 'src', 'users.ts'), `${SOURCE}\n// edited\n`);
    writeFileSync(join(dir, 'new.ts'), 'const fresh = 1;\n');
    const v = verifier(snapshot);
    expect(await v.check(finding({}))).toMatchObject({ verification: 'verified', fileChanged: true });
    expect((await v.check(finding({ file: 'new.ts', quote: 'const fresh = 1;', line: 1 }))).fileChanged).toBe(
      true,
    );
  });

  it('does not flag a file the snapshot did not reach (its bound was hit)', async () => {
    writeFileSync(join(dir, 'a.ts'), 'a\n');
    writeFileSync(join(dir, 'b.ts'), 'b\n');
    const snapshot = await takeSnapshot(dir, 1);
    expect(snapshot.complete).toBe(false);
    const missing = ['a.ts', 'b.ts', 'src/users.ts'].find((f) => !snapshot.files.has(f))!;
    const quote = missing === 'src/users.ts' ? finding({}).quote : missing[0]!;
    const checked = await verifier(snapshot).check(finding({ file: missing, quote, line: 1 }));
    expect(checked.fileChanged).toBe(false);
  });

  it('checks findings grouped by file, returns them in order, and reads at most maxFilesChecked files', async () => {
    writeFileSync(join(dir, 'a.ts'), 'const a = 1;\n');
    writeFileSync(join(dir, 'b.ts'), 'const b = 2;\n');
    const findings = [
      finding({ file: 'b.ts', quote: 'const b = 2;', line: 1 }),
      finding({}),
      finding({ file: 'a.ts', quote: 'const a = 1;', line: 1 }),
      finding({ line: 5, quote: 'return db.query(sql);' }),
    ];
    const all = await verifier().checkAll(findings);
    expect(all.map((f) => [f.file, f.verification])).toEqual([
      ['b.ts', 'verified'],
      ['src/users.ts', 'verified'],
      ['a.ts', 'verified'],
      ['src/users.ts', 'verified'],
    ]);
    // Files in path order: a.ts, b.ts, then src/users.ts is over a bound of two.
    const bounded = await verifier(EMPTY_SNAPSHOT, { ...OPTIONS, maxFilesChecked: 2 }).checkAll(findings);
    expect(bounded.map((f) => f.verification)).toEqual(['verified', 'unverified', 'verified', 'unverified']);
  });
});

describe('QuoteVerifier: where a quote is taken to be', () => {
  it('takes the first occurrence of a quote when the finding cites no line', async () => {
    expect(await verifier().check(finding({ line: null, quote: 'return db.query(' }))).toMatchObject({
      verification: 'verified',
      line: 5,
    });
  });

  it('re-anchors to the last occurrence when the cited line is past every occurrence', async () => {
    writeFileSync(join(dir, 'long.ts'), `${SOURCE}\n${'// tail\n'.repeat(30)}`);
    expect(
      await verifier().check(finding({ file: 'long.ts', line: 70, quote: 'return db.query(' })),
    ).toMatchObject({ verification: 'reanchored', line: 48 });
  });

  it('marks an elided quote unverified when each of its parts is too short to look for', async () => {
    const checked = await verifier().check(finding({ quote: 'const … id;' }));
    expect(checked).toMatchObject({ verification: 'unverified', line: 4 });
  });

  it('checks findings without a file after those with one, and keeps them unchecked in their place', async () => {
    const all = await verifier().checkAll([
      finding({ file: null }),
      finding({}),
      finding({ file: null, quote: null }),
    ]);
    expect(all.map((f) => [f.file, f.verification])).toEqual([
      [null, 'unchecked'],
      ['src/users.ts', 'verified'],
      [null, 'unchecked'],
    ]);
  });
});
