/** stdio framing in front of the SDK: lines over the message limit are dropped and reported, never fatal. */

/** What is known about a line that was dropped for its size: enough to answer it. */
export interface OversizedLine {
  /** Bytes of the line (without its newline). */
  readonly bytes: number;
  /** The request id, when it could be read from the line's start or end; undefined for notifications or when unknown. */
  readonly id: string | number | undefined;
  /** The method, when it could be read from the line's start. */
  readonly method: string | undefined;
}

// Enough of each end to find `"method"` / `"id"` keys however the client orders its top-level keys.
const EDGE_BYTES = 4_096;
const NEWLINE = 0x0a;

const ID_VALUE = String.raw`(-?\d{1,16}|"(?:[^"\\]|\\.){0,256}")`;
const SCALAR = String.raw`(?:"(?:[^"\\]|\\.){0,256}"|-?\d{1,16})`;
// Only scalar keys may come before it, so what matches is a key of the top-level object.
const HEAD_ID = new RegExp(
  String.raw`^\s*\{(?:\s*"(?:jsonrpc|method)"\s*:\s*${SCALAR}\s*,)*\s*"id"\s*:\s*${ID_VALUE}`,
);
const HEAD_METHOD = new RegExp(
  String.raw`^\s*\{(?:\s*"(?:jsonrpc|id)"\s*:\s*${SCALAR}\s*,)*\s*"method"\s*:\s*"([^"\\]{1,128})"`,
);
// The id as the last key (or before a last `"jsonrpc":"2.0"`), then the top-level object closes and the line ends:
// a nested `"id"` would be followed by more closing braces, so it never matches.
const TAIL_ID = new RegExp(
  String.raw`[,{]\s*"id"\s*:\s*${ID_VALUE}\s*(?:,\s*"jsonrpc"\s*:\s*"2\.0"\s*)?\}\s*\r?$`,
);

function parseId(raw: string | undefined): string | number | undefined {
  if (raw === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(raw);
    return typeof value === 'string' || (typeof value === 'number' && Number.isSafeInteger(value))
      ? value
      : undefined;
  } catch {
    return undefined;
  }
}

/** Reads id and method from the kept ends of a dropped line. */
export function describeOversized(head: string, tail: string, bytes: number): OversizedLine {
  const method = HEAD_METHOD.exec(head)?.[1];
  const id = parseId(HEAD_ID.exec(head)?.[1] ?? TAIL_ID.exec(tail)?.[1]);
  return { bytes, id, method };
}

/**
 * Splits a byte stream into newline-terminated lines of at most `maxLineBytes` and hands each complete line
 * back whole (one buffer, so the SDK's reader never re-concatenates a long message chunk by chunk). A longer
 * line is not buffered: only its first and last EDGE_BYTES are kept, the rest is counted and dropped, and
 * `onOversized` hears about it once its newline arrives. Memory stays under maxLineBytes + 2 * EDGE_BYTES.
 */
export class LineGuard {
  private chunks: Buffer[] = [];
  private length = 0;
  private dropping = false;
  private head: Buffer = Buffer.alloc(0);
  private tail: Buffer = Buffer.alloc(0);

  constructor(
    private readonly maxLineBytes: number,
    private readonly onOversized: (line: OversizedLine) => void,
  ) {}

  /** Feeds a chunk; returns the complete lines it finished (each with its newline). */
  push(chunk: Buffer): Buffer[] {
    const lines: Buffer[] = [];
    let from = 0;
    while (from < chunk.length) {
      const nl = chunk.indexOf(NEWLINE, from);
      const end = nl < 0 ? chunk.length : nl;
      this.take(chunk.subarray(from, end));
      if (nl < 0) break;
      const line = this.finish();
      if (line) lines.push(line);
      from = nl + 1;
    }
    return lines;
  }

  private take(piece: Buffer): void {
    if (piece.length === 0) return;
    if (!this.dropping && this.length + piece.length > this.maxLineBytes) {
      const held = Buffer.concat(this.chunks);
      this.head = Buffer.concat([held, piece]).subarray(0, EDGE_BYTES);
      this.tail = Buffer.alloc(0);
      this.chunks = [];
      this.dropping = true;
    }
    this.length += piece.length;
    if (!this.dropping) {
      this.chunks.push(piece);
      return;
    }
    const recent =
      piece.length >= EDGE_BYTES
        ? piece.subarray(piece.length - EDGE_BYTES)
        : Buffer.concat([this.tail, piece]);
    this.tail = Buffer.from(recent.subarray(Math.max(0, recent.length - EDGE_BYTES)));
  }

  private finish(): Buffer | undefined {
    const dropped = this.dropping;
    const bytes = this.length;
    const line = dropped ? undefined : Buffer.concat([...this.chunks, Buffer.from('\n')]);
    if (dropped)
      this.onOversized(describeOversized(this.head.toString('utf8'), this.tail.toString('utf8'), bytes));
    this.chunks = [];
    this.length = 0;
    this.dropping = false;
    this.head = Buffer.alloc(0);
    this.tail = Buffer.alloc(0);
    return line;
  }
}
