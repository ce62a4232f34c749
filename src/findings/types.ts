/**
 * The findings contract (issue 18): what a critic is asked to emit at the end of its critique, and what the server
 * returns after checking quotes and merging critics. Parsing, verification and merging live next to this file;
 * `review` (SARIF, markdown, the GitHub Action) reads only these shapes.
 */
import { z } from 'zod';

/** Most severe first: the order findings are sorted and `--fail-on` compares in. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Rank for sorting and thresholds: critical 0 … info 4. */
export const severityRank = (severity: Severity): number => SEVERITIES.indexOf(severity);

/** One entry of a critic's findings block, after tolerant parsing (bounded strings; unknown keys dropped). */
export const rawFindingSchema = z.object({
  severity: z.enum(SEVERITIES),
  category: z.string().min(1).max(80),
  title: z.string().min(1).max(300),
  /** Path relative to the critique's target (filesystem domains); null for abstract domains or whole-project notes. */
  file: z.string().min(1).max(1024).nullable().default(null),
  line: z.number().int().min(1).nullable().default(null),
  endLine: z.number().int().min(1).nullable().default(null),
  /** Verbatim text of the target the finding is about. */
  quote: z.string().max(2000).nullable().default(null),
  why: z.string().min(1).max(4000),
  fix: z.string().max(4000).nullable().default(null),
  /** The critic's own confidence, 0..1. */
  confidence: z.number().min(0).max(1).nullable().default(null),
});
export type RawFinding = z.infer<typeof rawFindingSchema>;

/**
 * verified: the quote is at (or near) the cited file and line; reanchored: found elsewhere in that file, line
 * moved there; unverified: not found (never presented as fact); unchecked: nothing to check (no file or no quote).
 */
export const VERIFICATIONS = ['verified', 'reanchored', 'unverified', 'unchecked'] as const;
export type Verification = (typeof VERIFICATIONS)[number];

/** A finding as returned: merged across critics, quote checked against the target. */
export const findingSchema = rawFindingSchema.extend({
  /** Stable id: a short hash of file, line bucket, category and normalised title (same place + problem = same id). */
  id: z.string().min(1),
  verification: z.enum(VERIFICATIONS),
  /** The cited file's size or mtime changed while the critics ran: the check may be against newer text. */
  fileChanged: z.boolean(),
  /** Critics that reported this finding, in the order they were asked. */
  detectedBy: z.array(z.string()).min(1),
  /** detectedBy.length / critics that returned a findings block (0..1). */
  agreement: z.number().min(0).max(1),
});
export type Finding = z.infer<typeof findingSchema>;

/** What parsing and merging saw, so a client can tell "no findings" from "no block" or "dropped entries". */
export const findingsSummarySchema = z.object({
  total: z.number().int().min(0),
  bySeverity: z.record(z.enum(SEVERITIES), z.number().int().min(0)),
  unverified: z.number().int().min(0),
  /** Entries dropped as malformed, over all critics. */
  dropped: z.number().int().min(0),
  /** Critics whose answer had no findings block (prose only). */
  withoutBlock: z.array(z.string()),
});
export type FindingsSummary = z.infer<typeof findingsSummarySchema>;
