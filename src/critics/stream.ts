/** Incremental parsing of a critic's stdout: JSON lines in, only the answer (plus usage and progress facts) kept. */
import { type JsonObject, parseObject } from './jsonl.js';
import type { ParsedOutput } from './types.js';

/** What one adapter does with the JSON objects of its stream; it keeps only what the final result needs. */
export interface EventParser {
  take(event: JsonObject): void;
  /** UTF-8 bytes of answer text kept right now (the figure `maxOutputBytes` bounds). */
  answerBytes(): number;
  /** Sees every raw chunk before its lines (gemini keeps the start of a non-JSONL `-o json` document). */
  raw?(chunk: Buffer): void;
  /** The result; throws CLI_OUTPUT_INVALID when nothing recognisable arrived. */
  finish(): ParsedOutput;
}

export interface StreamLimits {
  /** Answer bytes kept; past it push() says the parser is full (config maxOutputBytes). */
  readonly maxAnswerBytes: number;
  /** A longer line is skipped, never buffered whole. Default: lineBoundFor(maxAnswerBytes). */
  readonly maxLineBytes?: number;
}

/** The stdout sink of one run: push(chunk) → still room?; finish() → what was parsed. */
export interface OutputParser {
  push(chunk: Buffer): boolean;
  finish(): ParsedOutput;
}

/** Headroom for framing around an answer on one line (ids, usage, the JSON envelope). */
const LINE_FRAMING_BYTES = 1024 * 1024;

/**
 * The longest line kept: twice the answer cap (JSON escaping of newlines and quotes) plus 1 MiB of framing, so a
 * whole answer of maxOutputBytes in one `assistant` or `result` line still parses.
 */
export function lineBoundFor(maxAnswerBytes: number): number {
  return 2 * maxAnswerBytes + LINE_FRAMING_BYTES;
}

const NEWLINE = 0x0a;

/**
 * Splits bytes into lines without decoding a line before it is complete (so a multi-byte character cut between
 * chunks decodes whole) and hands each JSON-object line to `events`. Non-JSON lines are skipped.
 */
export function streamParser(events: EventParser, limits: StreamLimits): OutputParser {
  const maxLine = limits.maxLineBytes ?? lineBoundFor(limits.maxAnswerBytes);
  let parts: Buffer[] = [];
  let lineBytes = 0;
  let skipping = false;

  const endLine = (): void => {
    if (!skipping && lineBytes > 0) {
      const line = parts.length === 1 ? parts[0]! : Buffer.concat(parts, lineBytes);
      const obj = parseObject(line.toString('utf8'));
      if (obj) events.take(obj);
    }
    parts = [];
    lineBytes = 0;
    skipping = false;
  };
  const addSegment = (segment: Buffer): void => {
    if (skipping || segment.length === 0) return;
    if (lineBytes + segment.length > maxLine) {
      parts = [];
      lineBytes = 0;
      skipping = true;
      return;
    }
    parts.push(segment);
    lineBytes += segment.length;
  };

  return {
    push(chunk: Buffer): boolean {
      events.raw?.(chunk);
      let start = 0;
      for (let nl = chunk.indexOf(NEWLINE); nl >= 0; nl = chunk.indexOf(NEWLINE, start)) {
        addSegment(chunk.subarray(start, nl));
        endLine();
        start = nl + 1;
      }
      // The line continues in the next chunk: keep a copy, not a view that pins the whole chunk.
      if (start < chunk.length) addSegment(Buffer.from(chunk.subarray(start)));
      return events.answerBytes() <= limits.maxAnswerBytes;
    },
    finish(): ParsedOutput {
      endLine(); // a cut last line simply fails to parse
      const parsed = events.finish();
      // Lines already read when the cap was passed were taken whole: cut the answer back to the cap.
      if (events.answerBytes() <= limits.maxAnswerBytes) return parsed;
      return { ...parsed, text: cutToBytes(parsed.text, limits.maxAnswerBytes) };
    },
  };
}

/** The longest prefix of `text` that fits in `maxBytes` of UTF-8, never splitting a character. */
export function cutToBytes(text: string, maxBytes: number): string {
  if (text.length <= maxBytes / 3 || Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const { read } = new TextEncoder().encodeInto(text, new Uint8Array(maxBytes));
  return text.slice(0, read);
}

/** The whole-output form: the same parser fed one string (recorded outputs, tests, one-shot tools). */
export function parseAll(open: (limits: StreamLimits) => OutputParser, stdout: string): ParsedOutput {
  const parser = open({ maxAnswerBytes: Number.POSITIVE_INFINITY, maxLineBytes: Number.POSITIVE_INFINITY });
  parser.push(Buffer.from(stdout, 'utf8'));
  return parser.finish();
}
