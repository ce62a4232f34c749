/**
 * Merging across critics: findings about the same place and problem become one, with the critics that reported
 * it and their agreement; the result does not depend on the order the answers arrive in.
 */
import { sha256Hex } from '../infra/index.js';
import { type Finding, severityRank, type Verification } from './types.js';
import { type CheckedFinding, normalise } from './verify.js';

/** One critic's checked findings (only critics whose answer had a findings block). */
export interface CriticFindings {
  readonly critic: string;
  readonly findings: readonly CheckedFinding[];
}

/** Most trustworthy first: the representative of a merged finding is its best-checked report. */
const VERIFICATION_RANK: Readonly<Record<Verification, number>> = {
  verified: 0,
  reanchored: 1,
  unchecked: 2,
  unverified: 3,
};
/** Titles sharing at least this share of their words (Jaccard) name the same problem. */
const SAME_TITLE = 0.5;
/** Lines per bucket of the stable id: a re-anchor by a line or two keeps the id. */
const ID_LINE_BUCKET = 10;
const ID_CHARS = 12;

interface Report {
  readonly critic: string;
  readonly finding: CheckedFinding;
  /** A total order over reports that does not depend on arrival order. */
  readonly key: string;
  readonly words: ReadonlySet<string>;
}

/**
 * Merges the critics' findings. `critics`: every critic asked, in the order asked (the order of `detectedBy`);
 * agreement is over the critics in `answers`. Two reports merge when they are in the same file near the same
 * line and have similar titles, the same quote, or the same category on the same line; merging is transitive.
 */
export function mergeFindings(
  answers: readonly CriticFindings[],
  critics: readonly string[],
  nearLines: number,
): Finding[] {
  const reports = answers
    .flatMap((a) => a.findings.map((finding) => report(a.critic, finding)))
    .sort((a, b) => compare(a.key, b.key));
  const parent = reports.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  for (let i = 0; i < reports.length; i++) {
    for (let j = i + 1; j < reports.length; j++) {
      if (sameFinding(reports[i]!, reports[j]!, nearLines)) parent[find(j)] = find(i);
    }
  }
  const groups = new Map<number, Report[]>();
  reports.forEach((r, i) => {
    const root = find(i);
    groups.set(root, [...(groups.get(root) ?? []), r]);
  });
  const reporting = new Set(answers.map((a) => a.critic)).size;
  const ids = new Set<string>();
  const merged = [...groups.values()].map((group) => combine(group, critics, reporting, ids));
  return merged.sort(byOrder);
}

function report(critic: string, finding: CheckedFinding): Report {
  const f = finding;
  const key = JSON.stringify([
    f.file ?? '\uffff',
    f.line ?? Number.MAX_SAFE_INTEGER,
    severityRank(f.severity),
    f.category,
    f.title,
    f.quote,
    f.why,
    f.fix,
    f.endLine,
    f.confidence,
    f.verification,
    f.fileChanged,
    critic,
  ]);
  return { critic, finding, key, words: wordsOf(f.title) };
}

function wordsOf(title: string): Set<string> {
  return new Set((title.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? []).filter((w) => w.length >= 3));
}

function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let shared = 0;
  for (const w of a) if (b.has(w)) shared++;
  return shared / (a.size + b.size - shared);
}

function sameFinding(a: Report, b: Report, nearLines: number): boolean {
  const x = a.finding;
  const y = b.finding;
  if (x.file !== y.file) return false;
  if (x.line !== null && y.line !== null) {
    // Lines between the two ranges (0 or less when they overlap).
    const gap = Math.max(x.line, y.line) - Math.min(x.endLine ?? x.line, y.endLine ?? y.line);
    if (gap > nearLines) return false;
  }
  if (jaccard(a.words, b.words) >= SAME_TITLE) return true;
  if (x.quote !== null && y.quote !== null && normalise(x.quote) === normalise(y.quote)) return true;
  return x.file !== null && x.line !== null && x.line === y.line && sameCategory(x.category, y.category);
}

function sameCategory(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/** The group's best-checked, most severe, most confident report, with everyone who reported it. */
function combine(group: Report[], critics: readonly string[], reporting: number, ids: Set<string>): Finding {
  const best = [...group].sort(
    (a, b) =>
      VERIFICATION_RANK[a.finding.verification] - VERIFICATION_RANK[b.finding.verification] ||
      severityRank(a.finding.severity) - severityRank(b.finding.severity) ||
      (b.finding.confidence ?? -1) - (a.finding.confidence ?? -1) ||
      compare(a.key, b.key),
  )[0]!.finding;
  const who = new Set(group.map((r) => r.critic));
  const detectedBy = [
    ...critics.filter((c) => who.has(c)),
    ...[...who].filter((c) => !critics.includes(c)).sort(),
  ];
  return {
    ...best,
    id: uniqueId(best, ids),
    fileChanged: group.some((r) => r.finding.fileChanged),
    detectedBy,
    // A group holds at least one report, so at least one critic answered: reporting >= 1.
    agreement: Math.min(1, detectedBy.length / reporting),
  };
}

function uniqueId(f: CheckedFinding, ids: Set<string>): string {
  const bucket = f.line === null ? null : Math.floor(f.line / ID_LINE_BUCKET);
  const base = sha256Hex(
    JSON.stringify([f.file, bucket, f.category.trim().toLowerCase(), normalise(f.title.toLowerCase())]),
  ).slice(0, ID_CHARS);
  let id = base;
  for (let n = 2; ids.has(id); n++) id = `${base}-${n}`;
  ids.add(id);
  return id;
}

/** Severity, agreement (desc), file, line, title, then id: a total order. */
function byOrder(a: Finding, b: Finding): number {
  return (
    severityRank(a.severity) - severityRank(b.severity) ||
    b.agreement - a.agreement ||
    compareNullable(a.file, b.file) ||
    (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER) ||
    compare(a.title, b.title) ||
    compare(a.id, b.id)
  );
}

function compareNullable(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return compare(a, b);
}

/** Code-unit order: the same on every machine and locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
