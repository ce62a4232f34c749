/** From critics' answers to the returned findings: parse, check quotes, merge, count, and make them safe to show. */
import { addCounts, type CritiqueSanitizer, NO_SANITIZED, type SanitizedCounts } from '../security/index.js';
import { mergeFindings } from './merge.js';
import { type ParsedBlock, parseFindings } from './parse.js';
import { EMPTY_SNAPSHOT, type TargetSnapshot } from './snapshot.js';
import { type Finding, type FindingsSummary, SEVERITIES, type Severity } from './types.js';
import { type FindingsPlace, QuoteVerifier, type VerifyOptions } from './verify.js';

export interface FindingsOptions extends VerifyOptions {
  /** Entries kept per critic (config findingsMaxPerCritic). */
  readonly maxPerCritic: number;
}

/** One critic's parsed answer: its findings block, or null when it had none. */
export interface ParsedCriticBlock {
  readonly critic: string;
  readonly block: ParsedBlock | null;
}

export interface FindingsReport {
  readonly findings: readonly Finding[];
  readonly summary: FindingsSummary;
}

/**
 * Checks and merges parsed blocks. `critics`: every critic asked, in the order asked; `place`: where they ran
 * (null for abstract domains: nothing to check quotes against); `snapshot`: the files when the run started.
 * Works on the raw critique (before output redaction), so a quote is compared with what is really in the file.
 */
export async function checkFindings(
  blocks: readonly ParsedCriticBlock[],
  critics: readonly string[],
  place: FindingsPlace | null,
  snapshot: TargetSnapshot,
  options: VerifyOptions,
): Promise<FindingsReport> {
  const verifier = new QuoteVerifier(place, snapshot, options);
  const answered = blocks.filter((b): b is ParsedCriticBlock & { block: ParsedBlock } => b.block !== null);
  const checked = await Promise.all(
    answered.map(async ({ critic, block }) => ({
      critic,
      findings: await Promise.all(block.entries.map((e) => verifier.check(e))),
    })),
  );
  const findings = mergeFindings(checked, critics, options.nearLines);
  const withoutBlock = critics.filter((c) => blocks.some((b) => b.critic === c && b.block === null));
  return {
    findings,
    summary: {
      total: findings.length,
      bySeverity: countBySeverity(findings),
      unverified: findings.filter((f) => f.verification === 'unverified').length,
      dropped: answered.reduce((sum, b) => sum + b.block.dropped, 0),
      withoutBlock,
    },
  };
}

/**
 * The whole path for callers that hold raw answers (the `review` command): parse each answer, check and merge.
 * `prose` is each answer without its block, in the order of `answers`. Nothing here is redacted yet: pass the
 * findings through sanitizeFindings (and the prose through the critique sanitizer) before showing them.
 */
export async function findingsOf(
  answers: ReadonlyArray<{ readonly critic: string; readonly text: string }>,
  place: FindingsPlace | null,
  snapshot: TargetSnapshot = EMPTY_SNAPSHOT,
  options: FindingsOptions,
): Promise<FindingsReport & { readonly prose: readonly string[] }> {
  const parsed = answers.map((a) => ({ critic: a.critic, ...parseFindings(a.text, options.maxPerCritic) }));
  const report = await checkFindings(
    parsed,
    answers.map((a) => a.critic),
    place,
    snapshot,
    options,
  );
  return { ...report, prose: parsed.map((p) => p.prose) };
}

function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of findings) counts[f.severity]++;
  return counts;
}

const TEXT_FIELDS = ['category', 'title', 'file', 'quote', 'why', 'fix'] as const;

/** Every string a critic wrote in a finding through the critique sanitizer (controls, env values, secrets). */
export function sanitizeFindings(
  findings: readonly Finding[],
  sanitizer: CritiqueSanitizer,
): { findings: Finding[]; sanitized: SanitizedCounts } {
  let sanitized: SanitizedCounts = NO_SANITIZED;
  const clean = findings.map((f) => {
    const out: Finding = { ...f };
    for (const field of TEXT_FIELDS) {
      const value = f[field];
      if (typeof value !== 'string') continue;
      const { text, counts } = sanitizer.critique(value);
      sanitized = addCounts(sanitized, counts);
      // Required strings stay non-empty (the schema says min 1) even if redaction emptied them.
      (out as Record<string, unknown>)[field] = text === '' && field !== 'quote' ? '-' : text;
    }
    return out;
  });
  return { findings: clean, sanitized };
}
