/** Answer text kept as UTF-8 bytes outside the JS heap, bounded, cut only between characters, decoded once. */

/** Capacity of the first buffer; it doubles from here. */
const FIRST_CAPACITY = 16 * 1024;
/**
 * Past this, a bounded text reserves its whole bound at once: the pages are only resident once written, and the
 * text never leaves a chain of outgrown buffers (4 MiB, 2 MiB, ...) behind for the garbage collector.
 */
const RESERVE_WHOLE_AT = 1024 * 1024;
/** Room past maxBytes for a writer's unfinished input (an escape sequence cut between chunks). */
export const SCRATCH_BYTES = 16;
const EMPTY = Buffer.alloc(0);

/** Bytes up to `at` that end on a character boundary: a cut never keeps part of a multi-byte character. */
function boundaryBefore(bytes: Buffer, start: number, at: number): number {
  let end = at;
  // A continuation byte (10xxxxxx) at the cut belongs to a character that started before it.
  while (end > start && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return end;
}

/**
 * A growing UTF-8 text of at most `maxBytes` bytes. What does not fit is dropped at the last whole character and
 * `cut` says so. `toString()` is the one decode to a JS string; until then nothing of the text is on the JS heap.
 */
export class ByteText {
  private buf: Buffer = EMPTY;
  private len = 0;
  private dropped = false;

  constructor(readonly maxBytes: number = Number.POSITIVE_INFINITY) {}

  /** Bytes kept. */
  get length(): number {
    return this.len;
  }

  /** Bytes the buffer holds without growing. */
  get capacity(): number {
    return this.buf.length;
  }

  /** Whether bytes were dropped at maxBytes. */
  get cut(): boolean {
    return this.dropped;
  }

  /** Bytes kept, or maxBytes + 1 once some were dropped: above maxBytes exactly when the text passed its bound. */
  get seenBytes(): number {
    return this.dropped ? this.maxBytes + 1 : this.len;
  }

  appendString(text: string): void {
    if (text.length === 0 || this.dropped) return;
    const room = this.maxBytes - this.len;
    // UTF-8 is at most 3 bytes per UTF-16 code unit: when that fits, one write, no byte count first.
    if (text.length * 3 <= room) {
      this.ensure(this.len + text.length * 3);
      this.len += this.buf.write(text, this.len, 'utf8');
      return;
    }
    const need = Math.min(text.length * 3, room);
    this.ensure(this.len + need);
    // write() never writes part of a character: a text that does not fit stops at its last whole character.
    const written = this.buf.write(text, this.len, need, 'utf8');
    this.len += written;
    if (written < Buffer.byteLength(text, 'utf8')) this.drop();
  }

  /** Appends UTF-8 bytes `bytes[start, end)`; past maxBytes they are cut at a character boundary. */
  appendBytes(bytes: Buffer, start = 0, end = bytes.length): void {
    if (end <= start || this.dropped) return;
    let stop = end;
    const full = this.len + (end - start) > this.maxBytes;
    if (full) stop = boundaryBefore(bytes, start, start + (this.maxBytes - this.len));
    if (stop > start) {
      this.ensure(this.len + (stop - start));
      bytes.copy(this.buf, this.len, start, stop);
      this.len += stop - start;
    }
    if (full) this.drop();
  }

  /**
   * Appends another text. Its bytes are copied into this buffer when they fit (pages already in use); when this
   * text is empty and too small, the two buffers are swapped instead: no copy, no new buffer.
   */
  append(other: ByteText | string): void {
    if (typeof other === 'string') {
      this.appendString(other);
      return;
    }
    const swap = this.len === 0 && !this.dropped && other.maxBytes <= this.maxBytes;
    if (swap && this.buf.length < other.len) {
      this.swap(other);
      return;
    }
    this.appendBytes(other.buf, 0, other.len);
    if (other.dropped) this.drop();
  }

  /** Keeps the first `length` bytes (a length past the end changes nothing); the buffer stays for reuse. */
  truncate(length: number): void {
    if (length < this.len) this.len = Math.max(0, length);
    this.dropped = false;
  }

  /** Drops everything and lets the buffer go. */
  clear(): void {
    this.buf = EMPTY;
    this.len = 0;
    this.dropped = false;
  }

  /** The text, decoded; invalid UTF-8 becomes U+FFFD. */
  toString(): string {
    return this.buf.toString('utf8', 0, this.len);
  }

  /** The text, decoded, and the buffer let go at once: the bytes and their string are not both kept longer. */
  drain(): string {
    const text = this.toString();
    this.buf = EMPTY;
    this.len = 0;
    return text;
  }

  /**
   * The buffer with room for `size` bytes in all, for a writer that fills it directly (the JSON string decoder);
   * `size` may pass maxBytes by SCRATCH_BYTES (input a writer has not decoded yet).
   */
  room(size: number): Buffer {
    this.ensure(size);
    return this.buf;
  }

  /** After writing through room(): the new length, and whether bytes past maxBytes were dropped. */
  setLength(length: number, dropped = false): void {
    this.len = length;
    if (dropped) this.drop();
  }

  /**
   * Bytes were dropped: the text ends on a whole character, even when the character was begun by an earlier
   * append (a writer that appends pieces of a character, such as the JSON string decoder).
   */
  private drop(): void {
    this.dropped = true;
    let lead = this.len - 1;
    while (lead > this.len - 4 && lead >= 0 && ((this.buf[lead] ?? 0) & 0xc0) === 0x80) lead--;
    if (lead < 0) return;
    const b = this.buf[lead] ?? 0;
    const size = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    if (this.len - lead < size) this.len = lead;
  }

  private swap(other: ByteText): void {
    const { buf, len, dropped } = this;
    this.buf = other.buf;
    this.len = other.len;
    this.dropped = other.dropped;
    other.buf = buf;
    other.len = len;
    other.dropped = dropped;
  }

  private ensure(size: number): void {
    if (size <= this.buf.length) return;
    const bound = this.maxBytes + SCRATCH_BYTES;
    let capacity = Math.max(size, this.buf.length * 2, FIRST_CAPACITY);
    if (Number.isFinite(bound) && size <= bound && (capacity > RESERVE_WHOLE_AT || capacity > bound))
      capacity = bound;
    const next = Buffer.allocUnsafeSlow(capacity);
    // The whole old buffer: a writer may hold input it has not decoded yet past `len` (see room()).
    this.buf.copy(next);
    this.buf = next;
  }
}
