// The review report: the --fail-on rule, the markdown view, and the report schema review-post reads back.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  failingFindings,
  readReport,
  reportMarkdown,
  reviewReportSchema,
} from '../../src/cli/review-report.js';
import { isBrutalistError } from '../../src/errors/index.js';
import { finding, report } from '../support/review.js';

describe('failingFindings', () => {
  const findings = [
    finding({ severity: 'critical', verification: 'unverified' }),
    finding({ severity: 'high', verification: 'reanchored' }),
    finding({ severity: 'medium', verification: 'unchecked' }),
    finding({ severity: 'low' }),
  ];

  it('counts findings at or above the threshold', () => {
    expect(failingFindings(findings, 'medium').map((f) => f.severity)).toEqual(['high', 'medium']);
    expect(failingFindings(findings, 'info')).toHaveLength(3);
  });

  it('never fails on an unverified finding, however severe', () => {
    expect(failingFindings(findings, 'critical')).toEqual([]);
  });

  it('fails nothing without a threshold', () => {
    expect(failingFindings(findings, null)).toEqual([]);
  });
});

describe('reportMarkdown', () => {
  it('tables every finding, marks the unverified one, and states the threshold', () => {
    const text = reportMarkdown(
      report({
        findings: [
          finding({ title: 'Sum | subtracts', endLine: 3 }),
          finding({ title: 'Made up', verification: 'unverified' }),
        ],
        failOn: 'high',
        failing: 1,
      }),
    );
    expect(text).toContain('## Brutalist review: 2 findings');
    expect(text).toContain('| 1 | high | verified | src/app.ts:2-3 | Sum \\| subtracts | claude |');
    expect(text).toContain('| 2 | high | **unverified** |');
    expect(text).toContain('Unverified: the quoted code was not found');
    expect(text).toContain('**--fail-on high: 1 finding(s) at or above it (exit 3).**');
  });

  it('says when the server returned no structured findings', () => {
    expect(reportMarkdown(report({ critique: 'prose' }))).toContain('returned no structured findings');
  });
});

describe('reviewReportSchema', () => {
  it('accepts a report and rejects one with a malformed finding', () => {
    expect(reviewReportSchema.safeParse(report({ findings: [finding()] })).success).toBe(true);
    const bad = { ...report(), findings: [{ ...finding(), verification: 'probably' }] };
    expect(reviewReportSchema.safeParse(bad).success).toBe(false);
  });
});

describe('reportMarkdown, optional parts', () => {
  const summary = (withoutBlock: string[]) => ({
    total: 1,
    bySeverity: { critical: 0, high: 1, medium: 0, low: 0, info: 0 },
    unverified: 0,
    dropped: 0,
    withoutBlock,
  });

  it('says "1 finding" in the singular and shows a dash when no critic is named', () => {
    const text = reportMarkdown(report({ findings: [finding()], critics: [], summary: summary([]) }));
    expect(text).toContain('## Brutalist review: 1 finding\n');
    expect(text).toContain('· critics —');
  });

  it('names the critics whose answer had no findings block', () => {
    expect(reportMarkdown(report({ summary: summary(['codex', 'gemini']) }))).toContain(
      '_No findings block from: codex, gemini (their prose is below)._',
    );
    expect(reportMarkdown(report({ summary: summary([]) }))).not.toContain('No findings block');
  });

  it('says how many files the diff left out of the prompt', () => {
    const diff = { chars: 9, shownChars: 5, gitOutputCut: false, omittedFiles: ['a.ts', 'b.ts'] };
    expect(reportMarkdown(report({ diff }))).toContain('2 file(s) were not shown in it');
  });

  it('places a whole-project note as a dash and a file-level note as the file alone', () => {
    const text = reportMarkdown(
      report({
        findings: [
          finding({ file: null, line: null, quote: null, verification: 'unchecked' }),
          finding({ line: null, verification: 'unchecked' }),
        ],
      }),
    );
    expect(text).toContain('| 1 | high | not checkable | — |');
    expect(text).toContain('| 2 | high | not checkable | src/app.ts |');
    expect(text).toContain('### 2. src/app.ts\n');
  });

  it('writes a finding without fix or quote without those sections, and flags a changed file', () => {
    const text = reportMarkdown(
      report({ findings: [finding({ fix: null, quote: null, fileChanged: true })] }),
    );
    expect(text).not.toContain('**Fix:**');
    expect(text).not.toContain('```');
    expect(text).toContain('_The file changed while the critics ran; the check used the newer text._');
  });

  it('states a threshold nothing reached without the exit code', () => {
    expect(reportMarkdown(report({ failOn: 'critical', failing: 0 }))).toContain(
      '**--fail-on critical: 0 finding(s) at or above it.**',
    );
  });
});

describe('readReport', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'brutalist-report-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  const codeOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      return isBrutalistError(err) ? [err.code, err.data] : err;
    }
    return 'no error';
  };

  it('reads back a report written by review --format json', () => {
    const written = report({ findings: [finding({ title: 'kept' })] });
    expect(readReport(write('r.json', JSON.stringify(written))).findings[0]?.title).toBe('kept');
  });

  it('refuses a missing file or one that is not JSON as INVALID_ARGUMENT', () => {
    expect(codeOf(() => readReport(join(dir, 'absent.json')))).toEqual([
      'INVALID_ARGUMENT',
      { argument: 'report' },
    ]);
    expect(codeOf(() => readReport(write('bad.json', '{"version": 1,')))).toEqual([
      'INVALID_ARGUMENT',
      { argument: 'report' },
    ]);
  });

  it('refuses JSON that is not a report as INVALID_ARGUMENT, counting the issues', () => {
    const [code, data] = codeOf(() => readReport(write('other.json', '{"hello": "world"}'))) as [
      string,
      { argument: string; issues: number },
    ];
    expect(code).toBe('INVALID_ARGUMENT');
    expect(data.argument).toBe('report');
    expect(data.issues).toBeGreaterThan(0);
  });
});
