/** Bounded collectors for child output: a capped stdout chunk list and a stderr tail ring. */

/** Keeps the first `maxBytes` of a stream as chunks (one concat at the end) and counts everything seen. */
export class CappedCollector {
  private chunks: Buffer[] = [];
  private kept = 0;
  private seen = 0;

  constructor(private readonly maxBytes: number) {}

  /** Records a chunk; returns the part that was kept (possibly empty). */
  push(chunk: Buffer): Buffer {
    this.seen += chunk.length;
    const room = Math.max(0, this.maxBytes - this.kept);
    if (room === 0) return EMPTY;
    const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
    this.chunks.push(part);
    this.kept += part.length;
    return part;
  }

  /** Total bytes seen, kept or not. */
  get totalBytes(): number {
    return this.seen;
  }

  /** Whether more bytes arrived than the cap allows. */
  get overflowed(): boolean {
    return this.seen > this.maxBytes;
  }

  /** The kept bytes as one Buffer; the chunk list is replaced by it, so the bytes are never held twice. */
  toBuffer(): Buffer {
    if (this.chunks.length === 1) return this.chunks[0]!;
    const all = Buffer.concat(this.chunks, this.kept);
    this.chunks = [all];
    return all;
  }
}

/** Keeps only the last `maxBytes` of a stream; old chunks are dropped or trimmed as new ones arrive. */
export class TailCollector {
  private chunks: Buffer[] = [];
  private kept = 0;
  private trimmed = false;

  constructor(private readonly maxBytes: number) {}

  push(chunk: Buffer): void {
    if (this.maxBytes <= 0 || chunk.length === 0) return;
    if (chunk.length >= this.maxBytes) {
      this.trimmed ||= this.kept > 0 || chunk.length > this.maxBytes;
      this.chunks = [chunk.subarray(chunk.length - this.maxBytes)];
      this.kept = this.maxBytes;
      return;
    }
    this.chunks.push(chunk);
    this.kept += chunk.length;
    // Drop whole chunks from the front, then trim the first one; total work stays linear in bytes read.
    while (this.kept > this.maxBytes) {
      this.trimmed = true;
      const first = this.chunks[0]!;
      const excess = this.kept - this.maxBytes;
      if (first.length <= excess) {
        this.chunks.shift();
        this.kept -= first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.kept -= excess;
      }
    }
  }

  /** The tail as UTF-8; a character cut by the trim is dropped, other invalid bytes become U+FFFD. */
  toString(): string {
    const bytes = Buffer.concat(this.chunks, this.kept);
    let start = 0;
    // Skip continuation bytes (10xxxxxx) left over from a multi-byte character cut at the front.
    while (this.trimmed && start < 3 && start < bytes.length && ((bytes[start] ?? 0) & 0xc0) === 0x80)
      start++;
    return bytes.subarray(start).toString('utf8');
  }
}

const EMPTY = Buffer.alloc(0);
