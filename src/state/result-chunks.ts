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

/** Where one chunk of a text lies, in UTF-16 code units: [start, end). */
export interface ChunkBounds {
  readonly start: number;
  readonly end: number;
}

/**
 * The bounds of `text`'s chunks of at most `size` code units, never between the halves of a surrogate pair, so each
 * chunk is valid text on its own (schema version 3 kept chunks as UTF-8, where a split half became U+FFFD).
 */
export function chunkBounds(text: string, size: number = RESULT_CHUNK_CHARS): ChunkBounds[] {
  const bounds: ChunkBounds[] = [];
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
    bounds.push({ start, end });
    start = end;
  }
  return bounds;
}

/** Cuts `text` into chunks as chunkBounds bounds them, each sliced out. */
export function splitChunks(text: string, size: number = RESULT_CHUNK_CHARS): TextChunk[] {
  return chunkBounds(text, size).map(({ start, end }) => ({ start, text: text.slice(start, end) }));
}

/** Bytes per code unit of a stored chunk: 1 when every unit is Latin-1 (<= 0xFF), else 2 (UTF-16LE). */
export type ChunkWidth = 1 | 2;

/** Any code unit above Latin-1 (no `u` flag: surrogate halves are matched as the units they are). */
const ABOVE_LATIN1 = /[\u0100-\uffff]/;

/**
 * A chunk's bytes as SQLite keeps them: fixed width per code unit, so a window is a byte range (cut by SQL) and
 * decoding it is a copy, not a UTF-8 decode. Latin-1 keeps ASCII critiques at one byte per character.
 */
export function encodeChunk(text: string): { readonly width: ChunkWidth; readonly bytes: Buffer } {
  const width: ChunkWidth = ABOVE_LATIN1.test(text) ? 2 : 1;
  return { width, bytes: Buffer.from(text, width === 1 ? 'latin1' : 'utf16le') };
}

/** A result chunk as SQLite stores it: where it starts, and its bytes at one or two per code unit. */
export interface EncodedChunk {
  readonly start: number;
  readonly width: ChunkWidth;
  readonly bytes: Buffer;
}

/** The text in chunks (splitChunks), each encoded (encodeChunk). */
export function encodeChunks(text: string): EncodedChunk[] {
  return [...planChunks(text).encode()];
}

/** A chunk's bounds and width, before its bytes exist. */
export interface PlannedChunk extends ChunkBounds {
  readonly width: ChunkWidth;
}

/**
 * How a text will be stored, with no chunk encoded yet: the chunks' bounds and widths, their bytes in all, and
 * `encode()`, which makes each chunk's bytes only when asked for it. A store that writes each chunk before asking
 * for the next holds one chunk's bytes at a time instead of the whole text's a second time.
 */
export interface ChunkPlan {
  readonly chunks: readonly PlannedChunk[];
  /** Bytes of every chunk: code units times width. */
  readonly bytes: number;
  /**
   * Each chunk's bytes, made when asked for. With `reuse`, every chunk is written into one buffer of
   * MAX_CHUNK_BYTES and its bytes hold only until the next is asked for: for a writer that copies them at once
   * (SQLite binds a blob by copying it), so a long text leaves no trail of chunk buffers for the collector.
   */
  encode(reuse?: boolean): Generator<EncodedChunk>;
}

/** The most bytes one chunk takes: RESULT_CHUNK_CHARS code units at two bytes each. */
export const MAX_CHUNK_BYTES = 2 * RESULT_CHUNK_CHARS;

