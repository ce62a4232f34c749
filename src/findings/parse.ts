/**
 * Tolerant parsing of a critic's findings block: finds the fenced `brutalist-findings` JSON at the end of a
 * critique, keeps the entries that validate (after forgiving the usual near-misses), counts the rest, and returns
 * the prose with the block cut out (the findings table replaces it).
 */
import { type RawFinding, rawFindingSchema } from './types.js';

/** The fence info string critics are asked to use (src/domains/prompt.ts asks for it; a test pins both). */
export const FINDINGS_FENCE = 'brutalist-findings';

/** A critic's block: the entries kept and how many were dropped as malformed or over the bound. */
export interface ParsedBlock {
  readonly entries: readonly RawFinding[];
  readonly dropped: number;
}

export interface ParsedAnswer {
  /** The critique without its findings block(s). */
  readonly prose: string;
  /** null: the answer had no findings block (prose only). */
  readonly block: ParsedBlock | null;
}

// An opening fence line with our info string, then everything up to a closing fence of at least as many
// backticks (or the end: a critique cut by the output cap loses its closing fence).
const BLOCK = new RegExp(
  `(^|\\n)[ \\t]*(\`{3,}|~{3,})[ \\t]*${FINDINGS_FENCE}[^\\n]*\\n([\\s\\S]*?)(?:\\n[ \\t]*\\2[\`~]*[ \\t]*(?=\\n|$)|$)`,
  'g',
);

const STRING_MAX: Readonly<Record<string, number>> = {
  category: 80,
  title: 300,
  quote: 2000,
  why: 4000,
  fix: 4000,
};

/** Splits `text` into prose and its findings block; keeps at most `maxEntries` valid entries. */
export function parseFindings(text: string, maxEntries: number): ParsedAnswer {
  const matches = [...text.matchAll(BLOCK)];
  const last = matches.at(-1);
  if (!last) return { prose: text, block: null };
  let prose = '';
  let from = 0;
  for (const m of matches) {
    prose += text.slice(from, m.index + (m[1]?.length ?? 0));
    from = m.index + m[0].length;
  }
  prose = `${prose}${text.slice(from)}`.trimEnd();
  return { prose: prose.length > 0 ? `${prose}\n` : '', block: parseBlock(last[3] ?? '', maxEntries) };
}

function parseBlock(body: string, maxEntries: number): ParsedBlock {
  let value: unknown;
  try {
    value = JSON.parse(body.trim() === '' ? '[]' : body);
  } catch {
    return { entries: [], dropped: 1 }; // the whole block is one malformed entry
  }
  const list = Array.isArray(value)
    ? value
    : isRecord(value) && Array.isArray(value.findings)
      ? value.findings
      : isRecord(value)
        ? [value]
        : null;
  if (list === null) return { entries: [], dropped: 1 };
  const entries: RawFinding[] = [];
  let dropped = 0;
  for (const item of list) {
    const parsed = rawFindingSchema.safeParse(normalise(item));
    if (parsed.success && entries.length < maxEntries) entries.push(parsed.data);
    else dropped++;
  }
  return { entries, dropped };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Forgives what models commonly get slightly wrong; anything else is left for the schema to refuse. */
function normalise(item: unknown): unknown {
  if (!isRecord(item)) return item;
  const out: Record<string, unknown> = { ...item };
  for (const [key, max] of Object.entries(STRING_MAX)) {
    const v = out[key];
    if (typeof v === 'string') out[key] = v.trim() === '' && key !== 'quote' ? v : v.slice(0, max);
  }
  if (typeof out.severity === 'string') {
    const s = out.severity.trim().toLowerCase();
    out.severity = s === 'informational' ? 'info' : s;
  }
  if (out.quote === '' || (typeof out.quote === 'string' && out.quote.trim() === '')) out.quote = null;
  if (out.fix === '') out.fix = null;
  lineFields(out);
  if (typeof out.confidence === 'string') out.confidence = Number.parseFloat(out.confidence);
  // 80 meaning 80 %: a percentage, not a ratio.
  if (typeof out.confidence === 'number' && out.confidence > 1 && out.confidence <= 100) out.confidence /= 100;
  if (out.category === undefined && typeof out.title === 'string') out.category = 'general';
  return out;
}

const FILE_WITH_LINE = /^(.+?):(\d+)(?:-(\d+))?$/;
const RANGE = /^\s*(\d+)\s*(?:[-–]\s*(\d+))?\s*$/;

/** `file: "a.ts:12-14"`, `line: "12"`, `line: "12-14"` and `line: [12, 14]` become file, line and endLine. */
function lineFields(out: Record<string, unknown>): void {
  if (typeof out.file === 'string') {
    const file = out.file.trim();
    const m = FILE_WITH_LINE.exec(file);
    if (m && out.line == null) {
      out.file = m[1];
      out.line = Number(m[2]);
      if (m[3] !== undefined && out.endLine == null) out.endLine = Number(m[3]);
    } else out.file = file === '' ? null : file;
  }
  if (Array.isArray(out.line) && out.line.length > 0) {
    out.endLine ??= out.line[1];
    out.line = out.line[0];
  }
  if (typeof out.line === 'string') {
    const m = RANGE.exec(out.line);
    if (m) {
      out.line = Number(m[1]);
      if (m[2] !== undefined && out.endLine == null) out.endLine = Number(m[2]);
    }
  }
  if (typeof out.endLine === 'string' && RANGE.test(out.endLine)) out.endLine = Number.parseInt(out.endLine, 10);
  if (out.line === 0) out.line = null;
  if (typeof out.line === 'number' && typeof out.endLine === 'number' && out.endLine < out.line) out.endLine = null;
}

