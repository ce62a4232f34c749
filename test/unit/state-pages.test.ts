/** pageOf: character paging that reassembles exactly, never splits surrogate pairs, and prefers line ends. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBrutalistError } from '../../src/errors/index.js';
import {
  decodePieces,
  encodeChunk,
  estimateTokens,
  type Page,
  pageOf,
  pageOfWindow,
  pageWindow,
  planChunks,
  RESULT_CHUNK_CHARS,
  type StoredPiece,
  splitChunks,
  type TextChunk,
  utf16Pieces,
} from '../../src/state/index.js';

function walk(text: string, limit: number): Page[] {
  const pages: Page[] = [];
  let offset: number | null = 0;
  // Every page makes progress, so more than length + 1 pages would mean a loop.
  while (offset !== null && pages.length <= text.length + 1) {
    const page = pageOf(text, offset, limit);
    pages.push(page);
    offset = page.nextOffset;
  }
  return pages;
}

function errorOf(fn: () => unknown): { code: string; data: unknown } {
  try {
    fn();
  } catch (err) {
    if (isBrutalistError(err)) return { code: err.code, data: err.data };
    throw err;
  }
  throw new Error('expected a throw');
}

const HIGH = 0xd800;
const LOW = 0xdc00;
const isHigh = (c: number) => c >= HIGH && c < LOW;
const isLow = (c: number) => c >= LOW && c <= 0xdfff;

/** Text built from pieces that stress the edges: pairs, lone halves, newlines, combining marks. */
const trickyText = fc
  .array(fc.constantFrom('a', 'é', '\n', '😀', '👍🏽', '\uD800', '\uDC00', 'e\u0301', '中', '\r\n'), {
    maxLength: 300,
  })
  .map((parts) => parts.join(''));
const anyText = fc.oneof(
  trickyText,
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ maxLength: 300 }),
);

