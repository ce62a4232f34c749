/** The result of `review` (its JSON output, read back by `review-post`), the --fail-on rule and the markdown view. */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { BrutalistError } from '../errors/index.js';
import {
  type Finding,
  findingSchema,
  findingsSummarySchema,
  SEVERITIES,
  type Severity,
  severityRank,
} from '../findings/types.js';

export const FOCUSES = ['general', 'security'] as const;
export type Focus = (typeof FOCUSES)[number];

const sha = z.string().regex(/^[0-9a-f]{40,64}$/);

export const reviewReportSchema = z.object({
  version: z.literal(1),
  base: z.object({ ref: z.string(), sha }),
  head: z.object({ ref: z.string(), sha }),
  focus: z.enum(FOCUSES),
  critics: z.array(z.string()),
  findings: z.array(findingSchema),
  /** Null when the server returned no structured findings at all (not "none found"). */
  summary: findingsSummarySchema.nullable(),
  /** New-side line ranges of each changed file's hunks: where an inline comment may go. */
  changedFiles: z.array(
    z.object({
      path: z.string(),
      deleted: z.boolean(),
      ranges: z.array(z.tuple([z.number().int().min(1), z.number().int().min(1)])),
    }),
  ),
  diff: z.object({
    chars: z.number().int().min(0),
    shownChars: z.number().int().min(0),
    /** git output past reviewGitMaxOutputBytes: changedFiles ends early. */
    gitOutputCut: z.boolean(),
    /** Files whose diff the prompt left out (reviewMaxDiffChars). */
    omittedFiles: z.array(z.string()),
  }),
  failOn: z.enum(SEVERITIES).nullable(),
  /** Findings at or above failOn that count (unverified ones never do). */
  failing: z.number().int().min(0),
  /** The critique prose (already redacted), without the findings block. */
  critique: z.string(),
});
export type ReviewReport = z.infer<typeof reviewReportSchema>;

/** A saved `review --format json` report, validated: INVALID_ARGUMENT (exit 2) when it is not one. */
export function readReport(file: string): ReviewReport {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new BrutalistError('INVALID_ARGUMENT', 'The report is not a readable JSON file.', {
      data: { argument: 'report' },
    });
  }
  const parsed = reviewReportSchema.safeParse(raw);
  if (!parsed.success) {
    throw new BrutalistError('INVALID_ARGUMENT', 'The report is not the output of `review --format json`.', {
      data: { argument: 'report', issues: parsed.error.issues.length },
    });
  }
  return parsed.data;
}

/** Exit status of `review`: documented in docs/review.md. */
export const REVIEW_EXIT = { ok: 0, failed: 1, usage: 2, findings: 3 } as const;

/** Findings that fail the build: at or above `failOn`, and not unverified (a quote we could not find is a lead). */
export function failingFindings(findings: readonly Finding[], failOn: Severity | null): Finding[] {
  if (failOn === null) return [];
  return findings.filter(
    (f) => f.verification !== 'unverified' && severityRank(f.severity) <= severityRank(failOn),
  );
}

const VERIFICATION_LABEL: Record<Finding['verification'], string> = {
  verified: 'verified',
  reanchored: 'verified (line moved)',
  unverified: '**unverified**',
  unchecked: 'not checkable',
};

/** One-line place of a finding: `file:line[-end]`, or a dash for whole-project notes. */
export function placeOf(f: Finding): string {
  if (f.file === null) return '—';
  if (f.line === null) return f.file;
  return f.endLine !== null && f.endLine > f.line
    ? `${f.file}:${f.line}-${f.endLine}`
    : `${f.file}:${f.line}`;
}

/** Table cells hold one line, no pipes. */
const cell = (text: string): string => text.replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim();

/** Markdown body of one finding (also the text of an inline pull-request comment). */
export function findingMarkdown(f: Finding): string {
  const lines = [`**${f.severity.toUpperCase()}: ${f.title}** (${f.category})`];
  if (f.verification === 'unverified') {
    lines.push(
      '',
      '> ⚠️ Unverified: the quoted code was not found in the cited file. Treat this as a lead to check, not a fact.',
    );
  }
  if (f.fileChanged)
    lines.push('', '_The file changed while the critics ran; the check used the newer text._');
  lines.push('', f.why);
  if (f.quote) lines.push('', '```', f.quote.replace(/```/g, '``\u200b`'), '```');
  if (f.fix) lines.push('', `**Fix:** ${f.fix}`);
  lines.push('', `_Detected by ${f.detectedBy.join(', ')} · agreement ${Math.round(f.agreement * 100)}%_`);
  return lines.join('\n');
}

export function reportMarkdown(report: ReviewReport): string {
  const out = [
    `## Brutalist review: ${report.findings.length} finding${report.findings.length === 1 ? '' : 's'}`,
    '',
    `\`${report.base.sha.slice(0, 12)}…${report.head.sha.slice(0, 12)}\` · focus ${report.focus} · critics ${report.critics.join(', ') || '—'}`,
  ];
  if (report.summary === null) {
    out.push('', '_The server returned no structured findings; the critique follows as prose._');
  } else if (report.summary.withoutBlock.length > 0) {
    out.push(
      '',
      `_No findings block from: ${report.summary.withoutBlock.join(', ')} (their prose is below)._`,
    );
  }
  if (report.diff.omittedFiles.length > 0) {
    out.push(
      '',
      `_The diff was too long for the prompt: ${report.diff.omittedFiles.length} file(s) were not shown in it (the critics could still read them)._`,
    );
  }
  if (report.findings.length > 0) {
    out.push('', '| # | severity | check | where | title | critics |', '|---|---|---|---|---|---|');
    report.findings.forEach((f, i) => {
      out.push(
        `| ${i + 1} | ${f.severity} | ${VERIFICATION_LABEL[f.verification]} | ${cell(placeOf(f))} | ${cell(f.title)} | ${f.detectedBy.join(', ')} |`,
      );
    });
    report.findings.forEach((f, i) => {
      out.push('', `### ${i + 1}. ${placeOf(f)}`, '', findingMarkdown(f));
    });
  }
  if (report.failOn !== null) {
    out.push(
      '',
      `**--fail-on ${report.failOn}: ${report.failing} finding(s) at or above it${report.failing > 0 ? ' (exit 3)' : ''}.**`,
    );
  }
  if (report.critique.trim() !== '') out.push('', '---', '', report.critique.trim());
  return `${out.join('\n')}\n`;
}
