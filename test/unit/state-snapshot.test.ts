/** snapshot: frozen JSON-data copies with a size estimate that stops early past its limit. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBrutalistError } from '../../src/errors/index.js';
import { snapshot } from '../../src/state/snapshot.js';

const LIMITS = { maxBytes: 10_000_000, maxDepth: 32 };

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return isBrutalistError(err) ? err.code : 'other';
  }
  return 'none';
}

function deepFrozen(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return true;
  return Object.isFrozen(v) && Object.values(v).every(deepFrozen);
}

describe('snapshot', () => {
  it('gives the same value as a JSON round trip, deep-frozen, for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const snap = snapshot(value, LIMITS);
        expect(snap.ok).toBe(true);
        if (!snap.ok) return;
        expect(snap.value).toStrictEqual(JSON.parse(JSON.stringify(value)));
        expect(deepFrozen(snap.value)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('follows JSON for undefined and non-finite numbers', () => {
    const snap = snapshot(
      { a: undefined, b: [undefined, Number.NaN, Number.POSITIVE_INFINITY], c: 1 },
      LIMITS,
    );
    expect(snap.ok && snap.value).toStrictEqual({ b: [null, null, null], c: 1 });
  });

  it('keeps a "__proto__" key as plain data without changing the prototype', () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    const snap = snapshot(value, LIMITS);
    expect(snap.ok && Object.getPrototypeOf(snap.value)).toBe(Object.prototype);
    expect(snap.ok && Object.keys(snap.value)).toEqual(['__proto__']);
  });

  it('shares strings instead of copying them', () => {
    const text = 'x'.repeat(1_000_000);
    const snap = snapshot({ text }, LIMITS);
    expect(snap.ok && snap.value.text).toBe(text);
  });

  it('reports not ok, without finishing the walk, once the estimate passes maxBytes', () => {
    let reads = 0;
    const many = Array.from({ length: 1_000 }, () => 'x'.repeat(100));
    const watched = new Proxy(many, {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
        return Reflect.get(target, key, receiver);
      },
    });
    expect(snapshot(watched, { maxBytes: 2_000, maxDepth: 4 })).toEqual({ ok: false });
    expect(reads).toBeLessThan(20);
  });

  it('refuses functions, bigints, class instances and cycles with INVALID_ARGUMENT', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(codeOf(() => snapshot({ f: () => 1 }, LIMITS))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => snapshot({ n: 1n }, LIMITS))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => snapshot({ d: new Date(0) }, LIMITS))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => snapshot({ m: new Map() }, LIMITS))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => snapshot(cyclic, LIMITS))).toBe('INVALID_ARGUMENT');
  });

  it('accepts the same object twice when it is shared rather than cyclic', () => {
    const shared = { a: 1 };
    const snap = snapshot({ x: shared, y: shared }, LIMITS);
    expect(snap.ok && snap.value).toEqual({ x: { a: 1 }, y: { a: 1 } });
  });

  it('refuses nesting deeper than maxDepth with INVALID_ARGUMENT', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 10; i++) deep = [deep];
    expect(codeOf(() => snapshot(deep, { maxBytes: 1_000, maxDepth: 5 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => snapshot(deep, { maxBytes: 1_000, maxDepth: 10 }))).toBe('none');
  });
});
