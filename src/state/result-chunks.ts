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
 * Code units [from, to) of the whole text, given the consecutive chunks that cover that range (the first may start
 * before `from`). `from` and `to` must already be clamped to the text.
 */
export function joinWindow(chunks: readonly TextChunk[], from: number, to: number): string {
  const first = chunks[0];
  if (first === undefined || to <= from) return '';
  let joined = '';
  for (const chunk of chunks) joined += chunk.text;
  return joined.slice(from - first.start, to - first.start);
}
