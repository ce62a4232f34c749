/**
 * The citation report of a legal, research or security critique: tag counts per critic and in all, and, when
 * config citationRecheck is on, each VERIFIED url fetched again under the URL policy with its quote looked up.
 */
import { z } from 'zod';
import { type CitationCounts, parseCitations } from '../domains/index.js';
import { isBrutalistError } from '../errors/index.js';
import type { Clock } from '../infra/index.js';
import { type FetchLimits, fetchUnderPolicy, UrlPolicy, type UrlPolicyConfig } from '../security/index.js';

const count = z.number().int().min(0);
const counts = { verified: count, supplied: count, unverified: count, untagged: count };

/** What a result carries as `citations` (stored with the result, declared in the tools' outputSchema). */
export const citationReportSchema = z.object({
  ...counts,
  critics: z.array(z.object({ critic: z.string(), ...counts })),
  /** Present when the VERIFIED citations were fetched again (config citationRecheck). */
  recheck: z.object({ checked: count, confirmed: count, unconfirmed: count, notChecked: count }).optional(),
  /** The VERIFIED citations the re-check could not confirm, and why. */
  unconfirmed: z
    .array(
      z.object({
        critic: z.string(),
        url: z.string(),
        reason: z.enum(['quote_not_on_page', 'url_blocked', 'fetch_failed']),
      }),
    )
    .optional(),
});
export type CitationReport = z.infer<typeof citationReportSchema>;

export interface CitationConfig extends UrlPolicyConfig, FetchLimits {
  readonly citationRecheck: boolean;
  readonly citationRecheckMax: number;
}

const sum = (all: readonly CitationCounts[], key: keyof CitationCounts) =>
  all.reduce((n, c) => n + c[key], 0);

/** Counts the tags in each critic's text. */
export function citationReport(texts: ReadonlyArray<{ critic: string; text: string }>): CitationReport {
  const critics = texts.map(({ critic, text }) => ({ critic, ...parseCitations(text).counts }));
  return {
    verified: sum(critics, 'verified'),
    supplied: sum(critics, 'supplied'),
    unverified: sum(critics, 'unverified'),
    untagged: sum(critics, 'untagged'),
    critics,
  };
}

/** Text as a reader sees it, for quote matching: no tags, scripts or styles, entities decoded, spaces folded. */
export function visibleText(html: string): string {
  return normalize(
    html
      .replace(/<(script|style|noscript)\b[\s\S]*?<\/\1\s*>/gi, ' ')
      .replace(/<[^>]*>/g, ' ')
      .replace(/&nbsp;/g, ' ')
      .replace(/&amp;/g, '&')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;|&apos;/g, "'")
      .replace(/&#(\d+);/g, (_m, n: string) => String.fromCodePoint(Number(n))),
  );
}

function normalize(text: string): string {
  return text
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/[\u2013\u2014]/g, '-')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

/**
 * Fetches each VERIFIED url (at most citationRecheckMax, one at a time: a re-check is a courtesy to the sites,
 * not a crawl) and marks the ones whose quote is not on the page.
 */
export async function recheckCitations(
  report: CitationReport,
  texts: ReadonlyArray<{ critic: string; text: string }>,
  config: CitationConfig,
  clock: Clock,
  policy: UrlPolicy = new UrlPolicy(config),
): Promise<CitationReport> {
  const verified = texts.flatMap(({ critic, text }) =>
    parseCitations(text)
      .citations.filter((c) => c.kind === 'verified')
      .map((c) => ({ critic, url: c.source ?? '', quote: c.quote ?? '' })),
  );
  const todo = verified.slice(0, config.citationRecheckMax);
  const unconfirmed: NonNullable<CitationReport['unconfirmed']> = [];
  for (const item of todo) {
    try {
      const page = await fetchUnderPolicy(item.url, policy, config, clock);
      if (!visibleText(page.body).includes(normalize(item.quote))) {
        unconfirmed.push({ critic: item.critic, url: item.url, reason: 'quote_not_on_page' });
      }
    } catch (err) {
      // A refusal by the policy itself (scheme, address) versus a page that did not load.
      const refused = isBrutalistError(err) && err.data.policy === true;
      unconfirmed.push({
        critic: item.critic,
        url: item.url,
        reason: refused ? 'url_blocked' : 'fetch_failed',
      });
    }
  }
  return {
    ...report,
    recheck: {
      checked: todo.length,
      confirmed: todo.length - unconfirmed.length,
      unconfirmed: unconfirmed.length,
      notChecked: verified.length - todo.length,
    },
    unconfirmed,
  };
}
