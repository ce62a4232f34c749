// resolveExecutable and the child PATH: only absolute PATH entries count, so a binary planted in the cwd never runs.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { absolutePathEntries, buildChildEnv, resolveExecutable } from '../../src/process/index.js';

describe('resolveExecutable', () => {
  let dir: string;
  let bin: string;
  let repo: string;
  const cwd = process.cwd();
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'brutalist-exe-'));
    bin = join(dir, 'bin');
    repo = join(dir, 'repo');
    mkdirSync(bin);
    mkdirSync(repo);
    for (const where of [bin, repo]) {
      writeFileSync(join(where, 'claude'), '#!/bin/sh\n');
      chmodSync(join(where, 'claude'), 0o755);
    }
    writeFileSync(join(bin, 'notexec'), '');
    process.chdir(repo);
  });
  afterEach(() => {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });

  it('skips ".", empty and relative PATH entries even when the cwd holds the name', async () => {
    // The planted repo/claude would win through "." or "" (the kernel reads both as the cwd).
    expect(await resolveExecutable('claude', `.::repo:${bin}`)).toBe(join(bin, 'claude'));
    expect(await resolveExecutable('claude', '.::./')).toBeUndefined();
  });

  it('takes an absolute configured path as it is, if it is an executable file', async () => {
    expect(await resolveExecutable(join(bin, 'claude'), '')).toBe(join(bin, 'claude'));
    expect(await resolveExecutable(join(bin, 'notexec'), '')).toBeUndefined();
    expect(await resolveExecutable(bin, '')).toBeUndefined(); // a directory
    expect(await resolveExecutable(join(bin, 'missing'), '')).toBeUndefined();
  });

  it('refuses relative paths with a separator: they name a file in the cwd', async () => {
    expect(await resolveExecutable('./claude', bin)).toBeUndefined();
    expect(await resolveExecutable('repo/claude', dir)).toBeUndefined();
    expect(await resolveExecutable('', bin)).toBeUndefined();
  });

  it('refuses a name holding NUL or a backslash, and finds nothing without a PATH', async () => {
    expect(await resolveExecutable('cla\0ude', bin)).toBeUndefined();
    expect(await resolveExecutable('bin\\claude', dir)).toBeUndefined();
    expect(await resolveExecutable('claude', undefined)).toBeUndefined();
    expect(absolutePathEntries(undefined)).toEqual([]);
  });

  it('passes over a PATH entry where the name is not executable and takes the next one', async () => {
    const other = join(dir, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'notexec'), '#!/bin/sh\n');
    chmodSync(join(other, 'notexec'), 0o755);
    expect(await resolveExecutable('notexec', `${bin}:${other}`)).toBe(join(other, 'notexec'));
  });

  it('follows a symlinked entry but returns the path found on PATH, not its target', async () => {
    symlinkSync(join(bin, 'claude'), join(repo, 'link'));
    expect(await resolveExecutable('link', repo)).toBe(join(repo, 'link'));
  });
});

describe('child PATH', () => {
  it('keeps only the absolute entries, in order, once each', () => {
    expect(absolutePathEntries('.:/usr/bin::bin:/usr/bin:/opt/x/bin:')).toEqual(['/usr/bin', '/opt/x/bin']);
    const env = buildChildEnv({ PATH: '.:/usr/bin::./node_modules/.bin:/bin' });
    expect(env.PATH).toBe('/usr/bin:/bin');
  });
});