describe('pageOf walking from offset 0', () => {
  it('reassembles the exact original text for any string and any limit >= 2', () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 2, max: 64 }), (text, limit) => {
        const pages = walk(text, limit);
        expect(pages.at(-1)?.nextOffset).toBeNull();
        expect(pages.map((p) => p.text).join('')).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it('never returns a page longer than the limit, or an empty page before the end', () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 2, max: 64 }), (text, limit) => {
        for (const page of walk(text, limit)) {
          expect(page.text.length).toBeLessThanOrEqual(limit);
          if (page.nextOffset !== null) expect(page.text.length).toBeGreaterThan(0);
          expect(page.totalChars).toBe(text.length);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never ends a page between the two halves of a surrogate pair', () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 2, max: 64 }), (text, limit) => {
        for (const page of walk(text, limit)) {
          const end = page.nextOffset;
          if (end === null) continue;
          expect(isHigh(text.charCodeAt(end - 1)) && isLow(text.charCodeAt(end))).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('pageOf boundaries', () => {
  it('moves the end back one rather than split an emoji', () => {
    const page = pageOf('ab😀cd', 0, 3);
    expect(page).toEqual({ text: 'ab', offset: 0, nextOffset: 2, totalChars: 6 });
    expect(pageOf('ab😀cd', 2, 3).text).toBe('😀c');
  });

  it('moves an offset that points inside a surrogate pair back to the pair start', () => {
    expect(pageOf('a😀b', 2, 10)).toEqual({ text: '😀b', offset: 1, nextOffset: null, totalChars: 4 });
  });

  it('ends the page after the last newline in its final tenth', () => {
    const text = `${'a'.repeat(95)}\n${'b'.repeat(50)}`;
    const page = pageOf(text, 0, 100);
    expect(page.text).toBe(`${'a'.repeat(95)}\n`);
    expect(page.nextOffset).toBe(96);
  });

  it('cuts at the limit when the only newline is before the final tenth', () => {
    const text = `${'a'.repeat(50)}\n${'b'.repeat(100)}`;
    expect(pageOf(text, 0, 100).nextOffset).toBe(100);
  });

  it('ignores newlines on the last page, which is never shortened', () => {
    expect(pageOf('abc\nd', 0, 100)).toEqual({ text: 'abc\nd', offset: 0, nextOffset: null, totalChars: 5 });
  });

  it('returns an empty last page for empty text and for an offset at the end', () => {
    expect(pageOf('', 0, 10)).toEqual({ text: '', offset: 0, nextOffset: null, totalChars: 0 });
    expect(pageOf('abc', 3, 10)).toEqual({ text: '', offset: 3, nextOffset: null, totalChars: 3 });
  });

  it('rejects an offset beyond the end with INVALID_ARGUMENT carrying offset and totalChars', () => {
    expect(errorOf(() => pageOf('abc', 4, 10))).toEqual({
      code: 'INVALID_ARGUMENT',
      data: { offset: 4, totalChars: 3 },
    });
  });

  it('rejects a negative or fractional offset and a limit below 2', () => {
    expect(errorOf(() => pageOf('abc', -1, 10)).code).toBe('INVALID_ARGUMENT');
    expect(errorOf(() => pageOf('abc', 0.5, 10)).code).toBe('INVALID_ARGUMENT');
    expect(errorOf(() => pageOf('abc', 0, 1)).code).toBe('INVALID_ARGUMENT');
    expect(errorOf(() => pageOf('abc', 0, Number.NaN)).code).toBe('INVALID_ARGUMENT');
  });

  it('pages a 1 MB result at the default 90,000-character size in 12 pages', () => {
    const line = `${'word '.repeat(15)}🔥\n`;
    const text = line.repeat(Math.ceil(1_000_000 / line.length));
    const pages = walk(text, 90_000);
    expect(pages.map((p) => p.text).join('')).toBe(text);
    expect(pages.length).toBe(12);
    for (const p of pages.slice(0, -1)) expect(p.text.endsWith('\n')).toBe(true);
  });
});

describe('estimateTokens', () => {
  it('counts about four characters per token, rounding up', () => {
    expect(estimateTokens(0)).toBe(0);
    expect(estimateTokens(1)).toBe(1);
    expect(estimateTokens(90_000)).toBe(22_500);
    expect(estimateTokens(90_001)).toBe(22_501);
  });
});

describe('pageOfWindow over the window a store reads', () => {
  it('gives the same page as pageOf over the whole text, for any offset and limit', () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 2, max: 64 }), fc.nat(), (text, limit, at) => {
        const offset = at % (text.length + 1);
        const { from, to } = pageWindow(offset, limit);
        const start = Math.min(from, text.length);
        const window = {
          text: text.slice(start, Math.min(to, text.length)),
          from: start,
          totalChars: text.length,
        };
        expect(pageOfWindow(window, offset, limit)).toEqual(pageOf(text, offset, limit));
      }),
      { numRuns: 500 },
    );
  });

  it('gives the same page from a window in pieces, cut anywhere (inside a pair, empty pieces too)', () => {
    fc.assert(
      fc.property(
        anyText,
        fc.integer({ min: 2, max: 64 }),
        fc.nat(),
        fc.array(fc.nat(), { maxLength: 6 }),
        (text, limit, at, cuts) => {
          const offset = at % (text.length + 1);
          const { from, to } = pageWindow(offset, limit);
          const start = Math.min(from, text.length);
          const part = text.slice(start, Math.min(to, text.length));
          const bounds = [0, ...cuts.map((c) => c % (part.length + 1)).sort((x, y) => x - y), part.length];
          const pieces = bounds.slice(1).map((end, i) => part.slice(bounds[i], end));
          const window = { text: pieces.join(''), pieces, from: start, totalChars: text.length };
          expect(pageOfWindow(window, offset, limit)).toEqual(pageOf(text, offset, limit));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('cuts chunks that never split a pair and rejoin to any window exactly', () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 2, max: 16 }), fc.nat(), fc.nat(), (text, size, a, b) => {
        const chunks = splitChunks(text, size);
        expect(chunks.map((c) => c.text).join('')).toBe(text);
        for (const c of chunks) {
          expect(c.text.length).toBeLessThanOrEqual(size);
          const at = c.start + c.text.length;
          expect(at < text.length && isHigh(text.charCodeAt(at - 1)) && isLow(text.charCodeAt(at))).toBe(
            false,
          );
        }
        const from = a % (text.length + 1);
        const to = from + (b % (text.length - from + 1));
        const overlapping = chunks.filter((c) => c.start < to && c.start + c.text.length > from);
        // As SQLite returns them: bytes cut to the window (schema 4), or whole UTF-8 chunks (schema 3).
        expect(
          decodeWindow(
            overlapping.map((c) => encodedPiece(c, from, to)),
            from,
            to,
          ),
        ).toBe(text.slice(from, to));
        expect(
          decodeWindow(
            overlapping.map((c) => ({ start: c.start, width: null, part: c.text })),
            from,
            to,
          ),
        ).toBe(text.slice(from, to));
      }),
      { numRuns: 500 },
    );
  });

  it('stores a Latin-1 chunk at one byte per unit and any other at two, lone surrogates included', () => {
    expect(encodeChunk('plain ASCII and café')).toEqual({
      width: 1,
      bytes: Buffer.from('plain ASCII and café', 'latin1'),
    });
    for (const text of ['an em dash — here', '🔥', '\ud83d alone', 'Ā']) {
      const { width, bytes } = encodeChunk(text);
      expect(width).toBe(2);
      expect(bytes.toString('utf16le')).toBe(text);
    }
  });

  it('plans the chunks splitChunks cuts, with encodeChunk widths, and encodes each only when asked', () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 2, max: 16 }), (text, size) => {
        const expected = splitChunks(text, size).map((c) => ({ start: c.start, ...encodeChunk(c.text) }));
        const plan = planChunks(text, size);
        expect(plan.chunks.map(({ start, width }) => ({ start, width }))).toEqual(
          expected.map(({ start, width }) => ({ start, width })),
        );
        expect(plan.bytes).toBe(expected.reduce((n, c) => n + c.bytes.length, 0));
        expect([...plan.encode()]).toEqual(expected);
      }),
      { numRuns: 500 },
    );
    const encoding = planChunks('abc🔥def', 3).encode();
    expect(encoding.next().value).toEqual({ start: 0, width: 1, bytes: Buffer.from('abc', 'latin1') });
    expect(encoding.next().value).toEqual({ start: 3, width: 2, bytes: Buffer.from('🔥d', 'utf16le') });
  });

  it('joins a window over chunks of both widths, and reports a damaged piece as no text', () => {
    const chunks = splitChunks('abc🔥def', 3); // 'abc' (Latin-1), '🔥d' (UTF-16), 'ef' (Latin-1)
    expect(chunks.map((c) => encodeChunk(c.text).width)).toEqual([1, 2, 1]);
    expect(
      decodeWindow(
        chunks.map((c) => encodedPiece(c, 1, 7)),
        1,
        7,
      ),
    ).toBe('bc🔥de');
    expect(decodeWindow([{ start: 0, width: 2, part: 'text where bytes belong' }], 0, 4)).toBeUndefined();
    expect(decodeWindow([{ start: 0, width: 3, part: Buffer.from('abc') }], 0, 3)).toBeUndefined();
    expect(decodeWindow([], 0, 0)).toBe('');
    expect(utf16Pieces(Buffer.from('🔥'.repeat(RESULT_CHUNK_CHARS), 'utf16le')).map((p) => p.length)).toEqual(
      [RESULT_CHUNK_CHARS, RESULT_CHUNK_CHARS],
    );
  });
});

/** The window's text from stored pieces, joined (undefined for a damaged piece). */
function decodeWindow(pieces: readonly StoredPiece[], from: number, to: number): string | undefined {
  return decodePieces(pieces, from, to)?.join('');
}

/** A chunk as the schema 4 window query returns it: its bytes for the units inside [from, to). */
function encodedPiece(chunk: TextChunk, from: number, to: number): StoredPiece {
  const { width, bytes } = encodeChunk(chunk.text);
  const a = Math.max(0, from - chunk.start);
  const b = Math.min(chunk.text.length, to - chunk.start);
  return { start: chunk.start, width, part: bytes.subarray(width * a, width * Math.max(a, b)) };
}
