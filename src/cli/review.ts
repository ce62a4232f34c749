/** `brutalist-mcp review`: the critics review a git change as a filesystem roast; findings out as markdown/JSON/SARIF. */
import { z } from 'zod';
import type { Config } from '../engine/config.js';
import { BrutalistError } from '../errors/index.js';
import { toSarif } from '../findings/sarif.js';
import { type Finding, findingSchema, findingsSummarySchema } from '../findings/types.js';
import { VERSION } from '../infra/index.js';
import { buildTools, formatResponse, parseToolArgs } from '../mcp/index.js';
import { sanitizeData } from '../security/index.js';
import { parseReviewArgs, REVIEW_USAGE } from './review-args.js';
import { type Change, diffForPrompt, type GitLimits, readChange, resolveCommit } from './review-git.js';
import {
  type Focus,
  failingFindings,
  REVIEW_EXIT,
  type ReviewReport,
  readReport,
  reportMarkdown,
} from './review-report.js';
import { critiqueToEnd, inTerminal, type Terminal } from './roast.js';

/** What the `codebase` domain's `focus` field says for each --focus. */
const FOCUS_FIELD: Record<Focus, string> = {
  general:
    'The change in the diff: correctness, failure handling, security, resource use and missing tests of the ' +
    'changed code and of the code it affects.',
  security:
    'Security of the change in the diff, as an attacker would read it: injection, authentication and ' +
    'authorisation gaps, path traversal, unsafe deserialisation, secrets, SSRF, data exposure, and what a ' +
    'malicious input to the changed code could reach. Rank by exploitability and impact.',
};

/** Room kept in `context` for the instructions and the list of files left out of the diff. */
const CONTEXT_RESERVE_CHARS = 8_000;
const OMITTED_LIST_MAX_CHARS = 4_000;
/** Above the longest text field of a finding (why, fix: 4000), so redaction never cuts one. */
const FINDING_TEXT_MAX_CHARS = 5_000;

function reviewContext(
  change: Change,
  diffBudget: number,
): { text: string; shown: number; omitted: string[] } {
  const diff = diffForPrompt(change.diff, diffBudget);
  const lines = [
    'This is a review of one change (a pull request), not of the whole repository. The working directory is the ' +
      'repository; the change is the diff below. Find what the change breaks, gets wrong or leaves unsafe: read ' +
      'the changed files and the code they touch to check each claim. Cite files by their path relative to the ' +
      'working directory and lines as they are in the working directory (the new version). Report problems that ' +
      'existed before the change only when the change makes them worse.',
    `Compared: ${change.from.slice(0, 12)} (merge base of ${change.base.ref}) → ${change.head.sha.slice(0, 12)} (${change.head.ref}).`,
  ];
  const omitted = [...diff.omittedFiles];
  if (diff.cut || change.diffCut) {
    let list = omitted.join(', ');
    if (list.length > OMITTED_LIST_MAX_CHARS) list = `${list.slice(0, OMITTED_LIST_MAX_CHARS)}… (list cut)`;
    lines.push(
      `The diff is too long to show whole. ${omitted.length > 0 ? `Not shown (read these files yourself): ${list}.` : ''}` +
        `${change.diffCut ? ' git output was cut: later files are missing from the diff entirely.' : ''}`,
    );
  }
  lines.push('', 'The diff (unified, 3 lines of context):', '', diff.text);
  return { text: lines.join('\n'), shown: diff.text.length, omitted };
}

/** Findings as the server returns them in structuredContent; absent when this build returns none. */
const structuredFindings = z.object({
  findings: z.array(findingSchema).optional(),
  findingsSummary: findingsSummarySchema.optional(),
});

