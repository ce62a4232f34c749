/** Decoding of JSON string content (escapes and all) from raw bytes to UTF-8 bytes, in place, in pieces. */
import { ByteText, SCRATCH_BYTES } from './byte-text.js';

const BACKSLASH = 0x5c;
const LOWER_U = 0x75;
/** The byte an escape `\x` stands for, by x; 0 where x is not a JSON escape. */
const SIMPLE_ESCAPES = new Uint8Array(128);
for (const [c, b] of [
  ['"', 0x22],
  ['\\', 0x5c],
  ['/', 0x2f],
  ['b', 0x08],
  ['f', 0x0c],
  ['n', 0x0a],
  ['r', 0x0d],
  ['t', 0x09],
] as const)
  SIMPLE_ESCAPES[c.charCodeAt(0)] = b;

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x57 : -1;
}

/** The code unit of the four hex digits at `at`, or -1. */
function hex4(bytes: Buffer, at: number): number {
  let value = 0;
  for (let k = 0; k < 4; k++) {
    const d = hexDigit(bytes[at + k] ?? 0);
    if (d < 0) return -1;
    value = (value << 4) | d;
  }
  return value;
}

/** Writes `cp` as UTF-8 at `at`; returns the byte count. */
function writeCodePoint(bytes: Buffer, at: number, cp: number): number {
  if (cp < 0x80) {
    bytes[at] = cp;
    return 1;
  }
  if (cp < 0x800) {
    bytes[at] = 0xc0 | (cp >> 6);
    bytes[at + 1] = 0x80 | (cp & 0x3f);
    return 2;
  }
  if (cp < 0x10000) {
    bytes[at] = 0xe0 | (cp >> 12);
    bytes[at + 1] = 0x80 | ((cp >> 6) & 0x3f);
    bytes[at + 2] = 0x80 | (cp & 0x3f);
    return 3;
  }
  bytes[at] = 0xf0 | (cp >> 18);
  bytes[at + 1] = 0x80 | ((cp >> 12) & 0x3f);
  bytes[at + 2] = 0x80 | ((cp >> 6) & 0x3f);
  bytes[at + 3] = 0x80 | (cp & 0x3f);
  return 4;
}

