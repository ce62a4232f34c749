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
  it.each(ALL_ERROR_CODES)('documents %s in docs/errors.md', (code) => {
    expect(doc).toContain(`\`${code}\``);
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