export async function reviewCommand(
  config: Config,
  args: readonly string[],
  term: Terminal,
): Promise<number> {
  const parsed = parseReviewArgs(args);
  if (parsed.help) {
    term.stdout.write(REVIEW_USAGE);
    return REVIEW_EXIT.ok;
  }
  if (parsed.report !== undefined) {
    const saved = readReport(parsed.report);
    const failOn = parsed.failOnGiven ? parsed.failOn : saved.failOn;
    const again = { ...saved, failOn, failing: failingFindings(saved.findings, failOn).length };
    term.stdout.write(render(again, parsed.format));
    return again.failing > 0 ? REVIEW_EXIT.findings : REVIEW_EXIT.ok;
  }
  const limits: GitLimits = {
    maxOutputBytes: config.reviewGitMaxOutputBytes,
    timeoutMs: config.reviewGitTimeoutMs,
    killGraceMs: config.killGraceMs,
  };
  const change = await readChange(term.cwd, parsed, limits);
  if ((await resolveCommit(change.root, 'HEAD', '--head', limits)) !== change.head.sha) {
    term.stderr.write(
      'brutalist-mcp: note: --head is not the checked-out commit; the critics read (and quotes are checked ' +
        'against) the working tree.\n',
    );
  }
  const base: Omit<ReviewReport, 'findings' | 'summary' | 'critique' | 'critics' | 'failing' | 'diff'> = {
    version: 1,
    base: change.base,
    head: change.head,
    focus: parsed.focus,
    changedFiles: change.files.map((f) => ({
      ...f,
      ranges: f.ranges.map(([a, b]) => [a, b] as [number, number]),
    })),
    failOn: parsed.failOn,
  };
  let report: ReviewReport;
  if (change.files.length === 0) {
    term.stderr.write('brutalist-mcp: no change between the merge base and --head; nothing to review.\n');
    report = {
      ...base,
      critics: [],
      findings: [],
      summary: null,
      critique: '',
      failing: 0,
      diff: { chars: 0, shownChars: 0, gitOutputCut: false, omittedFiles: [] },
    };
  } else {
    const budget = Math.max(
      0,
      Math.min(config.reviewMaxDiffChars, config.maxContextChars - CONTEXT_RESERVE_CHARS),
    );
    const context = reviewContext(change, budget);
    const tool = parseToolArgs(
      'roast',
      {
        domain: 'codebase',
        // Relative to the first root (the repository): the critique's title never shows a host path.
        target: '.',
        context: context.text,
        focus: FOCUS_FIELD[parsed.focus],
        clis: parsed.clis,
        force_refresh: parsed.fresh,
        limit: 100_000,
      },
      buildTools(config),
    );
    if (tool.tool !== 'roast') return REVIEW_EXIT.usage;
    const who = parsed.clis?.join(', ') ?? 'the first available critic';
    term.stderr.write(
      `brutalist-mcp: reviewing ${change.files.length} changed file(s) with ${who}… (Ctrl-C cancels)\n`,
    );
    const roots = [change.root, ...config.roots];
    // The report renders every finding itself: the critique's own findings table would repeat it (its one-line
    // count stays).
    const { first, pages } = await inTerminal({ ...config, findingsTableRows: 0 }, term, (app, run) =>
      critiqueToEnd(app, tool.args, { roots, ...run }),
    );
    const structured = structuredFindings.safeParse(formatResponse('roast', first).structuredContent ?? {});
    if (!structured.success) {
      throw new BrutalistError('INTERNAL_ERROR', 'The structured findings do not match their schema.', {
        cause: structured.error,
      });
    }
    // The server redacts its output already; this is the boundary where findings leave for stdout or GitHub.
    const scope = { roots: [change.root], env: process.env, maxChars: FINDING_TEXT_MAX_CHARS };
    const findings: Finding[] = sanitizeData(structured.data.findings ?? [], scope);
    report = {
      ...base,
      critics: first.meta.critics.map((c) => c.critic),
      findings,
      summary: structured.data.findingsSummary ?? null,
      critique: pages.join(''),
      failing: failingFindings(findings, parsed.failOn).length,
      diff: {
        chars: change.diff.length,
        shownChars: context.shown,
        gitOutputCut: change.diffCut,
        omittedFiles: context.omitted,
      },
    };
  }
  term.stdout.write(render(report, parsed.format));
  return report.failing > 0 ? REVIEW_EXIT.findings : REVIEW_EXIT.ok;
}

function render(report: ReviewReport, format: 'markdown' | 'json' | 'sarif'): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'sarif':
      return `${JSON.stringify(toSarif(report.findings, { toolVersion: VERSION }), null, 2)}\n`;
    case 'markdown':
      return reportMarkdown(report);
  }
}
