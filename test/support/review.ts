// Builders for review tests: findings (the contract of src/findings/types.ts) and a temp git repository.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ReviewReport } from '../../src/cli/review-report.js';
import { type Finding, findingSchema } from '../../src/findings/types.js';

let next = 0;

/** A valid merged finding; anything given overrides the defaults (validated against the contract). */
export function finding(overrides: Partial<Finding> = {}): Finding {
  next += 1;
  return findingSchema.parse({
    id: `f${next}`,
    severity: 'high',
    category: 'correctness',
    title: `Problem ${next}`,
    file: 'src/app.ts',
    line: 2,
    endLine: null,
    quote: 'return a - b;',
    why: 'Subtracts where the function promises a sum.',
    fix: 'return a + b;',
    confidence: 0.9,
    verification: 'verified',
    fileChanged: false,
    detectedBy: ['claude'],
    agreement: 1,
    ...overrides,
  });
}

export function report(overrides: Partial<ReviewReport> = {}): ReviewReport {
  return {
    version: 1,
    base: { ref: 'origin/main', sha: 'a'.repeat(40) },
    head: { ref: 'HEAD', sha: 'b'.repeat(40) },
    focus: 'general',
    critics: ['claude'],
    findings: [],
    summary: null,
    changedFiles: [{ path: 'src/app.ts', deleted: false, ranges: [[1, 6]] }],
    diff: { chars: 100, shownChars: 100, gitOutputCut: false, omittedFiles: [] },
    failOn: null,
    failing: 0,
    critique: '',
    ...overrides,
  };
}

export interface TempRepo {
  readonly dir: string;
  git(...args: string[]): string;
  write(path: string, text: string): void;
  commit(message: string): string;
  cleanup(): void;
}

/** A git repository in a temp dir with a fixed identity (no global config is read or written). */
export function tempRepo(prefix = 'brutalist-review-'): TempRepo {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'T',
    GIT_AUTHOR_EMAIL: 't@example.invalid',
    GIT_COMMITTER_NAME: 'T',
    GIT_COMMITTER_EMAIL: 't@example.invalid',
  };
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, env, encoding: 'utf8' }).trim();
  git('init', '-q', '-b', 'main');
  return {
    dir,
    git,
    write: (path, text) => {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    },
    commit: (message) => {
      git('add', '-A');
      git('commit', '-q', '-m', message);
      return git('rev-parse', 'HEAD');
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
