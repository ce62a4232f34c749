/** Signed cursors: opaque `c_<payload>.<mac>` strings, HMAC-bound to their owner, carrying their own expiry. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { BrutalistError } from '../errors/index.js';

/** Where a cursor points: a page of a stored result. */
export interface CursorClaims {
  readonly contextId: string;
  readonly offset: number;
  readonly limit: number;
  readonly expiresAt: number;
}

/** 128-bit truncated HMAC-SHA256, base64url. */
const MAC_BYTES = 16;
const MAC_CHARS = 22;
const CURSOR_PATTERN = /^c_([A-Za-z0-9_-]{8,256})\.([A-Za-z0-9_-]{22})$/;
const CONTEXT_ID_PATTERN = /^[A-Za-z0-9_-]{8,128}$/;

function mac(secret: string, owner: string, payload: string): Buffer {
  // The owner is inside the MAC, not the payload: another caller's cursor fails verification.
  return createHmac('sha256', secret)
    .update(`brutalist-cursor:v1\n${owner}\n${payload}`)
    .digest()
    .subarray(0, MAC_BYTES);
}

export function signCursor(secret: string, owner: string, claims: CursorClaims): string {
  const payload = Buffer.from(
    JSON.stringify({ c: claims.contextId, o: claims.offset, l: claims.limit, e: claims.expiresAt }),
  ).toString('base64url');
  return `c_${payload}.${mac(secret, owner, payload).toString('base64url')}`;
}

/**
 * The claims of a cursor signed for `owner` that has not expired at `now`. Malformed, tampered, foreign
 * (signed for another owner or with another secret) and expired cursors all throw INVALID_CURSOR.
 */
export function verifyCursor(secret: string, owner: string, cursor: string, now: number): CursorClaims {
  const [, payload, given] = CURSOR_PATTERN.exec(cursor) ?? [];
  if (payload === undefined || given === undefined) throw new BrutalistError('INVALID_CURSOR');
  // Compare the canonical text: base64url's last character carries spare bits, so decoding would accept
  // several spellings of one MAC.
  const expected = Buffer.from(mac(secret, owner, payload).toString('base64url'));
  const actual = Buffer.from(given);
  if (actual.length !== MAC_CHARS || !timingSafeEqual(actual, expected)) {
    throw new BrutalistError('INVALID_CURSOR');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw new BrutalistError('INVALID_CURSOR');
  }
  const { c, o, l, e } = (parsed ?? {}) as Record<string, unknown>;
  if (
    typeof c !== 'string' ||
    !CONTEXT_ID_PATTERN.test(c) ||
    !Number.isSafeInteger(o) ||
    (o as number) < 0 ||
    !Number.isSafeInteger(l) ||
    (l as number) < 1 ||
    typeof e !== 'number' ||
    e <= now
  ) {
    throw new BrutalistError('INVALID_CURSOR');
  }
  return { contextId: c, offset: o as number, limit: l as number, expiresAt: e };
}
