/** Identifier generation: random, URL-safe, unguessable ids for contexts, requests and cursors. */
import { createHash, randomBytes, randomUUID } from 'node:crypto';

export function newId(): string {
  return randomUUID();
}

/** 128 bits of randomness, base64url: used where an id doubles as a capability. */
export function newToken(): string {
  return randomBytes(16).toString('base64url');
}

export function sha256Hex(input: string | Buffer): string {
  return createHash('sha256').update(input).digest('hex');
}
