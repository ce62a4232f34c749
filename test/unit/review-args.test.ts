// `brutalist-mcp review` argument parsing: defaults, choices, and usage errors that name the fix.
import { describe, expect, it } from 'vitest';
import { parseReviewArgs } from '../../src/cli/review-args.js';
import { UsageError } from '../../src/cli/roast-args.js';

function usage(args: string[]): string {
  try {
    parseReviewArgs(args);
  } catch (err) {
    if (err instanceof UsageError) return `${err.command}: ${err.message}`;
    throw err;
  }
  return 'no error';
}

describe('parseReviewArgs', () => {
  it('defaults to origin/main..HEAD, general focus, markdown, no threshold', () => {
    expect(parseReviewArgs([])).toEqual({
      help: false,
      base: 'origin/main',
      head: 'HEAD',
      clis: undefined,
      focus: 'general',
      format: 'markdown',
      failOn: null,
      failOnGiven: false,
      fresh: false,
      report: undefined,
    });
  });

  it('takes repeated critics, a focus, a format and a threshold', () => {
    expect(
      parseReviewArgs([
        '--cli',
        'claude',
        '--cli',
        'codex',
        '--focus',
        'security',
        '--format',
        'sarif',
        '--fail-on=high',
      ]),
    ).toMatchObject({
      clis: ['claude', 'codex'],
      focus: 'security',
      format: 'sarif',
      failOn: 'high',
      failOnGiven: true,
    });
    expect(parseReviewArgs(['--fail-on', 'none'])).toMatchObject({ failOn: null, failOnGiven: true });
  });

  it('names the option and the allowed values of a bad choice', () => {
    expect(usage(['--fail-on', 'severe'])).toBe(
      'review: --fail-on severe: one of critical, high, medium, low, info, none',
    );
    expect(usage(['--cli', 'copilot'])).toMatch(/^review: --cli copilot: one of claude, codex/);
    expect(usage(['--focus', 'style'])).toBe('review: --focus style: one of general, security');
  });

  it('refuses unknown options, positionals and empty refs', () => {
    expect(usage(['--target', 'x'])).toBe('review: unknown option --target');
    expect(usage(['main'])).toMatch(/^review: /);
    expect(usage(['--base', ''])).toBe('review: --base needs a value');
    expect(usage(['--head'])).toBe('review: --head needs a value');
  });
});

describe('parseReviewArgs usage messages', () => {
  it('says a flag takes no value when one is given (not that it needs one)', () => {
    expect(usage(['--fresh=1'])).toBe('review: --fresh takes no value');
    expect(usage(['--help=yes'])).toBe('review: --help takes no value');
  });

  it('passes node:util’s own message through for a positional argument', () => {
    expect(usage(['main'])).toBe(
      "review: Unexpected argument 'main'. This command does not take positional arguments",
    );
  });

  it('refuses an empty --report as needing a value, and keeps a given one', () => {
    expect(usage(['--report', ''])).toBe('review: --report needs a value');
    expect(parseReviewArgs(['--report', 'r.json']).report).toBe('r.json');
  });

  it('reads --fail-on none as no threshold, but remembers it was given', () => {
    expect(parseReviewArgs(['--fail-on', 'none'])).toMatchObject({ failOn: null, failOnGiven: true });
  });
});
