/** Parses `brutalist-mcp review …`; every mistake is a usage error that names the fix (exit 2). */
import { parseArgs } from 'node:util';
import { CRITIC_NAMES, type CriticName } from '../engine/config.js';
import { SEVERITIES, type Severity } from '../findings/types.js';
import { FOCUSES, type Focus } from './review-report.js';
import { UsageError } from './roast-args.js';

export const REVIEW_FORMATS = ['markdown', 'json', 'sarif'] as const;
export type ReviewFormat = (typeof REVIEW_FORMATS)[number];

export const REVIEW_USAGE = `Usage: brutalist-mcp review [options]

Reviews the change from the merge base of --base to --head in the git repository around the current
directory: the critics read the repository (read-only, no web) with the diff in their prompt.

Options:
  --base REV          what the change is compared against (default: origin/main)
  --head REV          the change (default: HEAD; committed changes only)
  --cli CRITIC        ${CRITIC_NAMES.join(', ')}; repeat to run several in parallel (default: the first available)
  --focus FOCUS       general (correctness, failure handling, security, tests) or security (attack paths in
                      the change); default: general
  --format FORMAT     markdown (default), json (the report review-post reads) or sarif (SARIF 2.1.0)
  --fail-on SEVERITY  ${SEVERITIES.join(', ')} or none (default): exit 3 when a finding at or above it is
                      verified or not checkable (unverified findings never fail the run)
  --fresh             ignore the cache and run the critics again
  --report FILE       no git, no critics: print a saved \`--format json\` report in --format (with
                      --fail-on, the exit status is recomputed for it)
  -h, --help          this help

Progress goes to stderr. Exit status: 0 done, 1 the review failed, 2 bad usage or input (bad ref, not a git
repository), 3 findings at or above --fail-on.
`;

export interface ParsedReview {
  readonly help: boolean;
  readonly base: string;
  readonly head: string;
  readonly clis: readonly CriticName[] | undefined;
  readonly focus: Focus;
  readonly format: ReviewFormat;
  readonly failOn: Severity | null;
  /** --fail-on was given (with --report: recompute; without, the saved report's threshold stands). */
  readonly failOnGiven: boolean;
  readonly fresh: boolean;
  /** Re-render this saved JSON report instead of running a review. */
  readonly report: string | undefined;
}

const OPTIONS = {
  base: { type: 'string' },
  head: { type: 'string' },
  cli: { type: 'string', multiple: true },
  focus: { type: 'string' },
  format: { type: 'string' },
  'fail-on': { type: 'string' },
  fresh: { type: 'boolean' },
  report: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function oneOf<T extends string>(option: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${option} ${value}: one of ${allowed.join(', ')}`, 'review');
}

const nullIfNone = (value: Severity | 'none'): Severity | null => (value === 'none' ? null : value);

export function parseReviewArgs(args: readonly string[]): ParsedReview {
  let values: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS }>>['values'];
  try {
    ({ values } = parseArgs({ args: [...args], options: OPTIONS, allowPositionals: false }));
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (typeof e.code !== 'string' || !e.code.startsWith('ERR_PARSE_ARGS')) throw err;
    const option = /'(?:-\w, )?(-{1,2}[^' <]+)/.exec(e.message ?? '')?.[1];
    throw new UsageError(
      e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
        ? `unknown option ${option ?? ''}`
        : e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE'
          ? /does not take an argument/.test(e.message ?? '')
            ? `${option ?? 'a flag'} takes no value`
            : `${option ?? 'an option'} needs a value`
          : (e.message ?? 'bad arguments'),
      'review',
    );
  }
  const empty = (name: string, value: string | undefined) => {
    if (value === '') throw new UsageError(`--${name} needs a value`, 'review');
    return value;
  };
  const failOn = values['fail-on'] ?? 'none';
  return {
    help: values.help === true,
    base: empty('base', values.base) ?? 'origin/main',
    head: empty('head', values.head) ?? 'HEAD',
    clis: values.cli?.map((c) => oneOf('--cli', c, CRITIC_NAMES)),
    focus: oneOf('--focus', values.focus ?? 'general', FOCUSES),
    format: oneOf('--format', values.format ?? 'markdown', REVIEW_FORMATS),
    failOn: nullIfNone(oneOf('--fail-on', failOn, [...SEVERITIES, 'none'] as const)),
    failOnGiven: values['fail-on'] !== undefined,
    fresh: values.fresh === true,
    report: empty('report', values.report),
  };
}
