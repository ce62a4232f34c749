/** The catalog of critique domains: one row per domain, with its critic persona, brief and optional fields. */
import { BrutalistError } from '../errors/index.js';
import { FILESYSTEM_ROWS } from './catalog-filesystem.js';
import { TECHNICAL_ROWS } from './catalog-technical.js';
import { VENTURE_ROWS } from './catalog-venture.js';

/** Every domain id, in catalog order; a const tuple so the MCP layer can build `z.enum(DOMAIN_IDS)`. */
export const DOMAIN_IDS = [
  'codebase',
  'file_structure',
  'dependencies',
  'git_history',
  'test_coverage',
  'idea',
  'architecture',
  'research',
  'security',
  'product',
  'infrastructure',
  'design',
  'legal',
] as const;

export type DomainId = (typeof DOMAIN_IDS)[number];
export type FilesystemDomainId =
  | 'codebase'
  | 'file_structure'
  | 'dependencies'
  | 'git_history'
  | 'test_coverage';
export type AbstractDomainId = Exclude<DomainId, FilesystemDomainId>;

/**
 * `filesystem`: the critic reads the files at `target` itself (read-only); `context` is background.
 * `abstract`: `context` is the material under critique (required); `target` is only a short title.
 */
export type DomainKind = 'filesystem' | 'abstract';

export interface DomainField {
  /** Argument name, kept identical to the earlier tools so existing prompts keep working. */
  readonly name: string;
  readonly description: string;
  /** Value type; absent means string. The MCP layer builds its zod schema from this. */
  readonly type?: 'string' | 'integer' | 'boolean';
  /** Which size limit applies to a string value: `short` → maxFieldChars, `long` → maxContextChars. */
  readonly maxChars?: 'short' | 'long';
  /** Inclusive bounds of an integer field. */
  readonly range?: readonly [min: number, max: number];
  /** A string field that takes one of these words only (a closed set cannot carry instructions). */
  readonly choices?: readonly [string, ...string[]];
}

/** What each catalog row file provides; `brief` is composed from `focus` and `checklist` here. */
export interface DomainRow<Id extends DomainId = DomainId> {
  readonly id: Id;
  readonly title: string;
  readonly kind: DomainKind;
  /** One line, shown by discovery. */
  readonly summary: string;
  /** Comma-separated words and phrases, lower case (one string keeps the rows compact; split in Domain). */
  readonly keywords: string;
  /** Who the critic is: 2-4 sentences. */
  readonly persona: string;
  /** One or two sentences: what to examine and what matters most. */
  readonly focus: string;
  /** 6-10 domain-specific checks. */
  readonly checklist: readonly string[];
  /** What the main input should hold: for filesystem, what `target` points at; for abstract, what `context` holds. */
  readonly inputHint: string;
  readonly fields: readonly DomainField[];
  /** The earlier single-purpose tool and its primary argument, for compatibility shims. */
  readonly legacy?: { readonly tool: string; readonly primaryArg: string };
}

export interface Domain extends Omit<DomainRow, 'keywords'> {
  /** Words and phrases discovery matches against, lower case. */
  readonly keywords: readonly string[];
  /** The complete brief: focus, the checklist and the required output structure. */
  readonly brief: string;
}

/** Evidence differs by kind: a file the critic opened, or the user's own words. */
const EVIDENCE: Record<DomainKind, string> = {
  filesystem: 'file path relative to the working directory, with line numbers or a short quoted excerpt',
  abstract: "a short quote or paraphrase of the part of the user's material it comes from",
};

function composeBrief(row: DomainRow): string {
  const checks = row.checklist.map((item, i) => `${i + 1}. ${item}`).join('\n');
  return [
    row.focus,
    '',
    'Examine at least the following:',
    checks,
    '',
    'Structure your answer with these sections, in this order:',
    '1. Verdict: two or three sentences on the overall state and the single largest risk.',
    '2. Findings, most severe first. For each: severity (critical, high, medium or low), a short title, ' +
      `evidence (${EVIDENCE[row.kind]}), the concrete consequence if nothing changes, and a specific fix.`,
    '3. What is actually good: specific strengths worth keeping, with evidence. Skip generic praise.',
    '4. Top 3 actions: the three changes that would reduce the most risk, in order, each one sentence.',
    '',
    'Rank by real-world impact, not by how easy a point is to make. If you cannot verify something, say so ' +
      'instead of guessing, and never invent files, numbers, citations or facts.',
  ].join('\n');
}

// Rows live in three files to keep each readable; this annotation fails to compile if any id lacks a row.
const ROWS: Readonly<Record<DomainId, DomainRow>> = {
  ...FILESYSTEM_ROWS,
  ...TECHNICAL_ROWS,
  ...VENTURE_ROWS,
};

/** The catalog in DOMAIN_IDS order, frozen. */
export const DOMAINS: readonly Domain[] = Object.freeze(
  DOMAIN_IDS.map((id) => {
    const row = ROWS[id];
    const keywords = Object.freeze(row.keywords.split(',').map((k) => k.trim()));
    return Object.freeze({ ...row, keywords, brief: composeBrief(row) });
  }),
);

const BY_ID = new Map<string, Domain>(DOMAINS.map((d) => [d.id, d]));

export function isDomainId(value: unknown): value is DomainId {
  return typeof value === 'string' && BY_ID.has(value);
}

/** The domain with this id; an unknown id (possible only when a caller skipped validation) is INVALID_ARGUMENT. */
export function getDomain(id: DomainId): Domain {
  const domain = BY_ID.get(id);
  if (!domain) {
    throw new BrutalistError(
      'INVALID_ARGUMENT',
      `Unknown domain; expected one of: ${DOMAIN_IDS.join(', ')}.`,
      {
        data: { argument: 'domain', allowed: DOMAIN_IDS },
      },
    );
  }
  return domain;
}