function utf8Length(cp: number): number {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

const isHigh = (u: number) => u >= 0xd800 && u <= 0xdbff;
const isLow = (u: number) => u >= 0xdc00 && u <= 0xdfff;
const REPLACEMENT = 0xfffd;

interface Step {
  /** Input consumed up to here; [read, end) is an escape still waiting for its next bytes. */
  read: number;
  /** Output written up to here (never past `read`). */
  written: number;
  /** An escape JSON does not allow. */
  invalid: boolean;
  /** Output reached `limit`: the rest is dropped. */
  full: boolean;
}

/**
 * Decodes JSON string content `bytes[read, end)` into UTF-8 at `written` (≤ read: output never outgrows its escapes,
 * so the same buffer holds both). Unless `final`, an escape cut short at `end` is left for the next call. A lone
 * surrogate escape becomes U+FFFD (as a UTF-8 encoder writes it). Output stops at `limit`, between characters.
 */
export function decodeInPlace(
  bytes: Buffer,
  read: number,
  end: number,
  written: number,
  limit: number,
  final: boolean,
): Step {
  const step: Step = { read, written, invalid: false, full: false };
  while (step.read < end) {
    let bs = bytes.indexOf(BACKSLASH, step.read);
    if (bs < 0 || bs > end) bs = end;
    if (!plainRun(bytes, step, bs, limit)) return step;
    if (step.read === end) break;
    const taken = escapeAt(bytes, step.read, end, final);
    if (taken === undefined) break; // wait for more input
    if (taken.cp < 0) {
      step.invalid = true;
      return step;
    }
    const size = utf8Length(taken.cp);
    if (step.written + size > limit) {
      step.full = true;
      return step;
    }
    step.written += writeCodePoint(bytes, step.written, taken.cp);
    step.read += taken.length;
  }
  if (final && step.read < end) step.invalid = true;
  return step;
}

/** Moves the unescaped bytes [read, to) down to `written`; false when the limit cut them (step.full). */
function plainRun(bytes: Buffer, step: Step, to: number, limit: number): boolean {
  let stop = to;
  const full = step.written + (to - step.read) > limit;
  if (full) {
    stop = step.read + (limit - step.written);
    // A continuation byte at the cut belongs to a character that started before it.
    while (stop > step.read && ((bytes[stop] ?? 0) & 0xc0) === 0x80) stop--;
  }
  if (step.written !== step.read) bytes.copyWithin(step.written, step.read, stop);
  step.written += stop - step.read;
  step.read = stop;
  step.full = full;
  return !full;
}

/** The escape at `at`: its code point (-1: invalid) and length; undefined when its bytes are not all here yet. */
function escapeAt(
  bytes: Buffer,
  at: number,
  end: number,
  final: boolean,
): { cp: number; length: number } | undefined {
  const wait = final ? { cp: -1, length: 0 } : undefined;
  if (at + 1 >= end) return wait;
  const c = bytes[at + 1] ?? 0;
  if (c !== LOWER_U) {
    const simple = c < 128 ? (SIMPLE_ESCAPES[c] ?? 0) : 0;
    return { cp: simple === 0 ? -1 : simple, length: 2 };
  }
  if (at + 6 > end) return wait;
  const unit = hex4(bytes, at + 2);
  if (unit < 0) return { cp: -1, length: 6 };
  if (isLow(unit)) return { cp: REPLACEMENT, length: 6 };
  if (!isHigh(unit)) return { cp: unit, length: 6 };
  // A high surrogate: a pair when a low-surrogate escape follows at once.
  const lone = { cp: REPLACEMENT, length: 6 };
  if (at + 6 < end && bytes[at + 6] !== BACKSLASH) return lone;
  if (at + 7 < end && bytes[at + 7] !== LOWER_U) return lone;
  if (at + 12 > end) return final ? lone : undefined;
  const low = hex4(bytes, at + 8);
  if (!isLow(low)) return lone;
  return { cp: 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00), length: 12 };
}

/**
 * One JSON string's content arriving in pieces, decoded as it comes into a ByteText of at most `maxBytes`; the raw
 * input waiting in the buffer is at most one piece plus an unfinished escape.
 */
export class StringDecodeSink {
  readonly text: ByteText;
  /** Undecoded input sits at [read, end) of the text's buffer, right after the decoded text. */
  private read = 0;
  private end = 0;
  private bad = false;

  constructor(maxBytes: number) {
    this.text = new ByteText(maxBytes);
  }

  /** Whether the content held an escape JSON does not allow (the line then is not JSON). */
  get invalid(): boolean {
    return this.bad;
  }

  /** Takes raw content bytes `src[start, end)`; what passes maxBytes is dropped. */
  add(src: Buffer, start: number, end: number): void {
    let from = start;
    while (from < end && !this.text.cut && !this.bad) {
      const space = this.text.maxBytes + SCRATCH_BYTES - this.end;
      const take = Math.min(end - from, space);
      const buf = this.text.room(this.end + take);
      src.copy(buf, this.end, from, from + take);
      this.end += take;
      from += take;
      this.decode(false);
    }
  }

  /** Empty again for the next string; the buffer stays (see JsonLineScanner's reuse). */
  reset(): void {
    this.text.truncate(0);
    this.read = 0;
    this.end = 0;
    this.bad = false;
  }

  /** The string ended: decodes what is left (an unfinished escape now is invalid) and returns the text. */
  finish(): ByteText {
    if (!this.text.cut && !this.bad) this.decode(true);
    return this.text;
  }

  private decode(final: boolean): void {
    const buf = this.text.room(this.end);
    const step = decodeInPlace(buf, this.read, this.end, this.text.length, this.text.maxBytes, final);
    if (step.invalid) this.bad = true;
    const waiting = this.end - step.read;
    if (waiting > 0 && step.read !== step.written) buf.copyWithin(step.written, step.read, this.end);
    this.read = step.written;
    this.end = step.written + waiting;
    this.text.setLength(step.written, step.full);
  }
}
