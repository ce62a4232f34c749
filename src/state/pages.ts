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

/** True when index `i` falls between the two halves of a surrogate pair. */
function splitsPair(text: string, i: number): boolean {
  return (
    i > 0 && i < text.length && isHighSurrogate(text.charCodeAt(i - 1)) && isLowSurrogate(text.charCodeAt(i))
  );
}

/**
 * One page of `text` starting at `offset`, at most `limit` characters long. Walking from offset 0
 * through `nextOffset` until it is null returns every character exactly once, in order.
 * @throws BrutalistError INVALID_ARGUMENT when offset is not an integer in [0, text.length] or limit is
 *   not an integer >= 2.
 */
export function pageOf(text: string, offset: number, limit: number): Page {
  const totalChars = text.length;
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
  const start = splitsPair(text, offset) ? offset - 1 : offset;
  let end = Math.min(start + limit, totalChars);
  if (end < totalChars) {
    if (splitsPair(text, end)) end -= 1;
    end = preferLineEnd(text, start, end, limit);
  }
  return {
    text: text.slice(start, end),
    offset: start,
    nextOffset: end < totalChars ? end : null,
    totalChars,
  };
}

/** Moves `end` to just after the last newline in the page's final tenth; breaking there never splits a pair. */
function preferLineEnd(text: string, start: number, end: number, limit: number): number {
  const window = Math.max(1, Math.floor(limit * NEWLINE_WINDOW_FRACTION));
  const stop = Math.max(start, end - window);
  for (let i = end - 1; i >= stop; i--) {
    if (text.charCodeAt(i) === NEWLINE) return i + 1;
  }
  return end;
}

/** A rough token count for a length in characters (about four characters per token for English and code). */
export function estimateTokens(chars: number): number {
  return Math.ceil(Math.max(0, chars) / 4);
}
