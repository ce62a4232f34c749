/** Result text in fixed-size chunks, so a store can read one page's worth of a long critique instead of all of it. */

import { BrutalistError } from '../errors/index.js';
import type { StoredResult, StoredResultPart } from './types.js';
import { clampWindow } from './validate.js';

/** UTF-16 code units per stored chunk (one less when the cut would fall inside a surrogate pair). */
export const RESULT_CHUNK_CHARS = 32_768;

export interface TextChunk {
  /** Where the chunk starts in the whole text, in UTF-16 code units. */
  readonly start: number;
  readonly text: string;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/**
 * Cuts `text` into chunks of at most `size` code units, never between the halves of a surrogate pair: a store
 * that keeps text as UTF-8 (SQLite) would turn a split half into U+FFFD.
 */
export function splitChunks(text: string, size: number = RESULT_CHUNK_CHARS): TextChunk[] {
  const chunks: TextChunk[] = [];
  for (let start = 0; start < text.length; ) {
    let end = Math.min(start + size, text.length);
    if (
      end < text.length &&
      end - 1 > start && // a one-unit chunk keeps a split pair rather than make no progress (size 1 only)
      isHighSurrogate(text.charCodeAt(end - 1)) &&
      isLowSurrogate(text.charCodeAt(end))
    ) {
      end -= 1;
    }
    chunks.push({ start, text: text.slice(start, end) });
    start = end;
  }
  return chunks;
}

/**
 * Code units [from, to) of the whole text, given the consecutive chunks that cover that range (others are skipped).
 * `from` and `to` must already be clamped to the text; a missing chunk gives a shorter string (callers check).
 */
export function joinWindow(chunks: readonly TextChunk[], from: number, to: number): string {
  // Slices of each chunk, concatenated: V8 keeps these as views until the page is serialized, so a window
  // allocates no copy of its chunks here (fewer young-generation collections per page).
  let out = '';
  for (const chunk of chunks) {
    const end = chunk.start + chunk.text.length;
    if (end <= from || chunk.start >= to) continue;
    out += chunk.text.slice(Math.max(0, from - chunk.start), Math.min(chunk.text.length, to - chunk.start));
  }
  return out;
}

/**
 * A result entry as the SQLite and Redis stores keep it: the metadata and `totalChars`, with the text stored
 * apart (chunk rows, a text key). Entries written before chunking (schema version 2) kept `text` here instead.
 */
export type StoredResultHead = Omit<StoredResult, 'text'> & {
  readonly totalChars?: number;
  readonly text?: string;
};

/** Splits a result into the head to store and its text. @throws BrutalistError INVALID_ARGUMENT without a text. */
export function splitResult(result: StoredResult): {
  readonly head: StoredResultHead;
  readonly text: string;
} {
  const { text, ...rest } = result;
  if (typeof text !== 'string') throw new BrutalistError('INVALID_ARGUMENT', 'A result needs a text string.');
  return { head: { ...rest, totalChars: text.length }, text };
}

/** The part of a whole stored result in [from, to), clamped to its text. */
export function partOf(result: StoredResult, from: number, to: number): StoredResultPart {
  const { text, ...rest } = result;
  const window = clampWindow(text.length, from, to);
  return { ...rest, totalChars: text.length, from: window.from, text: text.slice(window.from, window.to) };
}

/**
 * The whole result from its head, reading the text apart with `readText` (undefined when it is gone). Text that
 * is missing or not `totalChars` long (a lost chunk or key) reads as no result, never as a shorter critique.
 */
export function wholeResult(
  head: StoredResultHead,
  readText: (totalChars: number) => string | undefined,
): StoredResult | null {
  const { text, totalChars, ...rest } = head;
  if (typeof text === 'string') return { ...rest, text }; // stored whole by an earlier version
  if (typeof totalChars !== 'number') return null;
  const whole = readText(totalChars);
  return whole !== undefined && whole.length === totalChars ? { ...rest, text: whole } : null;
}

/**
 * Part [from, to) of a result from its head, reading code units [from, to) of the text (clamped) with
 * `readWindow`. A window that does not come back whole reads as no result, never as a short page.
 */
export function resultPart(
  head: StoredResultHead,
  from: number,
  to: number,
  readWindow: (from: number, to: number, totalChars: number) => string | undefined,
): StoredResultPart | null {
  const { text, totalChars, ...rest } = head;
  if (typeof text === 'string') return partOf({ ...rest, text }, from, to); // stored whole by an earlier version
  if (typeof totalChars !== 'number') return null;
  const w = clampWindow(totalChars, from, to);
  const part = readWindow(w.from, w.to, totalChars);
  return part !== undefined && part.length === w.to - w.from
    ? { ...rest, totalChars, from: w.from, text: part }
    : null;
}
