/** Immutable snapshots of stored values: a frozen JSON-data copy plus an estimate of its heap size. */
import { BrutalistError } from '../errors/index.js';

/**
 * Byte estimate, documented because eviction depends on it. It approximates V8 heap use and errs high:
 * - every value occupies an 8-byte slot in its parent;
 * - a string adds 16 bytes of header plus 2 bytes per UTF-16 code unit (V8 keeps ASCII in 1 byte per
 *   char, so ASCII text is over-counted by up to 2x — the safe direction for a memory bound);
 * - an object or array adds 32 bytes of header; each object property adds 16 + 2 × key length.
 * The store adds its own per-entry overhead on top (see memory.ts).
 */
export const SLOT_BYTES = 8;
export const STRING_HEADER_BYTES = 16;
export const CONTAINER_HEADER_BYTES = 32;
export const PROPERTY_KEY_BYTES = 16;

export function stringBytes(s: string): number {
  return STRING_HEADER_BYTES + 2 * s.length;
}

export type Snapshot<T> =
  | { readonly ok: true; readonly value: T; readonly bytes: number }
  | { readonly ok: false };

export interface SnapshotLimits {
  /** Stop and report `{ ok: false }` as soon as the estimate passes this many bytes. */
  readonly maxBytes: number;
  /** Deeper nesting is refused with INVALID_ARGUMENT (it also bounds recursion). */
  readonly maxDepth: number;
}

class TooLarge {}
const TOO_LARGE = new TooLarge();

function notJsonData(kind: string): BrutalistError {
  return new BrutalistError('INVALID_ARGUMENT', 'State values must be plain JSON data.', { data: { kind } });
}

/**
 * Copies `value` with JSON semantics (so every store, in memory or serialized, gives back the same
 * shape): undefined properties are dropped, undefined array items and non-finite numbers become null.
 * Strings are shared rather than copied — they are immutable, and copying a multi-megabyte critique
 * (as structuredClone does) costs ~1000x more. Objects and arrays are fresh and deep-frozen, so
 * neither the writer (who keeps the original) nor a reader (who gets the frozen copy) can change
 * what is stored. Functions, symbols, bigints, class instances (Date, Map...) and cycles are refused.
 */
export function snapshot<T>(value: T, limits: SnapshotLimits): Snapshot<T> {
  let bytes = 0;
  const ancestors = new Set<object>();

  const add = (n: number): void => {
    bytes += n;
    if (bytes > limits.maxBytes) throw TOO_LARGE;
  };

  const copy = (v: unknown, depth: number): unknown => {
    add(SLOT_BYTES);
    switch (typeof v) {
      case 'string':
        add(stringBytes(v));
        return v;
      case 'number':
        // JSON has no -0, NaN or Infinity; matching it keeps every store's answers identical.
        return Number.isFinite(v) ? v + 0 : null;
      case 'boolean':
        return v;
      case 'object':
        break;
      default:
        throw notJsonData(typeof v);
    }
    if (v === null) return null;
    if (depth >= limits.maxDepth) {
      throw new BrutalistError('INVALID_ARGUMENT', 'A state value is nested too deeply.', {
        data: { maxDepth: limits.maxDepth },
      });
    }
    if (ancestors.has(v)) throw notJsonData('cycle');
    ancestors.add(v);
    add(CONTAINER_HEADER_BYTES);
    let out: unknown;
    if (Array.isArray(v)) {
      const arr: unknown[] = new Array(v.length);
      for (let i = 0; i < v.length; i++) {
        const item: unknown = v[i];
        arr[i] = copy(item === undefined ? null : item, depth + 1);
      }
      out = Object.freeze(arr);
    } else {
      const proto: unknown = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) throw notJsonData('instance');
      const obj: Record<string, unknown> = {};
      for (const key of Object.keys(v)) {
        const item = (v as Record<string, unknown>)[key];
        if (item === undefined) continue;
        add(PROPERTY_KEY_BYTES + 2 * key.length);
        const copied = copy(item, depth + 1);
        // Plain assignment of '__proto__' would change the prototype instead of adding a property.
        if (key === '__proto__') {
          Object.defineProperty(obj, key, {
            value: copied,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        } else {
          obj[key] = copied;
        }
      }
      out = Object.freeze(obj);
    }
    ancestors.delete(v);
    return out;
  };

  try {
    const value2 = copy(value, 0) as T;
    return { ok: true, value: value2, bytes };
  } catch (err) {
    if (err === TOO_LARGE) return { ok: false };
    throw err;
  }
}
