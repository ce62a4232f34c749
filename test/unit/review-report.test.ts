// The review report: the --fail-on rule, the markdown view, and the report schema review-post reads back.
import { describe, expect, it } from 'vitest';
import { failingFindings, reportMarkdown, reviewReportSchema } from '../../src/cli/review-report.js';
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
