// The markdown findings table's edge rows: dropped entries, places without a file or line, changed files, long titles.
import { describe, expect, it } from 'vitest';
import { type Finding, type FindingsSummary, findingsTable } from '../../src/findings/index.js';

const found = (over: Partial<Finding> = {}): Finding => ({
  severity: 'high',
  category: 'security',
  title: 'SQL injection',
  file: 'src/users.ts',
  line: 4,
  endLine: null,
  quote: null,
  why: 'Because.',
  fix: null,
  confidence: null,
  id: 'abc',
  verification: 'verified',
  fileChanged: false,
  detectedBy: ['claude'],
  agreement: 1,
  ...over,
});
const summary = (over: Partial<FindingsSummary> = {}): FindingsSummary => ({
  total: 1,
  bySeverity: { critical: 0, high: 1, medium: 0, low: 0, info: 0 },
  unverified: 0,
  dropped: 0,
  withoutBlock: [],
  ...over,
});
const rowOf = (table: string) => table.split('\n').find((l) => l.startsWith('| 1 ')) ?? '';

describe('findingsTable', () => {
  it('says "none reported" with the dropped count when every entry of every block was dropped', () => {
    const table = findingsTable([], summary({ total: 0, dropped: 2, withoutBlock: ['codex'] }), 5);
    expect(table).toBe('**Findings:** none reported. 2 malformed or surplus entries dropped.');
  });

  it('names the dropped count beside the severity counts', () => {
    expect(findingsTable([found()], summary({ dropped: 1 }), 5).split('\n')[0]).toBe(
      '**Findings:** 1 high; 0 unverified. 1 malformed or surplus entries dropped.',
    );
  });

  it('shows only the counts line when maxRows is 0, and points to structuredContent for the rest', () => {
    expect(findingsTable([found()], summary(), 0)).toBe(
      '**Findings:** 1 high; 0 unverified.\n\n_1 more in structuredContent.findings._',
    );
  });

  it('shows "-" for a finding without a file, and the file alone for one without a line', () => {
    expect(rowOf(findingsTable([found({ file: null, line: null })], summary(), 5))).toContain('| high | - |');
    expect(rowOf(findingsTable([found({ line: null })], summary(), 5))).toContain('| `src/users.ts` |');
  });

  it('keeps a backtick in a path from closing the code span', () => {
    expect(rowOf(findingsTable([found({ file: 'a`b.ts' })], summary(), 5))).toContain("`a'b.ts:4`");
  });

  it('says when the cited file changed during the run', () => {
    expect(rowOf(findingsTable([found({ fileChanged: true })], summary(), 5))).toContain(
      'verified (file changed during the run)',
    );
  });

  it('clips a title over 100 characters to 99 and an ellipsis', () => {
    const row = rowOf(findingsTable([found({ title: 't'.repeat(150) })], summary(), 5));
    expect(row).toContain(`| ${'t'.repeat(99)}… |`);
    expect(row).not.toContain('t'.repeat(100));
  });

  it('keeps a title of exactly 100 characters whole', () => {
    expect(rowOf(findingsTable([found({ title: 'u'.repeat(100) })], summary(), 5))).toContain(
      `| ${'u'.repeat(100)} |`,
    );
  });
});
