/** Request bodies of POST /mcp: read under a byte limit (413 before parsing), nesting checked before JSON.parse. */
import type { IncomingMessage } from 'node:http';
import { type JSONRPCMessage, JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import { BrutalistError } from '../errors/index.js';

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The body as one buffer. A declared Content-Length over the limit is refused without reading a byte; a body that
 * grows past it while streaming is refused at that chunk (the rest is discarded, never buffered).
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = (actual: number) =>
    new BrutalistError('INPUT_TOO_LARGE', `The request body is over ${maxBytes} bytes (maxMessageBytes).`, {
      data: { limit: maxBytes, actual },
    });
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    return Promise.reject(tooLarge(declared));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    let done = false;
    const finish = (err: BrutalistError | undefined) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      if (err) {
        req.resume();
        reject(err);
      } else resolve(Buffer.concat(chunks, length));
    };
    const onData = (chunk: Buffer) => {
      length += chunk.length;
      if (length > maxBytes) finish(tooLarge(length));
      else chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => finish(undefined));
    req.once('error', () => finish(new BrutalistError('INVALID_ARGUMENT', 'The request body was cut off.')));
    req.once('close', () => finish(new BrutalistError('INVALID_ARGUMENT', 'The request body was cut off.')));
  });
}

/** The deepest nesting of arrays/objects in JSON text (strings skipped), stopping as soon as `limit` is passed. */
export function jsonDepthOver(body: Buffer, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return false;
}

/** A checked body: the JSON value as sent (handed to the SDK) and its messages as typed. */
export interface ParsedBody {
  readonly value: unknown;
  readonly messages: readonly JSONRPCMessage[];
}

/** Parses and checks a body: JSON, within the depth limit, one JSON-RPC message or a non-empty batch of them. */
export function parseMessages(body: Buffer, maxDepth: number): ParsedBody {
  if (jsonDepthOver(body, maxDepth)) {
    throw new BrutalistError(
      'JSON_TOO_DEEP',
      `The request body nests deeper than ${maxDepth} levels (httpMaxJsonDepth).`,
      { data: { limit: maxDepth } },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new BrutalistError('JSON_INVALID');
  }
  const items = Array.isArray(value) ? value : [value];
  if (items.length === 0)
    throw new BrutalistError('JSONRPC_INVALID', 'An empty batch is not a JSON-RPC request.');
  const messages: JSONRPCMessage[] = [];
  for (const item of items) {
    const parsed = JSONRPCMessageSchema.safeParse(item);
    if (!parsed.success) throw new BrutalistError('JSONRPC_INVALID');
    messages.push(parsed.data);
  }
  return { value, messages };
}

/** The id of a message that is a request (for an error answer), else null. */
export function requestIdOf(value: unknown): string | number | null {
  if (typeof value !== 'object' || value === null || !('id' in value)) return null;
  const id = (value as { id: unknown }).id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}
