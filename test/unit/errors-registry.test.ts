/** The error registry's guards: what counts as a code or a BrutalistError, and how anything thrown is wrapped. */
import { describe, expect, it } from 'vitest';
import { BrutalistError, isBrutalistError, isErrorCode, toBrutalistError } from '../../src/errors/index.js';

describe('isErrorCode', () => {
  it('accepts a registered code and refuses inherited names, other case and non-strings', () => {
    expect(isErrorCode('QUEUE_FULL')).toBe(true);
    expect(['toString', '__proto__', 'queue_full', '', 7, null, undefined].map(isErrorCode)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});

describe('BrutalistError guards', () => {
  it('recognises the brand, not the shape: a look-alike object is not one', () => {
    expect(isBrutalistError(new BrutalistError('CANCELLED'))).toBe(true);
    expect(isBrutalistError({ code: 'CANCELLED', message: 'x', data: {} })).toBe(false);
    expect(isBrutalistError(null)).toBe(false);
    expect(isBrutalistError('CANCELLED')).toBe(false);
  });

  it('wraps anything else thrown as INTERNAL_ERROR, keeping it as the cause, and passes its own through', () => {
    const own = new BrutalistError('CANCELLED');
    expect(toBrutalistError(own)).toBe(own);
    const wrapped = toBrutalistError('a string');
    expect({ code: wrapped.code, cause: wrapped.cause, retryable: wrapped.retryable }).toEqual({
      code: 'INTERNAL_ERROR',
      cause: 'a string',
      retryable: false,
    });
  });

  it('serializes code, message, retryable and data, never the cause', () => {
    const err = new BrutalistError('QUEUE_FULL', undefined, {
      data: { limit: 4 },
      cause: new Error('/home/x'),
    });
    expect(JSON.parse(JSON.stringify(err))).toEqual({
      code: 'QUEUE_FULL',
      message: 'Too many requests are waiting; retry later.',
      retryable: true,
      data: { limit: 4 },
    });
  });
});
