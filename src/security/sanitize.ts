/** The outbound sanitizer: every message and string datum that leaves the server passes through here. */
import { PATH_PLACEHOLDER, type PreparedRoot, prepareRoots, scrubHostPaths } from './host-paths.js';
import { redactSecretShapes, removeEnvValues, secretEnvValues } from './secrets.js';

export interface SanitizeOptions {
  /** Allowed roots (ideally realpaths, as resolveTarget returns); paths inside them become root-relative. */
  readonly roots: readonly string[];
  /** Whose secret values to remove; defaults to process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Longest string returned, ellipsis included. Default 2000. */
  readonly maxChars?: number;
  /** sanitizeData only: deepest nesting kept; deeper values become DEPTH_PLACEHOLDER. Default 8. */
  readonly maxDepth?: number;
}

export const DEFAULT_SANITIZE_MAX_CHARS = 2_000;
export const DEFAULT_SANITIZE_MAX_DEPTH = 8;
export const DEPTH_PLACEHOLDER = '<truncated>';
const ELLIPSIS = '…';
// Work is bounded before any rule runs: input past this many characters per output character is cut.
const INPUT_CHARS_PER_OUTPUT_CHAR = 8;
const INPUT_SLACK_CHARS = 4_096;
// When a cut lands inside one whitespace-free run, this much is dropped so no partial secret survives.
const PARTIAL_TOKEN_GUARD_CHARS = 256;

interface Prepared {
  readonly roots: readonly PreparedRoot[];
  readonly envValues: readonly string[];
  readonly homeDirs: readonly string[];
  readonly maxChars: number;
  readonly maxDepth: number;
}

// Deep enough that `/home` or `C:\Users` alone (which name nobody) is never blanked out of prose.
const HOME_DIR = /^(?:\/[^/]+\/[^/]+|[A-Za-z]:\\[^\\]+\\[^\\]+)/;

/** A non-negative integer bound; NaN or a non-number falls back to the default rather than disabling the bound. */
function bound(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && !Number.isNaN(value) ? Math.max(0, Math.floor(value)) : fallback;
}

function prepare(options: SanitizeOptions): Prepared {
  const env = options.env ?? process.env;
  return {
    roots: prepareRoots(options.roots),
    envValues: secretEnvValues(env),
    homeDirs: [env.HOME, env.USERPROFILE].filter(
      (h): h is string => typeof h === 'string' && HOME_DIR.test(h),
    ),
    maxChars: bound(options.maxChars, DEFAULT_SANITIZE_MAX_CHARS),
    maxDepth: bound(options.maxDepth, DEFAULT_SANITIZE_MAX_DEPTH),
  };
}

// Frames as V8 prints them: `fn (location)`, `async fn (location)`, `new C [as m] (location)`, or a bare
// location ending in :line:col. Prose such as "  at least one call to foo()" matches neither.
const FRAME_WITH_CALLEE = /^(?:(?:async|new) )?[^\s(]+(?: \[as [^\s\]]+\])? \(.*\)$/;
const FRAME_LOCATION = /:\d+:\d+\)?$/;

/** A stack frame line: indented, then `at ` and something shaped like a V8 frame. */
function isStackLine(line: string): boolean {
  const body = line.trimStart();
  if (body === line || !body.startsWith('at ')) return false;
  const frame = body.slice(3).trim();
  return (
    frame === '<anonymous>' ||
    frame === 'native' ||
    FRAME_LOCATION.test(frame) ||
    FRAME_WITH_CALLEE.test(frame)
  );
}

function stripStackLines(text: string): string {
  if (!text.includes('at ')) return text;
  const lines = text.split('\n');
  const kept = lines.filter((line) => !isStackLine(line));
  return kept.length === lines.length ? text : kept.join('\n');
}

/** Cuts over-long input at a whitespace boundary so the later rules never see half a secret. */
function boundInput(text: string, maxChars: number): { text: string; cut: boolean } {
  const cap = maxChars * INPUT_CHARS_PER_OUTPUT_CHAR + INPUT_SLACK_CHARS;
  if (text.length <= cap) return { text, cut: false };
  const head = text.slice(0, cap);
  const lastSpace = Math.max(head.lastIndexOf(' '), head.lastIndexOf('\n'), head.lastIndexOf('\t'));
  const end = lastSpace > 0 ? lastSpace : Math.max(0, cap - PARTIAL_TOKEN_GUARD_CHARS);
  return { text: head.slice(0, end), cut: true };
}

function truncate(text: string, maxChars: number, forceEllipsis: boolean): string {
  if (text.length <= maxChars && !forceEllipsis) return text;
  if (maxChars === 0) return '';
  let end = Math.min(text.length, maxChars - 1);
  const code = text.charCodeAt(end - 1);
  if (end > 0 && code >= 0xd800 && code <= 0xdbff) end -= 1; // never split a surrogate pair
  return text.slice(0, end) + ELLIPSIS;
}

function sanitizeWith(text: string, p: Prepared): string {
  const bounded = boundInput(text, p.maxChars);
  let out = stripStackLines(bounded.text);
  // Env values first: a secret may have any shape, and must go before paths reshape the text around it.
  out = removeEnvValues(out, p.envValues);
  out = redactSecretShapes(out);
  out = scrubHostPaths(out, p.roots);
  // The path rule only sees paths that start a token; a home dir glued to a word (`x/home/alice`) is caught here.
  for (const home of p.homeDirs) if (out.includes(home)) out = out.split(home).join(PATH_PLACEHOLDER);
  return truncate(out, p.maxChars, bounded.cut);
}

/**
 * Makes a string safe to send to a client: host paths outside `roots` become `<path>` (paths inside become
 * root-relative), secret env values and BRUTALIST_* values and secret-shaped tokens become `<redacted>`,
 * stack-frame lines are dropped, and the result is cut to maxChars with an ellipsis. Linear time.
 */
export function sanitizeText(text: string, options: SanitizeOptions): string {
  return sanitizeWith(typeof text === 'string' ? text : String(text), prepare(options));
}

function sanitizeValue(value: unknown, p: Prepared, depth: number): unknown {
  if (typeof value === 'string') return sanitizeWith(value, p);
  if (typeof value !== 'object' || value === null) {
    // bigint, symbol and functions are not JSON; drop them rather than stringify something unknown.
    return typeof value === 'bigint' || typeof value === 'symbol' || typeof value === 'function'
      ? undefined
      : value;
  }
  if (depth >= p.maxDepth) return DEPTH_PLACEHOLDER;
  if (value instanceof Error) return { name: value.name, message: sanitizeWith(value.message, p) };
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Array.isArray(value)) return value.map((item) => sanitizeValue(item, p, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    // Keys can carry paths too (a map from file to finding).
    // defineProperty, not assignment: a `__proto__` key must stay data, not replace the prototype.
    Object.defineProperty(out, sanitizeWith(key, p), {
      value: sanitizeValue(child, p, depth + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/**
 * sanitizeText applied to every string (and object key) in a JSON-like value. Nesting deeper than
 * maxDepth is replaced by `<truncated>`, which also ends any reference cycle. Returns a new value of the
 * same shape for JSON input; Errors become {name, message}, Dates ISO strings, and bigint, symbol and
 * function values are dropped.
 */
export function sanitizeData<T>(value: T, options: SanitizeOptions): T {
  return sanitizeValue(value, prepare(options), 0) as T;
}
