/**
 * JSON lines from raw bytes without holding a long line as a string: a long string value (an answer) is decoded
 * aside into bytes as it arrives, and only the rest of the line (the framing) is parsed with JSON.parse.
 */
import { ByteText } from './byte-text.js';
import { StringDecodeSink } from './json-string.js';
import { type JsonObject, parseObject } from './jsonl.js';

/**
 * The string values of the line being handled: short ones as they are, long ones as decoded bytes. A ByteText
 * handed out is valid only during the handler call (the scanner reuses it): keep its bytes with ByteText.append().
 */
export interface LineValues {
  /** A string value as text: a short one as a string, a long one as its bytes (no copy on the JS heap). */
  text(value: unknown): string | ByteText | undefined;
  /** A string value as a string (a long one decoded: for fields that are not the answer, such as errors). */
  str(value: unknown): string | undefined;
}

export type LineHandler = (event: JsonObject, values: LineValues) => void;

export interface ScannerLimits {
  /** Raw bytes of one line, framing and strings; a longer line is skipped, never buffered whole. */
  readonly maxLineBytes: number;
  /** Decoded bytes kept of one long string; the rest is dropped (ByteText.cut). */
  readonly maxStringBytes: number;
  /** Strings with more raw bytes than this are decoded aside. Default LONG_STRING_BYTES. */
  readonly longStringBytes?: number;
}

/** Strings longer than this go aside as bytes: a text delta of a few tokens stays a plain string. */
export const LONG_STRING_BYTES = 16 * 1024;
/** Decoders kept for the next lines, each with a buffer up to this size: no new buffers per line of deltas. */
const SPARE_DECODERS = 4;
const SPARE_DECODER_BYTES = 1024 * 1024;

const NEWLINE = 0x0a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** A string set aside is replaced in the line by `"\u0000<index>"`; one that starts so itself is set aside too. */
const MARK = '\\u0000';
const MARK_BYTES = Buffer.from(MARK, 'latin1');
const MARK_CHAR = 0;

/** The next position of one byte in a chunk, searched once and reused until passed (each byte scanned once). */
class NextByte {
  private at = -1;
  constructor(private readonly byte: number) {}
  reset(): void {
    this.at = -1;
  }
  from(chunk: Buffer, i: number): number {
    if (this.at < i) {
      const found = chunk.indexOf(this.byte, i);
      this.at = found < 0 ? chunk.length : found;
    }
    return this.at;
  }
}

/** Splits bytes into JSON-object lines and hands each to `onLine`; lines that are not JSON objects are skipped. */
export class JsonLineScanner implements LineValues {
  private readonly line = new ByteText();
  private readonly quote = new NextByte(QUOTE);
  private readonly backslash = new NextByte(BACKSLASH);
  private readonly longString: number;
  /** Raw bytes of the current line so far. */
  private rawBytes = 0;
  private skipping = false;
  /** The line is long enough to hold a long string: its bytes go through the tokenizer. */
  private scanning = false;
  /** The buffer the byte finders' positions belong to. */
  private scanned: Buffer | undefined;
  private broken = false;
  private inString = false;
  /** Inside a string, the last chunk ended on a backslash: the next byte is escaped. */
  private escapeNext = false;
  /** Where the content of the current (not set aside) string starts in `line`. */
  private stringStart = 0;
  private aside: StringDecodeSink | undefined;
  private asides: StringDecodeSink[] = [];
  private readonly spare: StringDecodeSink[] = [];

  constructor(
    private readonly limits: ScannerLimits,
    private readonly onLine: LineHandler,
  ) {
    this.longString = limits.longStringBytes ?? LONG_STRING_BYTES;
  }