/** Plans `text`'s chunks (chunkBounds, encodeChunk's widths) in one pass over it, slicing nothing. */
export function planChunks(text: string, size: number = RESULT_CHUNK_CHARS): ChunkPlan {
  // Where the next unit above Latin-1 is at or after a chunk's start: one regex scan of the text in all.
  const wide = /[\u0100-\uffff]/g;
  let nextWide = -1;
  let bytes = 0;
  const chunks = chunkBounds(text, size).map(({ start, end }): PlannedChunk => {
    if (nextWide < start && nextWide !== Number.POSITIVE_INFINITY) {
      wide.lastIndex = start;
      nextWide = wide.exec(text)?.index ?? Number.POSITIVE_INFINITY;
    }
    const width: ChunkWidth = nextWide < end ? 2 : 1;
    bytes += (end - start) * width;
    return { start, end, width };
  });
  return {
    chunks,
    bytes,
    *encode(reuse = false) {
      const scratch = reuse ? Buffer.allocUnsafeSlow(2 * size) : undefined;
      for (const { start, end, width } of chunks) {
        const encoding = width === 1 ? 'latin1' : 'utf16le';
        const piece = text.slice(start, end);
        const bytes = scratch
          ? scratch.subarray(0, scratch.write(piece, 0, encoding))
          : Buffer.from(piece, encoding);
        yield { start, width, bytes };
      }
    },
  };
}

/**
 * A stored chunk as a read returns it: with a width, its bytes for the units it holds inside the window (cut by
 * SQL); without one (written by schema version 3), its whole text, cut here.
 */
export interface StoredPiece {
  /** Where the chunk starts in the whole text, in UTF-16 code units. */
  readonly start: number;
  readonly width: number | null;
  readonly part: Buffer | string;
}

function decodeBytes(bytes: Buffer, width: number | null): string | undefined {
  if (width === 1) return bytes.toString('latin1');
  return width === 2 ? bytes.toString('utf16le') : undefined;
}

/**
 * Code units [from, to) of the whole text from the pieces that cover it, in order (see StoredPiece), as one string
 * per piece: each at most a chunk (64 KiB as UTF-16), so none is a V8 large object, and the caller can page them
 * without joining them (TextWindow.pieces). A damaged piece gives undefined; a missing one a shorter total, which
 * callers check.
 */
export function decodePieces(pieces: readonly StoredPiece[], from: number, to: number): string[] | undefined {
  const out: string[] = [];
  for (const { start, width, part } of pieces) {
    const text =
      typeof part === 'string'
        ? width === null // written by version 3: the whole chunk as UTF-8 text
          ? part.slice(Math.max(0, from - start), Math.max(0, to - start))
          : undefined
        : decodeBytes(part, width);
    if (text === undefined) return undefined;
    out.push(text);
  }
  return out;
}

/** UTF-16LE bytes (a Redis text window) as strings of at most RESULT_CHUNK_CHARS code units (see decodePieces). */
export function utf16Pieces(bytes: Buffer): string[] {
  const out: string[] = [];
  const step = 2 * RESULT_CHUNK_CHARS;
  for (let at = 0; at < bytes.length; at += step) {
    out.push(bytes.toString('utf16le', at, Math.min(bytes.length, at + step)));
  }
  return out;
}

/** The pieces as one string: a concatenation V8 keeps unflattened until something reads it. */
export function joinPieces(pieces: readonly string[]): string {
  let out = '';
  for (const piece of pieces) out += piece;
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
 * `readWindow`, in pieces. A window that does not come back whole reads as no result, never as a short page.
 */
export function resultPart(
  head: StoredResultHead,
  from: number,
  to: number,
  readWindow: (from: number, to: number, totalChars: number) => readonly string[] | undefined,
): StoredResultPart | null {
  const { text, totalChars, ...rest } = head;
  if (typeof text === 'string') return partOf({ ...rest, text }, from, to); // stored whole by an earlier version
  if (typeof totalChars !== 'number') return null;
  const w = clampWindow(totalChars, from, to);
  const pieces = readWindow(w.from, w.to, totalChars);
  if (pieces === undefined) return null;
  const part = joinPieces(pieces);
  return part.length === w.to - w.from ? { ...rest, totalChars, from: w.from, text: part, pieces } : null;
}
