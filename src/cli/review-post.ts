/**
 * `brutalist-mcp review-post`: one pull-request review from a `review --format json` report, inline comments for
 * verified findings on lines of the diff and a summary body for the rest, every text redacted before it leaves.
 */
import { parseArgs } from 'node:util';
import type { Config } from '../engine/config.js';
import { BrutalistError } from '../errors/index.js';
import type { Finding } from '../findings/types.js';
import { sanitizeText } from '../security/index.js';
import { findingMarkdown, placeOf, type ReviewReport, readReport } from './review-report.js';
import { UsageError } from './roast-args.js';

/** GitHub refuses a review body over 65,536 characters; this leaves room for the redaction's own marks. */
const BODY_MAX_CHARS = 60_000;
const MARKER = '<!-- brutalist-mcp review -->';

export interface InlineComment {
  readonly path: string;
  readonly line: number;
  readonly start_line?: number;
  readonly side: 'RIGHT';
  readonly start_side?: 'RIGHT';
  readonly body: string;
}

export interface PlannedReview {
  readonly body: string;
  readonly comments: readonly InlineComment[];
}

/** Where a finding may sit inline: verified (or re-anchored), with a file and line inside one hunk of the diff. */
function inlinePlace(f: Finding, report: ReviewReport): Pick<InlineComment, 'line' | 'start_line'> | null {
  if (f.verification !== 'verified' && f.verification !== 'reanchored') return null;
  if (f.file === null || f.line === null) return null;
  const file = report.changedFiles.find((c) => c.path === f.file && !c.deleted);
  const line = f.line;
  const range = file?.ranges.find(([first, last]) => line >= first && line <= last);
  if (!range) return null;
  const end = f.endLine;
  // A multi-line comment only when the whole span is inside the same hunk.
  return end !== null && end > line && end <= range[1] ? { start_line: line, line: end } : { line };
}

/** Splits the findings into inline comments and the summary body (pure: what `post` sends). */
export function planReview(
  report: ReviewReport,
  maxInline: number,
  redact: (text: string) => string,
): PlannedReview {
  const comments: InlineComment[] = [];
  const rest: Finding[] = [];
  for (const f of report.findings) {
    const place = comments.length < maxInline ? inlinePlace(f, report) : null;
    if (place === null) {
      rest.push(f);
      continue;
    }
    const multi = place.start_line !== undefined;
    comments.push({
      path: f.file as string,
      ...place,
      side: 'RIGHT',
      ...(multi ? { start_side: 'RIGHT' as const } : {}),
      body: redact(findingMarkdown(f)),
    });
  }
  const unverified = report.findings.filter((f) => f.verification === 'unverified').length;
  const head = [
    MARKER,
    `## Brutalist review: ${report.findings.length} finding${report.findings.length === 1 ? '' : 's'}`,
    '',
    `${comments.length} inline on changed lines, ${rest.length} below (not on a changed line, no file, or not ` +
      `verified)${unverified > 0 ? `; ${unverified} unverified: their quoted code was not found, treat them as leads` : ''}.`,
    `Focus ${report.focus} · critics ${report.critics.join(', ') || '—'} · \`${report.base.sha.slice(0, 7)}…${report.head.sha.slice(0, 7)}\``,
  ];
  if (report.summary === null && report.findings.length === 0 && report.critique.trim() !== '') {
    head.push(
      '',
      '_The critics returned prose only (no structured findings); run `brutalist-mcp review` to read it._',
    );
  }
  let body = head.join('\n');
  let left = 0;
  for (const [i, f] of rest.entries()) {
    const section = `\n\n---\n**${placeOf(f)}**\n\n${findingMarkdown(f)}`;
    if (body.length + section.length > BODY_MAX_CHARS) {
      left = rest.length - i;
      break;
    }
    body += section;
  }
  if (left > 0) body += `\n\n_${left} more finding(s) did not fit in one review; see the job's report._`;
  return { body: redact(body), comments };
}

export interface GitHubTarget {
  readonly apiUrl: string;
  readonly repo: string;
  readonly pr: number;
  readonly token: string;
  readonly timeoutMs: number;
}

interface Posted {
  readonly id: number;
  readonly url: string | null;
  /** GitHub refused the inline comments (422): the review went out with all findings in the body instead. */
  readonly inlineRefused: boolean;
}

