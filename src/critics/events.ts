/** Incremental parsing of a critic's stdout into progress events: bytes produced, tools used. Never the text itself. */

import type { CriticName } from '../config/index.js';
import type { StreamEvent } from '../streaming/index.js';
import { ADAPTERS } from './adapters.js';
import { type JsonObject, obj } from './jsonl.js';
import type { ProgressReader } from './types.js';

/** Lines longer than this are not parsed for events (they still count as output); the final parse sees them all. */
export const MAX_EVENT_LINE_BYTES = 1024 * 1024;

const NEWLINE = 0x0a;
/** A line held in parts up to this size is searched as one copy; a longer one part by part. */
const SMALL_LINE_BYTES = 4096;

/** Whether `hint` occurs in the line made of `parts` (found across a seam too), without copying a long line. */
function holds(parts: readonly Buffer[], bytes: number, hint: Buffer): boolean {
  if (parts.length === 1) return parts[0]!.includes(hint);
  if (bytes <= SMALL_LINE_BYTES || parts.some((p) => p.length < hint.length)) {
    return Buffer.concat(parts, bytes).includes(hint);
  }
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part.includes(hint)) return true;
    const next = parts[i + 1];
    if (!next) break;
    const seam = Buffer.concat([
      part.subarray(part.length - hint.length + 1),
      next.subarray(0, hint.length - 1),
    ]);
    if (seam.includes(hint)) return true;
  }
  return false;
}

/**
 * Feed stdout chunks as they arrive; get the events they complete. Works on bytes: a line is decoded only when it
 * names a tool. Holds at most one partial line of at most MAX_EVENT_LINE_BYTES, as views of the chunks it came in.
 */
export class CriticEventParser {
  private parts: Buffer[] = [];
  private pendingBytes = 0;
  private skipping = false;
  private readonly progress: ProgressReader;
  /**
   * Only lines containing the adapter's hint can hold a tool event; the rest (the bulk: text deltas) are counted as
   * bytes without being decoded or parsed. Undefined: the critic reports no tools (only output bytes are counted).
   */
  private readonly hint: Buffer | undefined;

  /**
   * `vendor`'s output is read; events name `critic` (a routed critic's id for claude's output; default the vendor).
   */
  constructor(
    vendor: CriticName,
    private readonly maxLineBytes = MAX_EVENT_LINE_BYTES,
    private readonly critic: string = vendor,
  ) {
    this.progress = ADAPTERS[vendor].progress;
    this.hint = this.progress.toolHint === undefined ? undefined : Buffer.from(this.progress.toolHint);
  }

  push(chunk: Buffer): StreamEvent[] {
    const events: StreamEvent[] = [{ kind: 'output', critic: this.critic, bytes: chunk.length }];
    const hint = this.hint;
    if (hint === undefined) return events;
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE); nl >= 0; nl = chunk.indexOf(NEWLINE, start)) {
      const line = this.take(chunk.subarray(start, nl), hint);
      start = nl + 1;
      const parsed = line && parseLine(line.toString('utf8'));
      if (parsed) events.push(...this.progress.extract(this.critic, parsed));
    }
    this.hold(chunk.subarray(start));
    return events;
  }

  /** The complete line ending with `tail` when it names a tool; undefined when it does not or was too long. */
  private take(tail: Buffer, hint: Buffer): Buffer | undefined {
    const skipped = this.skipping || this.pendingBytes + tail.length > this.maxLineBytes;
    let line: Buffer | undefined;
    if (!skipped) {
      this.parts.push(tail);
      const bytes = this.pendingBytes + tail.length;
      if (holds(this.parts, bytes, hint))
        line = this.parts.length === 1 ? tail : Buffer.concat(this.parts, bytes);
    }
    this.parts = [];
    this.pendingBytes = 0;
    this.skipping = false;
    return line;
  }

  private hold(rest: Buffer): void {
    if (this.skipping || rest.length === 0) return;
    if (this.pendingBytes + rest.length > this.maxLineBytes) {
      this.parts = [];
      this.pendingBytes = 0;
      this.skipping = true;
      return;
    }
    this.parts.push(rest);
    this.pendingBytes += rest.length;
  }
}

function parseLine(line: string): JsonObject | undefined {
  if (!line.trimStart().startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return obj(value);
  } catch {
    return undefined;
  }
}
