/** Paging of stored result text by UTF-16 characters, never splitting a surrogate pair and preferring line ends. */
import { BrutalistError } from '../errors/index.js';

export interface Page {
  readonly text: string;
  /** Where this page starts; can be one less than asked when the asked offset fell inside a surrogate pair. */
  readonly offset: number;
  /** Where the next page starts, or null when this page reaches the end. */
  readonly nextOffset: number | null;
  readonly totalChars: number;
}

/** The smallest page: one surrogate pair must always fit, or a page could make no progress. */
export const MIN_PAGE_CHARS = 2;
/** A page ends after the last newline found in its final tenth, so markdown lines stay whole. */
export const NEWLINE_WINDOW_FRACTION = 0.1;

const NEWLINE = 0x0a;

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** Part of a text: code units [from, from + text.length) of a text totalChars long. */
export interface TextWindow {
  readonly text: string;
  readonly from: number;
  readonly totalChars: number;
}

/** The window pageOfWindow needs for the page at `offset`: one unit each side, to see pairs and the page end. */
export function pageWindow(offset: number, limit: number): { from: number; to: number } {
  return { from: Math.max(0, offset - 1), to: offset + limit + 1 };
}

/** The code unit at absolute index `i` (NaN outside the window, which pageWindow makes wide enough). */
function codeAt(w: TextWindow, i: number): number {
  return w.text.charCodeAt(i - w.from);
}

/** True when index `i` falls between the two halves of a surrogate pair. */
function splitsPair(w: TextWindow, i: number): boolean {
  return i > 0 && i < w.totalChars && isHighSurrogate(codeAt(w, i - 1)) && isLowSurrogate(codeAt(w, i));
}

/**
 * One page of `text` starting at `offset`, at most `limit` characters long. Walking from offset 0
 * through `nextOffset` until it is null returns every character exactly once, in order.
 * @throws BrutalistError INVALID_ARGUMENT when offset is not an integer in [0, text.length] or limit is
 *   not an integer >= 2.
 */
export function pageOf(text: string, offset: number, limit: number): Page {
  return pageOfWindow({ text, from: 0, totalChars: text.length }, offset, limit);
}

/**
 * pageOf over part of the text: the same page, given a window that covers `pageWindow(offset, limit)` (clamped
 * to the text), so a stored result is never read whole to serve one page.
 */
export function pageOfWindow(w: TextWindow, offset: number, limit: number): Page {
  const totalChars = w.totalChars;
  if (!Number.isInteger(limit) || limit < MIN_PAGE_CHARS) {
    throw new BrutalistError('INVALID_ARGUMENT', `The page limit must be an integer >= ${MIN_PAGE_CHARS}.`, {
      data: { limit },
    });
  }
  if (!Number.isInteger(offset) || offset < 0 || offset > totalChars) {
    throw new BrutalistError('INVALID_ARGUMENT', 'The offset is outside the result.', {
      data: { offset, totalChars },
    });
  }
  const start = splitsPair(w, offset) ? offset - 1 : offset;
  let end = Math.min(start + limit, totalChars);
  if (end < totalChars) {
    if (splitsPair(w, end)) end -= 1;
    end = preferLineEnd(w, start, end, limit);
  }
  return {
    text: w.text.slice(start - w.from, end - w.from),
    offset: start,
    nextOffset: end < totalChars ? end : null,
    totalChars,
  };
}

/** Moves `end` to just after the last newline in the page's final tenth; breaking there never splits a pair. */
function preferLineEnd(w: TextWindow, start: number, end: number, limit: number): number {
  const window = Math.max(1, Math.floor(limit * NEWLINE_WINDOW_FRACTION));
  const stop = Math.max(start, end - window);
  for (let i = end - 1; i >= stop; i--) {
    if (codeAt(w, i) === NEWLINE) return i + 1;
  }
  return end;
}

/** A rough token count for a length in characters (about four characters per token for English and code). */
export function estimateTokens(chars: number): number {
  return Math.ceil(Math.max(0, chars) / 4);
}
