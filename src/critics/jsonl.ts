/** Incremental JSONL decoding for critic output, tolerant of a cut last line and of non-JSON noise lines. */
import { StringDecoder } from 'node:string_decoder';

export type JsonObject = Record<string, unknown>;

export function parseObject(line: string): JsonObject | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Feeds bytes in as they arrive and yields each complete line that is a JSON object.
 * Lines that are not JSON objects (warnings some CLIs print on stdout) are skipped, not fatal.
 */
export class JsonlDecoder {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  push(chunk: Buffer | string): JsonObject[] {
    this.pending += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    const out: JsonObject[] = [];
    let nl = this.pending.indexOf('\n');
    while (nl >= 0) {
      const obj = parseObject(this.pending.slice(0, nl));
      if (obj) out.push(obj);
      this.pending = this.pending.slice(nl + 1);
      nl = this.pending.indexOf('\n');
    }
    return out;
  }

  /** Flushes the last line; a line cut mid-object (truncated or crashed run) is dropped. */
  end(): JsonObject[] {
    this.pending += this.decoder.end();
    const obj = parseObject(this.pending);
    this.pending = '';
    return obj ? [obj] : [];
  }
}

export function parseJsonl(text: string): JsonObject[] {
  return [...eachJsonl(text)];
}

/**
 * The JSON-object lines of a complete output, one at a time: a multi-megabyte critic output never exists as an
 * array of parsed objects (only the current line is parsed at any moment). A cut last line is skipped.
 */
export function* eachJsonl(text: string): Generator<JsonObject> {
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const obj = parseObject(text.slice(start, end));
    if (obj) yield obj;
    start = end + 1;
  }
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function obj(value: unknown): JsonObject | undefined {
  return isObject(value) ? value : undefined;
}

/** Drops undefined fields so optional properties stay absent rather than present-but-undefined. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
