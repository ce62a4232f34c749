/** checkTextLimits: per-field size limits, NUL bytes, nesting, and totals per field. */
import { describe, expect, it } from 'vitest';
import { isBrutalistError } from '../../src/errors/index.js';
import { checkTextLimits } from '../../src/security/index.js';

const limits = { maxContextChars: 1_000, maxFieldChars: 100 };
const long = ['context', 'content'];

function thrown(fn: () => void): { code: string; data: unknown } {
  try {
    fn();
  } catch (err) {
    if (!isBrutalistError(err)) throw err;
    return { code: err.code, data: err.data };
  }
  throw new Error('expected a throw');
}

describe('checkTextLimits', () => {
  it('accepts a realistic roast argument object within the limits', () => {
    expect(() =>
      checkTextLimits(
        {
          target: 'src/index.ts',
          context: 'x'.repeat(1_000),
          critics: ['claude', 'codex'],
          models: { claude: 'opus', codex: 'gpt-5' },
          depth: 3,
          verbose: true,
          missing: undefined,
          nothing: null,
        },
        limits,
        long,
      ),
    ).not.toThrow();
  });

  it('rejects a long field past maxContextChars with INPUT_TOO_LARGE naming field, limit and actual', () => {
    expect(thrown(() => checkTextLimits({ context: 'x'.repeat(1_001) }, limits, long))).toEqual({
      code: 'INPUT_TOO_LARGE',
      data: { field: 'context', limit: 1_000, actual: 1_001 },
    });
  });

  it('holds other fields to maxFieldChars even when they are under maxContextChars', () => {
    expect(thrown(() => checkTextLimits({ target: 'y'.repeat(101) }, limits, long))).toEqual({
      code: 'INPUT_TOO_LARGE',
      data: { field: 'target', limit: 100, actual: 101 },
    });
  });

  it('lets long fields exceed maxFieldChars', () => {
    expect(() => checkTextLimits({ content: 'z'.repeat(500) }, limits, long)).not.toThrow();
  });

  it('checks strings inside arrays and objects, naming the element', () => {
    expect(thrown(() => checkTextLimits({ critics: ['ok', 'q'.repeat(101)] }, limits, long)).data).toEqual({
      field: 'critics[1]',
      limit: 100,
      actual: 101,
    });
    expect(thrown(() => checkTextLimits({ models: { claude: 'q'.repeat(101) } }, limits, long)).data).toEqual(
      {
        field: 'models.claude',
        limit: 100,
        actual: 101,
      },
    );
  });

  it('reports the first string over its limit, in argument order', () => {
    const r = thrown(() =>
      checkTextLimits({ a: 'ok', b: 'b'.repeat(200), c: 'c'.repeat(300) }, limits, long),
    );
    expect(r.data).toMatchObject({ field: 'b', actual: 200 });
  });

  it('rejects many small strings in one field that together pass maxContextChars', () => {
    const many = Array.from({ length: 20 }, () => 'm'.repeat(60));
    expect(thrown(() => checkTextLimits({ files: many }, limits, long))).toEqual({
      code: 'INPUT_TOO_LARGE',
      data: { field: 'files', limit: 1_000, actual: 1_020 },
    });
  });

  it('rejects NUL bytes with INVALID_ARGUMENT, at top level and nested', () => {
    expect(thrown(() => checkTextLimits({ target: 'a\0b' }, limits, long))).toEqual({
      code: 'INVALID_ARGUMENT',
      data: { field: 'target' },
    });
    expect(thrown(() => checkTextLimits({ history: [{ text: '\0' }] }, limits, long)).data).toEqual({
      field: 'history[0].text',
    });
  });

  it('rejects nesting deeper than maxFieldDepth instead of leaving it unchecked', () => {
    const deep = { a: [[[[['x']]]]] }; // five containers below the field
    expect(thrown(() => checkTextLimits(deep, limits, long))).toEqual({
      code: 'INVALID_ARGUMENT',
      data: { field: 'a', limit: 4 },
    });
    expect(() => checkTextLimits(deep, { ...limits, maxFieldDepth: 5 }, long)).not.toThrow();
    expect(() => checkTextLimits({ a: [[[['x']]]] }, limits, long)).not.toThrow();
  });

  it('ends on a reference cycle through the depth bound', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(thrown(() => checkTextLimits({ cyclic }, limits, long)).code).toBe('INVALID_ARGUMENT');
  });

  it('shortens a huge client-supplied key in the error data', () => {
    const key = 'k'.repeat(10_000);
    const r = thrown(() => checkTextLimits({ [key]: 'v'.repeat(101) }, limits, long));
    expect((r.data as { field: string }).field).toBe(`${'k'.repeat(64)}…`);
  });

  it('keeps a key of exactly 64 characters whole', () => {
    const key = 'k'.repeat(64);
    expect(thrown(() => checkTextLimits({ [key]: 'v'.repeat(101) }, limits, long)).data).toMatchObject({
      field: key,
    });
  });

  it('says what is wrong in the message of NUL and nesting errors', () => {
    const message = (fn: () => void) => {
      try {
        fn();
      } catch (err) {
        return (err as Error).message;
      }
      return '';
    };
    expect(message(() => checkTextLimits({ target: '\0' }, limits, long))).toBe(
      'A string argument contains a NUL byte.',
    );
    expect(message(() => checkTextLimits({ a: [[[[['x']]]]] }, limits, long))).toBe(
      'An argument is nested too deeply.',
    );
  });

  it('ignores numbers, booleans and null, and accepts an empty object', () => {
    expect(() => checkTextLimits({}, limits, long)).not.toThrow();
    expect(() => checkTextLimits({ n: 1e300, b: false, z: null }, limits, long)).not.toThrow();
  });
});