  push(chunk: Buffer): void {
    this.scanned = undefined; // the chunk may be a reused buffer: no position found before holds
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, start);
      const end = nl < 0 ? chunk.length : nl;
      if (nl >= 0 && this.line.length === 0 && !this.scanning && !this.skipping && this.short(end - start)) {
        // The common case: a whole short line in one chunk, parsed where it lies.
        this.parse(chunk.toString('utf8', start, end));
      } else {
        this.segment(chunk, start, end);
        if (nl >= 0) this.endLine();
      }
      if (nl < 0) return;
      start = nl + 1;
    }
  }

  /** The output ended: a last line without a newline is read too (a cut one simply fails to parse). */
  end(): void {
    this.endLine();
  }

  text(value: unknown): string | ByteText | undefined {
    if (typeof value !== 'string') return undefined;
    if (value.charCodeAt(0) !== MARK_CHAR) return value;
    return this.asides[Number(value.slice(1))]?.text ?? value;
  }

  str(value: unknown): string | undefined {
    const t = this.text(value);
    return t === undefined || typeof t === 'string' ? t : t.toString();
  }

  /** Whether a line of `bytes` can hold no long string (and is within the line bound). */
  private short(bytes: number): boolean {
    return bytes <= this.longString && bytes <= this.limits.maxLineBytes;
  }

  /** Bytes of the current line (no newline among them): held as they are while the line is short, else scanned. */
  private segment(chunk: Buffer, start: number, end: number): void {
    if (end <= start || this.skipping) return;
    if (!this.scanning) {
      if (this.short(this.rawBytes + (end - start))) {
        this.rawBytes += end - start;
        this.line.appendBytes(chunk, start, end);
        return;
      }
      // The line may hold a long string: what is held is read again by the scanner, which goes on from here.
      this.scanning = true;
      const held = Buffer.from(this.line.room(0).subarray(0, this.line.length));
      this.line.truncate(0);
      this.rawBytes = 0;
      this.scan(held, 0, held.length);
    }
    this.scan(chunk, start, end);
  }

  /** Tokenises `buf[from, end)` (part of one line): framing and short strings to the line, long strings aside. */
  private scan(buf: Buffer, from: number, end: number): void {
    if (buf !== this.scanned) {
      this.scanned = buf;
      this.quote.reset();
      this.backslash.reset();
    }
    let i = from;
    while (i < end && !this.skipping) {
      if (this.inString) {
        i = this.stringPart(buf, i, end);
        continue;
      }
      const q = this.quote.from(buf, i);
      const stop = Math.min(q, end);
      this.keep(buf, i, stop);
      i = stop;
      if (q < end) {
        this.keep(buf, q, q + 1);
        this.inString = true;
        this.stringStart = this.line.length;
        i = q + 1;
      }
    }
  }

  /** Inside a string from `from`: content up to its closing quote or `end`; returns where it stopped. */
  private stringPart(chunk: Buffer, from: number, end: number): number {
    let i = from;
    if (this.escapeNext) {
      if (i >= end) return i;
      this.content(chunk, i, i + 1);
      this.escapeNext = false;
      i += 1;
    }
    for (;;) {
      const q = this.quote.from(chunk, i);
      const b = this.backslash.from(chunk, i);
      const stop = Math.min(q, b, end);
      this.content(chunk, i, stop);
      if (stop === end) return end;
      if (stop === b) {
        // A backslash and the byte it escapes (perhaps a quote) are content; the byte may come with the next part.
        const pair = Math.min(b + 2, end);
        this.content(chunk, b, pair);
        if (pair < b + 2) {
          this.escapeNext = true;
          return pair;
        }
        i = pair;
        continue;
      }
      this.closeString();
      this.keep(chunk, q, q + 1);
      return q + 1;
    }
  }

  /** Framing bytes: kept in the line. */
  private keep(chunk: Buffer, start: number, end: number): void {
    if (end <= start || !this.count(end - start)) return;
    this.line.appendBytes(chunk, start, end);
  }

  /** String content bytes: kept in the line while short, decoded aside once long. */
  private content(chunk: Buffer, start: number, end: number): void {
    if (end <= start || !this.count(end - start)) return;
    if (this.aside) {
      this.aside.add(chunk, start, end);
      return;
    }
    this.line.appendBytes(chunk, start, end);
    if (this.line.length - this.stringStart > this.longString) this.setAside();
  }

  /** Counts raw line bytes; past maxLineBytes the line is dropped and the rest of it skipped. */
  private count(bytes: number): boolean {
    if (this.skipping) return false;
    this.rawBytes += bytes;
    if (this.rawBytes <= this.limits.maxLineBytes) return true;
    this.skipping = true;
    this.line.truncate(0);
    this.aside = undefined;
    this.release();
    return false;
  }

  /** The current string's content so far moves from the line to a decoder of its own. */
  private setAside(): void {
    const sink = this.spare.pop() ?? new StringDecodeSink(this.limits.maxStringBytes);
    this.asides.push(sink);
    const held = this.line.room(this.line.length);
    sink.add(held, this.stringStart, this.line.length);
    this.line.truncate(this.stringStart);
    this.aside = sink;
  }

  private closeString(): void {
    this.inString = false;
    if (!this.aside && this.startsWithMark()) this.setAside();
    const sink = this.aside;
    if (!sink) return;
    this.aside = undefined;
    sink.finish();
    if (sink.invalid) this.broken = true;
    this.line.appendString(`${MARK}${this.asides.indexOf(sink)}`);
  }

  /** A short string that itself starts like a mark: set aside too, so every marked value in a line is ours. */
  private startsWithMark(): boolean {
    const start = this.stringStart;
    if (this.line.length - start < MARK_BYTES.length) return false;
    return (
      this.line.room(0).compare(MARK_BYTES, 0, MARK_BYTES.length, start, start + MARK_BYTES.length) === 0
    );
  }

  private parse(line: string): void {
    const event = parseObject(line);
    if (event) this.onLine(event, this);
  }

  private endLine(): void {
    if (!this.skipping && !this.broken && !this.inString && this.line.length > 0)
      this.parse(this.line.toString());
    this.line.truncate(0);
    this.rawBytes = 0;
    this.skipping = false;
    this.broken = false;
    this.inString = false;
    this.escapeNext = false;
    this.scanning = false;
    this.aside = undefined;
    this.release();
  }

  /**
   * The line's decoders go back to the spares (a few small ones, and one large one: claude's `result` line then
   * decodes into the pages its `assistant` line used) or to the collector.
   */
  private release(): void {
    for (const sink of this.asides) {
      const large = sink.text.capacity > SPARE_DECODER_BYTES;
      if (
        this.spare.length >= SPARE_DECODERS ||
        (large && this.spare.some((s) => s.text.capacity > SPARE_DECODER_BYTES))
      )
        continue;
      sink.reset();
      // pop() hands out the small ones first: a 64 KiB delta does not take the large buffer.
      if (large) this.spare.unshift(sink);
      else this.spare.push(sink);
    }
    this.asides = [];
  }
}
