/** BrutalistError: the one error type that carries a stable code, safe data and an internal cause. */
import { ERROR_CODES, type ErrorCode } from './codes.js';

const BRAND = Symbol.for('brutalist-mcp.error');

/** Data attached to an error; it is sent to clients, so it must hold only safe, small values. */
export type ErrorData = Readonly<Record<string, string | number | boolean | null | readonly string[]>>;

export class BrutalistError extends Error {
  readonly code: ErrorCode;
  readonly data: ErrorData;
  readonly [BRAND] = true;

  /**
   * @param message a client-safe message; defaults to the registry text. Never put host paths,
   *   env values or secrets here: `cause` is where internal detail goes (it is logged, never sent).
   */
  constructor(code: ErrorCode, message?: string, options: { data?: ErrorData; cause?: unknown } = {}) {
    super(message ?? ERROR_CODES[code].message, { cause: options.cause });
    this.name = 'BrutalistError';
    this.code = code;
    this.data = options.data ?? {};
  }

  get retryable(): boolean {
    return ERROR_CODES[this.code].retryable;
  }

  toJSON(): { code: ErrorCode; message: string; retryable: boolean; data: ErrorData } {
    return { code: this.code, message: this.message, retryable: this.retryable, data: this.data };
  }
}

/** Brand check that survives duplicated module copies (instanceof would not). */
export function isBrutalistError(value: unknown): value is BrutalistError {
  return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
}

/** Wraps anything thrown into a BrutalistError; unknown errors become INTERNAL_ERROR with the cause kept. */
export function toBrutalistError(err: unknown): BrutalistError {
  if (isBrutalistError(err)) return err;
  return new BrutalistError('INTERNAL_ERROR', undefined, { cause: err });
}
