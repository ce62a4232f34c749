/** Incremental parsing of a critic's stdout: JSON lines in, only the answer (plus usage and progress facts) kept. */
import type { JsonObject } from './jsonl.js';
import { JsonLineScanner, type LineValues } from './line-scanner.js';
import type { ParsedOutput } from './types.js';

/** What one adapter does with the JSON objects of its stream; it keeps only what the final result needs. */
export interface EventParser {
  /** One JSON-object line; `values` reads its string values (long ones arrive as bytes, not strings). */
  take(event: JsonObject, values: LineValues): void;
  /**
   * UTF-8 bytes of answer text kept right now (the figure `maxOutputBytes` bounds); more than maxAnswerBytes when
   * answer text was dropped at the bound.
   */
  answerBytes(): number;
  /** Sees every raw chunk before its lines (gemini keeps the start of a non-JSONL `-o json` document). */
  raw?(chunk: Buffer): void;
  /** The result, its text decoded once; throws CLI_OUTPUT_INVALID when nothing recognisable arrived. */
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
  /** Answer bytes seen so far (a budget's running estimate reads it after every chunk). */
  answerBytes(): number;
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

/**
 * Splits bytes into JSON-object lines and hands each to `events` (non-JSON lines are skipped). A long string value
 * is decoded into bytes as it arrives and never becomes a string here, so a line of answer costs its answer bytes.
 */
export function streamParser(events: EventParser, limits: StreamLimits): OutputParser {
  const scanner = new JsonLineScanner(
    {
      maxLineBytes: limits.maxLineBytes ?? lineBoundFor(limits.maxAnswerBytes),
      // A longer string cannot be kept whole as an answer anyway.
      maxStringBytes: limits.maxAnswerBytes,
    },
    (event, values) => events.take(event, values),
  );
  return {
    push(chunk: Buffer): boolean {
      events.raw?.(chunk);
      scanner.push(chunk);
      return events.answerBytes() <= limits.maxAnswerBytes;
    },
    answerBytes: () => events.answerBytes(),
    finish(): ParsedOutput {
      scanner.end(); // a cut last line simply fails to parse
      return events.finish();
    },
  };
}

/** The whole-output form: the same parser fed one string (recorded outputs, tests, one-shot tools). */
export function parseAll(open: (limits: StreamLimits) => OutputParser, stdout: string): ParsedOutput {
  const parser = open({ maxAnswerBytes: Number.POSITIVE_INFINITY, maxLineBytes: Number.POSITIVE_INFINITY });
  parser.push(Buffer.from(stdout, 'utf8'));
  return parser.finish();
}
