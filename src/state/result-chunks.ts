/** Result text in fixed-size chunks, so a store can read one page's worth of a long critique instead of all of it. */

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
