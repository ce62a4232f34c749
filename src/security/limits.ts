/** Size and content limits on tool arguments, checked before any work is admitted. */
import { BrutalistError } from '../errors/index.js';

export interface TextLimits {
  /** Limit for each string in a long field, and for the total of all strings in any one field. */
  readonly maxContextChars: number;
  /** Limit for each string in any other field. */
  readonly maxFieldChars: number;
  /** Deepest nesting walked below a field; deeper values are refused rather than left unchecked. Default 4. */
  readonly maxFieldDepth?: number;
}

export const DEFAULT_MAX_FIELD_DEPTH = 4;

// Keys come from the client; a bounded copy is enough to say which field failed.
const MAX_FIELD_NAME_CHARS = 64;

function name(key: string): string {
  return key.length > MAX_FIELD_NAME_CHARS ? `${key.slice(0, MAX_FIELD_NAME_CHARS)}…` : key;
}

interface Walk {
  readonly field: string;
  readonly limit: number;
  readonly totalLimit: number;
  readonly maxDepth: number;
  total: number;
}

function visit(value: unknown, where: string, depth: number, walk: Walk): void {
  if (typeof value === 'string') {
    if (value.includes('\0')) {
      throw new BrutalistError('INVALID_ARGUMENT', 'A string argument contains a NUL byte.', {
        data: { field: where },
      });
    }
    if (value.length > walk.limit) {
      throw new BrutalistError('INPUT_TOO_LARGE', undefined, {
        data: { field: where, limit: walk.limit, actual: value.length },
      });
    }
    walk.total += value.length;
    // Many strings each under the limit must not add up to an unbounded field.
    if (walk.total > walk.totalLimit) {
      throw new BrutalistError('INPUT_TOO_LARGE', undefined, {
        data: { field: walk.field, limit: walk.totalLimit, actual: walk.total },
      });
    }
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  if (depth >= walk.maxDepth) {
    throw new BrutalistError('INVALID_ARGUMENT', 'An argument is nested too deeply.', {
      data: { field: walk.field, limit: walk.maxDepth },
    });
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) visit(value[i], `${where}[${i}]`, depth + 1, walk);
    return;
  }
  for (const [key, child] of Object.entries(value)) visit(child, `${where}.${name(key)}`, depth + 1, walk);
}

/**
 * Throws INPUT_TOO_LARGE (data: field, limit, actual) for the first string over its limit, and
 * INVALID_ARGUMENT (data: field) for the first string holding a NUL byte. Strings in `longFields` may be
 * up to maxContextChars, others up to maxFieldChars. Strings inside arrays and objects are checked too,
 * down to maxFieldDepth levels (deeper nesting is INVALID_ARGUMENT, so nesting cannot smuggle text past
 * the check), and the strings of one field may not total more than maxContextChars.
 */
export function checkTextLimits(
  fields: Record<string, unknown>,
  limits: TextLimits,
  longFields: readonly string[],
): void {
  const maxDepth = limits.maxFieldDepth ?? DEFAULT_MAX_FIELD_DEPTH;
  for (const [key, value] of Object.entries(fields)) {
    const field = name(key);
    const walk: Walk = {
      field,
      limit: longFields.includes(key) ? limits.maxContextChars : limits.maxFieldChars,
      totalLimit: limits.maxContextChars,
      maxDepth,
      total: 0,
    };
    visit(value, field, 0, walk);
  }
}
