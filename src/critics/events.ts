/** Incremental parsing of a critic's stdout into progress events: bytes produced, tools used. Never the text itself. */

import { StringDecoder } from 'node:string_decoder';
import type { CriticName } from '../config/index.js';
import type { StreamEvent } from '../streaming/index.js';
import { ADAPTERS } from './adapters.js';
import { type JsonObject, obj } from './jsonl.js';
import type { ProgressReader } from './types.js';

/** Lines longer than this are not parsed for events (they still count as output); the final parse sees them all. */
export const MAX_EVENT_LINE_BYTES = 1024 * 1024;

/**
 * Feed stdout chunks as they arrive; get the events they complete. Holds at most one partial line of at most
 * MAX_EVENT_LINE_BYTES, and scans each byte once (no re-scanning of a long pending line).
 */
export class CriticEventParser {
  private readonly decoder = new StringDecoder('utf8');
  private pending: string[] = [];
  private pendingLength = 0;
  private skipping = false;
  private readonly progress: ProgressReader;

  constructor(
    private readonly critic: CriticName,
    private readonly maxLineBytes = MAX_EVENT_LINE_BYTES,
  ) {
    this.progress = ADAPTERS[critic].progress;
  }

  push(chunk: Buffer): StreamEvent[] {
    const events: StreamEvent[] = [{ kind: 'output', critic: this.critic, bytes: chunk.length }];
    const hint = this.progress.toolHint;
    if (hint === undefined) return events;
    const text = this.decoder.write(chunk);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      const line = this.take(text.slice(start, nl));
      start = nl + 1;
      if (line === undefined || !line.includes(hint)) continue;
      const parsed = parseLine(line);
      if (parsed) events.push(...this.progress.extract(this.critic, parsed));
    }
    this.hold(text.slice(start));
    return events;
  }

  /** The complete line ending here, or undefined when it was too long and skipped. */
  private take(tail: string): string | undefined {
    const skipped = this.skipping || this.pendingLength + tail.length > this.maxLineBytes;
    const line = skipped ? undefined : this.pending.join('') + tail;
    this.pending = [];
    this.pendingLength = 0;
    this.skipping = false;
    return line;
  }

  private hold(rest: string): void {
    if (this.skipping || rest.length === 0) return;
    if (this.pendingLength + rest.length > this.maxLineBytes) {
      this.pending = [];
      this.pendingLength = 0;
      this.skipping = true;
      return;
    }
    this.pending.push(rest);
    this.pendingLength += rest.length;
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
