// The error registry is a public contract: every code is documented, stable in shape, and safe by default.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ALL_ERROR_CODES,
  BrutalistError,
  ERROR_CODES,
  isBrutalistError,
  toBrutalistError,
} from '../../src/errors/index.js';

const doc = readFileSync(resolve(import.meta.dirname, '../../docs/errors.md'), 'utf8');

describe('error registry', () => {
  // Parse the docs table so a drift in the set of codes, the retryable flag, the status or the meaning fails.
  const rows = new Map(
    doc
      .split('\n')
      .map((line) => /^\| `([A-Z0-9_]+)` \| (yes|no) \| (\d{3}) \| (.+) \|$/.exec(line))
      .filter((m) => m !== null)
      .map((m) => [m[1], { retryable: m[2] === 'yes', httpStatus: Number(m[3]), message: m[4] }]),
  );

  it('documents exactly the registry codes in the docs/errors.md table', () => {
    expect([...rows.keys()].sort()).toEqual([...ALL_ERROR_CODES].sort());
  });

  it.each(ALL_ERROR_CODES)('documents %s with its retryable flag, status and meaning', (code) => {
    const spec = ERROR_CODES[code];
    expect(rows.get(code)).toEqual({
      retryable: spec.retryable,
      httpStatus: spec.httpStatus,
      message: spec.message,
    });
  });

  it('uses SCREAMING_SNAKE_CASE codes with a message and an HTTP status', () => {
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^[A-Z][A-Z0-9_]+$/);
      expect(spec.message.length).toBeGreaterThan(10);
      expect(spec.httpStatus).toBeGreaterThanOrEqual(400);
    }
  });

  it('defaults the message to the registry text and serialises without the cause', () => {
    const err = new BrutalistError('QUEUE_FULL', undefined, {
      data: { limit: 4 },
      cause: new Error('/secret/path'),
    });
    expect(err.message).toBe(ERROR_CODES.QUEUE_FULL.message);
    expect(JSON.stringify(err)).not.toContain('/secret/path');
    expect(err.toJSON()).toEqual({
      code: 'QUEUE_FULL',
      message: err.message,
      retryable: true,
      data: { limit: 4 },
    });
  });

  it('recognises its errors by brand, not by instanceof', () => {
    const foreign = Object.assign(Object.create(null), { [Symbol.for('brutalist-mcp.error')]: true });
    expect(isBrutalistError(foreign)).toBe(true);
    expect(isBrutalistError(new Error('x'))).toBe(false);
    expect(isBrutalistError(null)).toBe(false);
  });

  it('wraps unknown errors as INTERNAL_ERROR without exposing their message', () => {
    const wrapped = toBrutalistError(new Error('ENOENT /home/alice/.ssh/id_rsa'));
    expect(wrapped.code).toBe('INTERNAL_ERROR');
    expect(wrapped.message).not.toContain('alice');
    const same = new BrutalistError('CANCELLED');
    expect(toBrutalistError(same)).toBe(same);
  });
});
