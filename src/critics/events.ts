/** Incremental parsing of a critic's stdout into progress events: bytes produced, tools used. Never the text itself. */

import { StringDecoder } from 'node:string_decoder';
import type { CriticName } from '../config/index.js';
import type { StreamEvent } from '../streaming/index.js';
import { type JsonObject, obj, str } from './jsonl.js';

type Extract = (critic: CriticName, line: JsonObject) => StreamEvent[];

/** claude stream-json: assistant messages carry text and tool_use content blocks. */
const claude: Extract = (critic, line) => {
  if (line.type !== 'assistant') return [];
  const blocks = obj(line.message)?.content;
  if (!Array.isArray(blocks)) return [];
  const events: StreamEvent[] = [];
  for (const raw of blocks) {
    const block = obj(raw);
    if (block?.type === 'text') events.push({ kind: 'text', critic, chars: str(block.text)?.length ?? 0 });
    else if (block?.type === 'tool_use')
      events.push({ kind: 'tool', critic, name: str(block.name) ?? 'tool' });
  }
  return events;
};

/** codex exec --json: items start and complete; agent messages are text, commands and tool calls are tools. */
const codex: Extract = (critic, line) => {
  const item = obj(line.item);
  if (!item) return [];
  if (line.type === 'item.completed' && item.type === 'agent_message') {
    return [{ kind: 'text', critic, chars: str(item.text)?.length ?? 0 }];
  }
  if (
    line.type === 'item.started' &&
    typeof item.type === 'string' &&
    item.type !== 'agent_message' &&
    item.type !== 'reasoning'
  ) {
    return [{ kind: 'tool', critic, name: item.type }];
  }
  return [];
};

/** gemini stream-json: assistant message deltas are text; tool_use events name the tool. */
const gemini: Extract = (critic, line) => {
  if (line.type === 'message' && line.role === 'assistant') {
    return [{ kind: 'text', critic, chars: str(line.content)?.length ?? 0 }];
  }
  if (line.type === 'tool_use') return [{ kind: 'tool', critic, name: str(line.tool_name) ?? 'tool' }];
  return [];
};

const EXTRACTORS: Record<CriticName, Extract> = { claude, codex, gemini };

/**
 * Only lines containing this can hold a tool event; the rest (the bulk: text deltas) are counted as bytes without
 * being parsed, which keeps a chatty critic from costing one JSON.parse per line twice over.
 */
const TOOL_HINTS: Record<CriticName, string> = {
  claude: '"tool_use"',
  codex: '"item.started"',
  gemini: '"tool_use"',
};

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

  constructor(
    private readonly critic: CriticName,
    private readonly maxLineBytes = MAX_EVENT_LINE_BYTES,
  ) {}

  push(chunk: Buffer): StreamEvent[] {
    const events: StreamEvent[] = [{ kind: 'output', critic: this.critic, bytes: chunk.length }];
    const text = this.decoder.write(chunk);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      const line = this.take(text.slice(start, nl));
      start = nl + 1;
      if (line === undefined || !line.includes(TOOL_HINTS[this.critic])) continue;
      const parsed = parseLine(line);
      if (parsed) events.push(...EXTRACTORS[this.critic](this.critic, parsed));
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