async function request(target: GitHubTarget, payload: unknown): Promise<{ status: number; body: unknown }> {
  const url = `${target.apiUrl.replace(/\/+$/, '')}/repos/${target.repo}/pulls/${target.pr}/reviews`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${target.token}`,
        'content-type': 'application/json',
        'user-agent': 'brutalist-mcp',
        'x-github-api-version': '2022-11-28',
      },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(target.timeoutMs),
    });
  } catch (err) {
    throw new BrutalistError('GITHUB_API_FAILED', 'The GitHub API could not be reached (or timed out).', {
      data: { status: 0 },
      cause: err,
    });
  }
  const text = await response.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  return { status: response.status, body };
}

function apiError(status: number, body: unknown): BrutalistError {
  const message = (body as { message?: unknown } | null)?.message;
  const detail = typeof message === 'string' ? message.slice(0, 300) : undefined;
  return new BrutalistError('GITHUB_API_FAILED', `GitHub answered ${status} to the pull-request review.`, {
    data: { status, ...(detail ? { detail } : {}) },
  });
}

/**
 * Posts the review: one POST. When GitHub refuses it with 422 (an inline comment outside its diff) and there were
 * inline comments, it is sent once more with every finding in the body, so a run still ends in one review.
 */
export async function postReview(
  plan: PlannedReview,
  report: ReviewReport,
  target: GitHubTarget,
  redact: (text: string) => string,
): Promise<Posted> {
  const payload = { commit_id: report.head.sha, event: 'COMMENT', body: plan.body, comments: plan.comments };
  let answer = await request(target, payload);
  let inlineRefused = false;
  if (answer.status === 422 && plan.comments.length > 0) {
    inlineRefused = true;
    const bodyOnly = planReview(report, 0, redact);
    const note = '\n\n_GitHub refused the inline comments for this diff; every finding is listed here._';
    answer = await request(target, { ...payload, body: bodyOnly.body + note, comments: [] });
  }
  if (answer.status < 200 || answer.status > 299) throw apiError(answer.status, answer.body);
  const posted = answer.body as { id?: unknown; html_url?: unknown } | null;
  return {
    id: typeof posted?.id === 'number' ? posted.id : 0,
    url: typeof posted?.html_url === 'string' ? posted.html_url : null,
    inlineRefused,
  };
}

const OPTIONS = {
  repo: { type: 'string' },
  pr: { type: 'string' },
  'api-url': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const REVIEW_POST_USAGE = `Usage: brutalist-mcp review-post REPORT.json --repo OWNER/NAME --pr N [--api-url URL]

Posts one pull-request review from the report of \`brutalist-mcp review --format json\`: inline comments for
verified findings on lines of the diff, a summary body for the rest. The token is read from GITHUB_TOKEN only.
--api-url defaults to $GITHUB_API_URL, else https://api.github.com. Exit 0 posted, 1 GitHub refused or failed
(GITHUB_API_FAILED), 2 bad usage or an unreadable report.
`;

export async function reviewPostCommand(
  config: Config,
  args: readonly string[],
  stdout: NodeJS.WritableStream,
  stderr: NodeJS.WritableStream,
): Promise<number> {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true }>
  >;
  try {
    parsed = parseArgs({ args: [...args], options: OPTIONS, allowPositionals: true });
  } catch (err) {
    throw new UsageError((err as Error).message, 'review-post');
  }
  const { values, positionals } = parsed;
  if (values.help) {
    stdout.write(REVIEW_POST_USAGE);
    return 0;
  }
  const [file, ...extra] = positionals;
  if (!file || extra.length > 0) throw new UsageError('give exactly one REPORT.json', 'review-post');
  if (!values.repo || !/^[\w.-]+\/[\w.-]+$/.test(values.repo))
    throw new UsageError('--repo OWNER/NAME is required', 'review-post');
  const pr = Number(values.pr);
  if (!Number.isInteger(pr) || pr < 1)
    throw new UsageError('--pr N (the pull-request number) is required', 'review-post');
  const token = process.env.GITHUB_TOKEN;
  if (!token) throw new UsageError('GITHUB_TOKEN is not set', 'review-post');
  const report = readReport(file);
  const redact = (text: string) =>
    sanitizeText(text, { roots: [process.cwd()], env: process.env, maxChars: BODY_MAX_CHARS + 5_000 });
  const plan = planReview(report, config.reviewMaxInlineComments, redact);
  const posted = await postReview(
    plan,
    report,
    {
      apiUrl: values['api-url'] ?? process.env.GITHUB_API_URL ?? 'https://api.github.com',
      repo: values.repo,
      pr,
      token,
      timeoutMs: config.reviewGithubTimeoutMs,
    },
    redact,
  );
  if (posted.inlineRefused)
    stderr.write('brutalist-mcp: GitHub refused the inline comments; posted them in the body.\n');
  stdout.write(
    `posted review ${posted.id}: ${posted.inlineRefused ? 0 : plan.comments.length} inline comment(s)${posted.url ? ` ${posted.url}` : ''}\n`,
  );
  return 0;
}
