/**
 * Web-verified citations (legal, research, security): the rule the critic is given, and the parser that counts
 * the tags `[VERIFIED: <url> | "<quote>"]`, `[SUPPLIED: <location> | "<quote>"]`, `[UNVERIFIED: <reason>]` in a
 * critique, plus the authorities it cites with no tag at all.
 */
import type { DomainId } from './catalog.js';

/** The domains whose critics verify external authorities with web tools and tag every citation. */
export const CITATION_DOMAINS: ReadonlySet<DomainId> = new Set<DomainId>(['legal', 'research', 'security']);

export const CITATION_RULE =
  'Every external authority you rely on (statute, regulation, case, standard, paper, CVE, advisory, vendor ' +
  'documentation) must be checked and tagged right after the claim, in exactly one of these forms:\n' +
  '- `[VERIFIED: <url> | "<verbatim quote>"]` when you opened the source with your web tools and the quote ' +
  'appears on that page word for word;\n' +
  '- `[SUPPLIED: <location> | "<quote>"]` when it comes from the user\'s own material (give where in it);\n' +
  '- `[UNVERIFIED: <reason>]` when you could not check it (say why). Never invent a URL or a quote.';

export interface Citation {
  readonly kind: 'verified' | 'supplied' | 'unverified';
  /** VERIFIED: the URL; SUPPLIED: the location. */
  readonly source?: string;
  readonly quote?: string;
  /** UNVERIFIED: the reason. */
  readonly reason?: string;
}

export interface CitationCounts {
  readonly verified: number;
  readonly supplied: number;
  readonly unverified: number;
  /** Authorities cited without a tag (a legal cite, a CVE id, a paper's "et al.", a bare URL). */
  readonly untagged: number;
}

/** The longest quote or source kept per tag: a tag is a pointer, not a copy of the page. */
const MAX_TAG_PART_CHARS = 500;

const TAG_RE =
  /\[(VERIFIED|SUPPLIED):\s*([^\]|]{1,2000}?)\s*\|\s*["“]([^\]]{1,2000}?)["”]\s*\]|\[UNVERIFIED:\s*([^\]]{1,2000}?)\s*\]/g;

/**
 * Patterns of an authority: a URL, a CVE or CWE id, a section sign, a U.S. Code / C.F.R. cite, a "v." case name,
 * an EU regulation or directive, an "et al." paper cite, an RFC, a DOI.
 */
const AUTHORITY_RE = new RegExp(
  [
    String.raw`https?://[^\s)\]>"']+`,
    String.raw`\bCVE-\d{4}-\d{4,}\b`,
    String.raw`\bCWE-\d{1,5}\b`,
    String.raw`§+\s*\d[\w.()-]*`,
    String.raw`\b\d+\s+(?:U\.S\.C\.|C\.F\.R\.|U\.S\.|F\.\d?d|S\. ?Ct\.)\s*§*\s*\d+`,
    String.raw`\b[A-Z][\w'.&-]+ v\. [A-Z][\w'.&-]+`,
    String.raw`\b(?:Regulation|Directive) \((?:EU|EC)\) (?:No )?\d{2,4}/\d+`,
    String.raw`\b[A-Z][a-z]+ et al\.(?:,? \(?\d{4}\)?)?`,
    String.raw`\bRFC ?\d{3,5}\b`,
    String.raw`\b10\.\d{4,9}/[^\s)\]]+`,
  ].join('|'),
  'g',
);

const clip = (text: string) => text.trim().slice(0, MAX_TAG_PART_CHARS);

/** Whether a line holds a tag (non-global: no lastIndex state). */
const HAS_TAG_RE = /\[(?:VERIFIED|SUPPLIED|UNVERIFIED):/;

/**
 * Every tag in `text`, in order, and the counts. An authority on a line that carries a tag is taken to be the
 * one tagged; `untagged` counts the authorities on lines with no tag at all.
 */
export function parseCitations(text: string): { citations: Citation[]; counts: CitationCounts } {
  const citations: Citation[] = [];
  for (const m of text.matchAll(TAG_RE)) {
    const [, kind, source, quote, reason] = m;
    if (reason !== undefined) citations.push({ kind: 'unverified', reason: clip(reason) });
    else {
      const tagKind = kind === 'VERIFIED' ? 'verified' : 'supplied';
      citations.push({ kind: tagKind, source: clip(source ?? ''), quote: clip(quote ?? '') });
    }
  }
  let untagged = 0;
  for (const line of text.split('\n')) {
    if (!HAS_TAG_RE.test(line)) untagged += line.match(AUTHORITY_RE)?.length ?? 0;
  }
  const count = (kind: Citation['kind']) => citations.filter((c) => c.kind === kind).length;
  return {
    citations,
    counts: {
      verified: count('verified'),
      supplied: count('supplied'),
      unverified: count('unverified'),
      untagged,
    },
  };
}
