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
  /**
   * `text` as consecutive flat strings, when a store built it from pieces (each under V8's large-object size).
   * Paging then reads and slices these, and the page stays a concatenation of slices: reading one character of
   * a concatenated `text` would copy all of it into one new large string first (a copy JSON serialization makes
   * again anyway).
   */
  readonly pieces?: readonly string[];
}

/** The window pageOfWindow needs for the page at `offset`: one unit each side, to see pairs and the page end. */
export function pageWindow(offset: number, limit: number): { from: number; to: number } {
  return { from: Math.max(0, offset - 1), to: offset + limit + 1 };
}

/** Code units of a window by absolute index, read from its pieces (or its text) without flattening it. */
class WindowReader {
  private readonly pieces: readonly string[];
  private readonly starts: number[] = [];

  constructor(w: TextWindow) {
    this.pieces = w.pieces ?? [w.text];
    let start = w.from;
    for (const piece of this.pieces) {
      this.starts.push(start);
      start += piece.length;
    }
  }

  /** The code unit at absolute index `i` (NaN outside the window, which pageWindow makes wide enough). */
  codeAt(i: number): number {
    for (let p = this.pieces.length - 1; p >= 0; p--) {
      const start = this.starts[p]!;
      if (i >= start) return this.pieces[p]!.charCodeAt(i - start);
    }
    return Number.NaN;
  }

  /** Absolute index of the last newline in [stop, end), or -1. */
  lastNewline(stop: number, end: number): number {
    for (let p = this.pieces.length - 1; p >= 0; p--) {
      const start = this.starts[p]!;
      if (start >= end) continue;
      const found = this.pieces[p]!.lastIndexOf('\n', end - 1 - start);
      if (found >= 0) return start + found >= stop ? start + found : -1;
      if (start <= stop) return -1;
    }
    return -1;
  }

  /** Absolute [a, b) as a concatenation of slices of the pieces. */
  slice(a: number, b: number): string {
    let out = '';
    for (let p = 0; p < this.pieces.length; p++) {
      const piece = this.pieces[p]!;
      const start = this.starts[p]!;
      if (start + piece.length <= a || start >= b) continue;
      out += piece.slice(Math.max(0, a - start), Math.min(piece.length, b - start));
    }
    return out;
  }
}

/** True when index `i` falls between the two halves of a surrogate pair. */
function splitsPair(r: WindowReader, i: number, totalChars: number): boolean {
  return i > 0 && i < totalChars && isHighSurrogate(r.codeAt(i - 1)) && isLowSurrogate(r.codeAt(i));
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
  const r = new WindowReader(w);
  const start = splitsPair(r, offset, totalChars) ? offset - 1 : offset;
  let end = Math.min(start + limit, totalChars);
  if (end < totalChars) {
    if (splitsPair(r, end, totalChars)) end -= 1;
    end = preferLineEnd(r, start, end, limit);
  }
  return {
    text: r.slice(start, end),
    offset: start,
    nextOffset: end < totalChars ? end : null,
    totalChars,
  };
}

/** Moves `end` to just after the last newline in the page's final tenth; breaking there never splits a pair. */
function preferLineEnd(r: WindowReader, start: number, end: number, limit: number): number {
  const window = Math.max(1, Math.floor(limit * NEWLINE_WINDOW_FRACTION));
  const newline = r.lastNewline(Math.max(start, end - window), end);
  return newline >= 0 ? newline + 1 : end;
}

/** A rough token count for a length in characters (about four characters per token for English and code). */
export function estimateTokens(chars: number): number {
  return Math.ceil(Math.max(0, chars) / 4);
}
