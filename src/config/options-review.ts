/** Options of `brutalist-mcp review` and `review-post`: how much diff the critics see, git's bounds, GitHub's. */
import { int, MIB, SECOND } from './spec.js';

export const REVIEW_OPTIONS = {
  reviewMaxDiffChars: int(
    'BRUTALIST_REVIEW_MAX_DIFF_CHARS',
    120_000,
    1_000,
    10_000_000,
    '`review`: the most diff characters put in the prompt (never more than maxContextChars less the instructions). A longer diff is cut at a file boundary; the files left out are listed by name so the critics read them in the working tree.',
  ),
  reviewGitMaxOutputBytes: int(
    'BRUTALIST_REVIEW_GIT_MAX_OUTPUT_BYTES',
    32 * MIB,
    64 * 1024,
    1024 * MIB,
    '`review`: the most bytes read from one git command; a longer `git diff` is stopped there and treated as cut (files past it get no inline comments).',
  ),
  reviewGitTimeoutMs: int(
    'BRUTALIST_REVIEW_GIT_TIMEOUT_MS',
    60 * SECOND,
    SECOND,
    30 * 60 * SECOND,
    '`review`: deadline of one git command (GIT_FAILED past it).',
  ),
  reviewMaxInlineComments: int(
    'BRUTALIST_REVIEW_MAX_INLINE_COMMENTS',
    30,
    0,
    1_000,
    '`review-post`: inline comments in the one pull-request review; verified findings past it go to the summary body.',
  ),
  reviewGithubTimeoutMs: int(
    'BRUTALIST_REVIEW_GITHUB_TIMEOUT_MS',
    30 * SECOND,
    SECOND,
    10 * 60 * SECOND,
    '`review-post`: deadline of the GitHub API request (GITHUB_API_FAILED with status 0 past it).',
  ),
} as const;
