/** The short markdown table of findings a critique's text starts with (all of them are in structuredContent). */
import type { Finding, FindingsSummary, Verification } from './types.js';

const CHECK: Readonly<Record<Verification, string>> = {
  verified: 'verified',
  reanchored: 're-anchored',
  unverified: '**unverified**',
  unchecked: 'unchecked',
};
const TITLE_CHARS = 100;

/** Markdown for the top of a critique; '' when no critic returned a findings block (prose only). */
export function findingsTable(findings: readonly Finding[], summary: FindingsSummary, maxRows: number): string {
  const out: string[] = [];
  const dropped = summary.dropped > 0 ? ` ${summary.dropped} malformed or surplus entries dropped.` : '';
  if (findings.length === 0) {
    if (summary.dropped === 0 && summary.withoutBlock.length > 0) return '';
    return `**Findings:** none reported.${dropped}`;
  }
  const counts = Object.entries(summary.bySeverity)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
  out.push(`**Findings:** ${counts}; ${summary.unverified} unverified.${dropped}`);
  if (maxRows > 0) {
    out.push('', '| # | severity | where | finding | quote | by |', '|---|---|---|---|---|---|');
    findings.slice(0, maxRows).forEach((f, i) => {
      const where = f.file === null ? '-' : `\`${cell(f.file)}${f.line === null ? '' : `:${f.line}`}\``;
      const changed = f.fileChanged ? ' (file changed during the run)' : '';
      out.push(
        `| ${i + 1} | ${f.severity} | ${where} | ${cell(clip(f.title))} | ${CHECK[f.verification]}${changed} | ${cell(f.detectedBy.join(', '))} |`,
      );
    });
  }
  const more = findings.length - Math.min(maxRows, findings.length);
  if (more > 0) out.push('', `_${more} more in structuredContent.findings._`);
  return out.join('\n');
}

function clip(text: string): string {
  return text.length > TITLE_CHARS ? `${text.slice(0, TITLE_CHARS - 1)}…` : text;
}

/** One table cell: no line breaks, no column separators, no code spans breaking out. */
function cell(text: string): string {
  return text.replace(/\s+/g, ' ').replaceAll('|', '\\|').replaceAll('`', "'");
}
